package arrowio_test

import (
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/vica-dev/vica/io/arrowio"
	"github.com/vica-dev/vica/timeseries"
)

func Example() {
	dir, err := os.MkdirTemp("", "arrowio")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	t0 := time.Date(2004, 3, 10, 18, 0, 0, 0, time.UTC)
	times := []int64{t0.UnixNano(), t0.Add(time.Hour).UnixNano(), t0.Add(2 * time.Hour).UnixNano()}
	f, err := timeseries.New([]string{"CO", "NOx"}, []float64{
		2.6, 166,
		math.NaN(), 103, // a missing value is written as null
		2.2, 131,
	}, &timeseries.Index{Kind: timeseries.TimeIndex, Times: times})
	if err != nil {
		log.Fatal(err)
	}

	path := filepath.Join(dir, "air.parquet")
	if err := arrowio.WriteFile(path, f, nil); err != nil {
		log.Fatal(err)
	}
	g, info, err := arrowio.ReadFile(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Format, g.Names(), g.Rows(), "rows, index", g.Index().Name)
	for t := range g.Rows() {
		fmt.Println(g.Index().Time(t).Format(time.RFC3339), g.Row(t))
	}
	// Output:
	// parquet [CO NOx] 3 rows, index time
	// 2004-03-10T18:00:00Z [2.6 166]
	// 2004-03-10T19:00:00Z [NaN 103]
	// 2004-03-10T20:00:00Z [2.2 131]
}

func ExampleFormatOf() {
	for _, p := range []string{"a.feather", "b.arrows", "c.parquet", "d.csv"} {
		f, err := arrowio.FormatOf(p)
		fmt.Println(f, err)
	}
	// Output:
	// arrow-file <nil>
	// arrow-stream <nil>
	// parquet <nil>
	// unknown arrowio: unknown format: extension ".csv" of "d.csv" (known: .arrow .feather .arrows .ipc .parquet)
}
