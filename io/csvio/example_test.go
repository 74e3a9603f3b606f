package csvio_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/vica-dev/vica/io/csvio"
)

func ExampleRead() {
	in := "Date;Time;CO;T\n" +
		"13/03/2004;18:00:00;2,6;13,6\n" +
		"13/03/2004;19:00:00;-200;13,3\n"
	f, info, err := csvio.Read(strings.NewReader(in), "air.csv", csvio.WithSentinel(-200))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Columns, info.TimeColumns, info.DateFormat, info.Missing)
	fmt.Println(f.Index().Time(1), f.Row(1))
	// Output:
	// [CO T] [Date Time] dd/mm/yyyy [1 0]
	// 2004-03-13 19:00:00 +0000 UTC [NaN 13.3]
}

func ExampleRead_error() {
	in := "time,CO,NOx_GT\n1,2.5,166\n2,2.1,abc\n"
	_, _, err := csvio.Read(strings.NewReader(in), "sensors.csv")
	fmt.Println(err)
	// Output:
	// csvio: "sensors.csv" line 3, column 3 ("NOx_GT"): parse "abc": not a number; non-numeric columns: "NOx_GT"; leave them out with WithColumns or WithNonNumeric(SkipNonNumeric), or if "abc" marks a missing value, add it with WithMissing
}

func ExampleWrite() {
	f, _, err := csvio.Read(strings.NewReader("t,x\n0,1.5\n0.25,\n"), "in.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := csvio.Write(os.Stdout, f, csvio.WithWriteDelimiter(';'), csvio.WithWriteDecimalComma(true)); err != nil {
		fmt.Println(err)
	}
	// Output:
	// t;x
	// 0;1,5
	// 0,25;
}
