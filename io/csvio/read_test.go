package csvio

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vica-dev/vica/timeseries"
)

const airQuality = "../../../shared/data/airquality/AirQualityUCI.csv"

func TestReadAirQuality(t *testing.T) {
	raw, err := os.ReadFile(airQuality)
	if err != nil {
		t.Skipf("air quality data not available: %v", err)
	}
	f, info, err := ReadFile(airQuality, WithSentinel(-200))
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows() != 9357 || f.Channels() != 13 {
		t.Fatalf("got %d rows x %d channels, want 9357 x 13", f.Rows(), f.Channels())
	}
	if !slices.Equal(info.TimeColumns, []string{"Date", "Time"}) || info.DateFormat != DateDMY {
		t.Errorf("time columns %q, date format %v; want Date, Time and dd/mm/yyyy", info.TimeColumns, info.DateFormat)
	}
	ix := f.Index()
	first, last := ix.Time(0), ix.Time(f.Rows()-1)
	if want := time.Date(2004, 3, 10, 18, 0, 0, 0, time.UTC); !first.Equal(want) {
		t.Errorf("first time %v, want %v", first, want)
	}
	if want := time.Date(2005, 4, 4, 14, 0, 0, 0, time.UTC); !last.Equal(want) {
		t.Errorf("last time %v, want %v", last, want)
	}
	// The missing counts are checked against a count of "-200" fields made
	// with strings.Split, independently of the reader.
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	want := make([]int, 13)
	for _, l := range lines[1:] {
		for c, v := range strings.Split(l, ",")[2:] {
			if v == "-200" {
				want[c]++
			}
		}
	}
	if !slices.Equal(info.Missing, want) {
		t.Errorf("missing counts %v, want %v", info.Missing, want)
	}
	// Spot check: row 1 of the file, column C6H6_GT.
	if v := f.At(0, f.Lookup("C6H6_GT")); v != 11.9 {
		t.Errorf("C6H6_GT at row 1 = %v, want 11.9", v)
	}

	// Written with ';' and decimal commas, the data reads back bit for bit.
	var buf bytes.Buffer
	if err := Write(&buf, f, WithWriteDelimiter(';'), WithWriteDecimalComma(true)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(";11,9;")) {
		t.Fatalf("no decimal comma in output: %.200s", buf.Bytes())
	}
	g, info2, err := Read(&buf, "aq-semicolon.csv")
	if err != nil {
		t.Fatal(err)
	}
	if info2.Delimiter != ';' || !info2.DecimalComma {
		t.Errorf("detected delimiter %q decimal comma %v, want ';' true", info2.Delimiter, info2.DecimalComma)
	}
	assertSameFrame(t, f, g)
}

// assertSameFrame fails unless the frames hold the same names, the same
// float64 bits and the same index.
func assertSameFrame(t *testing.T, a, b *timeseries.Frame) {
	t.Helper()
	if !slices.Equal(a.Names(), b.Names()) {
		t.Fatalf("names %q, then %q", a.Names(), b.Names())
	}
	if a.Rows() != b.Rows() {
		t.Fatalf("rows %d, then %d", a.Rows(), b.Rows())
	}
	for i, v := range a.Data() {
		if w := b.Data()[i]; math.Float64bits(v) != math.Float64bits(w) && !(math.IsNaN(v) && math.IsNaN(w)) {
			t.Fatalf("value %d: %v, then %v", i, v, w)
		}
	}
	ia, ib := a.Index(), b.Index()
	if ia.Kind != ib.Kind || !slices.Equal(ia.Times, ib.Times) || len(ia.Numbers) != len(ib.Numbers) {
		t.Fatalf("index kind %v/%v, %d/%d times", ia.Kind, ib.Kind, len(ia.Times), len(ib.Times))
	}
	for i, v := range ia.Numbers {
		if math.Float64bits(v) != math.Float64bits(ib.Numbers[i]) {
			t.Fatalf("index value %d: %v, then %v", i, v, ib.Numbers[i])
		}
	}
}

func TestReadDetection(t *testing.T) {
	nan := math.NaN()
	ts := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return tm.UnixNano()
	}
	tests := []struct {
		name      string
		in        string
		opts      []Option
		names     []string
		data      []float64 // expected values, row-major
		kind      timeseries.IndexKind
		times     []int64
		numbers   []float64
		delim     rune
		warnings  int
		skipped   []string
		timeNames []string
	}{
		{name: "plain comma, no time", in: "a,b\n1,2\n3,4\n", names: []string{"a", "b"}, data: []float64{1, 2, 3, 4}, delim: ','},
		{name: "no final newline", in: "a,b\n1,2\n3,4", names: []string{"a", "b"}, data: []float64{1, 2, 3, 4}, delim: ','},
		{name: "CRLF, BOM, blank lines, spaces", in: "\xef\xbb\xbf a , b \r\n\r\n 1 , 2\r\n3,4\r\n\r\n", names: []string{"a", "b"}, data: []float64{1, 2, 3, 4}, delim: ','},
		{name: "semicolon decimal comma", in: "time;x;y\n0;1,5;-2,25\n0,5;3;4e-1\n", names: []string{"x", "y"}, data: []float64{1.5, -2.25, 3, 0.4},
			kind: timeseries.NumberIndex, numbers: []float64{0, 0.5}, delim: ';', timeNames: []string{"time"}},
		{name: "tab", in: "t\tx\n1\t2\n2\t3\n", names: []string{"x"}, data: []float64{2, 3}, kind: timeseries.NumberIndex, numbers: []float64{1, 2}, delim: '\t', timeNames: []string{"t"}},
		{name: "missing tokens and sentinel", in: "a,b,c\nNA,,-200\n1,NaN,-200.0\nnull,N/A,3\n", opts: []Option{WithSentinel(-200)},
			names: []string{"a", "b", "c"}, data: []float64{nan, nan, nan, 1, nan, nan, nan, nan, 3}, delim: ',', warnings: 3}, // a and c constant, b empty
		{name: "own missing tokens", in: "a\n-\n1\n", opts: []Option{WithMissing("-")}, names: []string{"a"}, data: []float64{nan, 1}, delim: ',', warnings: 1}, // constant
		{name: "ISO timestamps with zones", in: "when,x\n2024-01-01T00:00:00Z,1\n2024-01-01 01:00:00.5+01:00,2\n2024-01-01T00:30:00-01:00,3\n",
			names: []string{"x"}, data: []float64{1, 2, 3}, kind: timeseries.TimeIndex, delim: ',', timeNames: []string{"when"},
			times: []int64{ts("2024-01-01T00:00:00Z"), ts("2024-01-01T00:00:00.5Z"), ts("2024-01-01T01:30:00Z")}},
		{name: "date only", in: "date,x\n2024-02-28,1\n2024-02-29,2\n", names: []string{"x"}, data: []float64{1, 2}, kind: timeseries.TimeIndex, delim: ',',
			times: []int64{ts("2024-02-28T00:00:00Z"), ts("2024-02-29T00:00:00Z")}, timeNames: []string{"date"}},
		{name: "unix seconds", in: "timestamp,x\n1700000000,1\n1700000060,2\n", names: []string{"x"}, data: []float64{1, 2}, kind: timeseries.TimeIndex, delim: ',',
			times: []int64{1700000000e9, 1700000060e9}, timeNames: []string{"timestamp"}},
		{name: "fractional timestamp column is a number index", in: "timestamp,x\n0.5,1\n1.5,2\n", names: []string{"x"}, data: []float64{1, 2},
			kind: timeseries.NumberIndex, numbers: []float64{0.5, 1.5}, delim: ',', timeNames: []string{"timestamp"}},
		{name: "date and time columns, day first", in: "Date;Time;v\n12/03/2004;23:00:00;1\n13/03/2004;00:00:00;2\n", names: []string{"v"}, data: []float64{1, 2},
			kind: timeseries.TimeIndex, times: []int64{ts("2004-03-12T23:00:00Z"), ts("2004-03-13T00:00:00Z")}, delim: ';', timeNames: []string{"Date", "Time"}},
		{name: "date and time columns, dotted clock", in: "Date;Time;v\n12/03/2004;23.00.00;1\n13/03/2004;00.00.00;2\n", names: []string{"v"}, data: []float64{1, 2},
			kind: timeseries.TimeIndex, times: []int64{ts("2004-03-12T23:00:00Z"), ts("2004-03-13T00:00:00Z")}, delim: ';', timeNames: []string{"Date", "Time"}},
		{name: "month first", in: "d,v\n12/31/2004 10:00,1\n01/01/2005 10:00,2\n", names: []string{"v"}, data: []float64{1, 2},
			kind: timeseries.TimeIndex, times: []int64{ts("2004-12-31T10:00:00Z"), ts("2005-01-01T10:00:00Z")}, delim: ',', timeNames: []string{"d"}},
		{name: "date format set", in: "d,v\n01/02/2005,1\n01/03/2005,2\n", opts: []Option{WithDateFormat(DateMDY)}, names: []string{"v"}, data: []float64{1, 2},
			kind: timeseries.TimeIndex, times: []int64{ts("2005-01-02T00:00:00Z"), ts("2005-01-03T00:00:00Z")}, delim: ',', timeNames: []string{"d"}},
		{name: "named time column elsewhere", in: "x,when\n1,3\n2,4\n", opts: []Option{WithTimeColumn("when")}, names: []string{"x"}, data: []float64{1, 2},
			kind: timeseries.NumberIndex, numbers: []float64{3, 4}, delim: ',', timeNames: []string{"when"}},
		{name: "no time column", in: "time,x\n2,1\n1,2\n", opts: []Option{WithNoTimeColumn()}, names: []string{"time", "x"}, data: []float64{2, 1, 1, 2}, delim: ','},
		{name: "columns chosen and ordered", in: "t,a,b,c\n1,2,3,4\n2,5,6,7\n", opts: []Option{WithColumns("c", "a")}, names: []string{"c", "a"}, data: []float64{4, 2, 7, 5},
			kind: timeseries.NumberIndex, numbers: []float64{1, 2}, delim: ',', skipped: []string{"b"}, timeNames: []string{"t"}},
		{name: "non-numeric skipped", in: "t,site,a\n1,north,2\n2,south,3\n", opts: []Option{WithNonNumeric(SkipNonNumeric)}, names: []string{"a"}, data: []float64{2, 3},
			kind: timeseries.NumberIndex, numbers: []float64{1, 2}, delim: ',', skipped: []string{"site"}, warnings: 1, timeNames: []string{"t"}},
		{name: "quoted fields", in: "\"a,1\",\"b \"\"2\"\"\"\n\"1.5\",\" 2 \"\n\"3\",4\n", names: []string{"a,1", "b \"2\""}, data: []float64{1.5, 2, 3, 4}, delim: ','},
		{name: "quoted newline in header", in: "\"a\nb\",c\n1,2\n", names: []string{"a\nb", "c"}, data: []float64{1, 2}, delim: ','},
		{name: "exponents and signs", in: "a,b,c\n+1e3,-0,1.7976931348623157e308\n.5,5.,4.9e-324\n", names: []string{"a", "b", "c"},
			data: []float64{1000, math.Copysign(0, -1), math.MaxFloat64, 0.5, 5, 5e-324}, delim: ','},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, info, err := Read(strings.NewReader(tc.in), "test.csv", tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Names(), tc.names) {
				t.Errorf("names %q, want %q", f.Names(), tc.names)
			}
			if len(f.Data()) != len(tc.data) {
				t.Fatalf("data %v, want %v", f.Data(), tc.data)
			}
			for i, v := range f.Data() {
				if w := tc.data[i]; math.Float64bits(v) != math.Float64bits(w) && !(math.IsNaN(v) && math.IsNaN(w)) {
					t.Errorf("data %v, want %v", f.Data(), tc.data)
					break
				}
			}
			ix := f.Index()
			if ix.Kind != tc.kind || !slices.Equal(ix.Times, tc.times) || !slices.Equal(ix.Numbers, tc.numbers) {
				t.Errorf("index %v %v %v, want %v %v %v", ix.Kind, ix.Times, ix.Numbers, tc.kind, tc.times, tc.numbers)
			}
			if info.Delimiter != tc.delim {
				t.Errorf("delimiter %q, want %q", info.Delimiter, tc.delim)
			}
			if len(info.Warnings) != tc.warnings {
				t.Errorf("warnings %q, want %d", info.Warnings, tc.warnings)
			}
			if !slices.Equal(info.Skipped, tc.skipped) {
				t.Errorf("skipped %q, want %q", info.Skipped, tc.skipped)
			}
			if !slices.Equal(info.TimeColumns, tc.timeNames) {
				t.Errorf("time columns %q, want %q", info.TimeColumns, tc.timeNames)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	// A file whose bad value lies past the detection sample and past the
	// first block, so that the parser, not detection, reports it.
	var long strings.Builder
	long.WriteString("t,a,b\n")
	for i := range 60000 {
		fmt.Fprintf(&long, "%d,%d.25,%d\n", i, i, i%7)
	}
	long.WriteString("60000,oops,1\n")

	tests := []struct {
		name     string
		in       string
		opts     []Option
		err      error
		line     int
		col      int
		contains string
	}{
		{name: "empty file", in: "", err: ErrEmptyFile},
		{name: "blank lines only", in: "\n\r\n\n", err: ErrEmptyFile},
		{name: "header only", in: "a,b\n", err: ErrNoRows, line: 1},
		{name: "header only, no newline", in: "a,b", err: ErrNoRows, line: 1},
		{name: "too many fields", in: "a,b\n1,2\n3,4,5,6\n", err: ErrFieldCount, line: 3, col: 3, contains: "4 fields, the header 2"},
		{name: "too few fields", in: "a,b,c\n1,2,3\n3,4\n", err: ErrFieldCount, line: 3, col: 3, contains: "2 fields, the header 3"},
		{name: "too few fields on the last line", in: "a,b,c\n1,2,3\n3,4", err: ErrFieldCount, line: 3, col: 3},
		{name: "duplicate column", in: "a,b,a\n1,2,3\n", err: ErrDuplicateColumn, line: 1, col: 3, contains: "also column 1"},
		{name: "non-numeric value", in: "t,x,y\n1,2,3\n2,abc,4\n", err: ErrNotNumber, line: 3, col: 2, contains: `parse "abc"`},
		{name: "non-numeric past the sample", in: long.String(), err: ErrNotNumber, line: 60002, col: 2, contains: `"oops"`},
		{name: "Inf", in: "a,b\n1,2\n3,Inf\n", err: ErrInfinite, line: 3, col: 2},
		{name: "overflow", in: "a,b\n1,2\n3,1e400\n", err: ErrInfinite, line: 3, col: 2},
		{name: "duplicated timestamps", in: "time,x\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:00Z,2\n", err: ErrTimeOrder, line: 3, col: 1, contains: "repeats (line 2"},
		{name: "decreasing numbers", in: "t,x\n1,1\n2,2\n1.5,3\n", err: ErrTimeOrder, line: 4, col: 1, contains: "goes back"},
		{name: "missing time", in: "t,x\n1,1\n,2\n", err: ErrTime, line: 3, col: 1},
		{name: "bad date", in: "date,x\n2024-01-01,1\n2024-02-30,2\n", err: ErrTime, line: 3, col: 1},
		{name: "ambiguous date", in: "date,x\n01/02/2024,1\n01/03/2024,2\n", err: ErrAmbiguousDate, col: 1, contains: "WithDateFormat"},
		{name: "unclosed quote at the end", in: "a,b\n1,2\n3,\"4\n", err: ErrQuote, line: 3, col: 2, contains: "not closed"},
		{name: "bare quote", in: "a,b\n1,2\n3,4\"\n", err: ErrQuote, line: 3, col: 2},
		{name: "text after quote", in: "a,b\n1,2\n3,\"4\"x\n", err: ErrQuote, line: 3, col: 2},
		{name: "unknown column", in: "a,b\n1,2\n", opts: []Option{WithColumns("c")}, err: ErrUnknownColumn, contains: `"a", "b"`},
		{name: "no numeric column", in: "t,a\n1,x\n", opts: []Option{WithNonNumeric(SkipNonNumeric)}, err: ErrNoColumns},
		{name: "decimal comma with comma delimiter", in: "a,b\n1,2\n", opts: []Option{WithDecimalComma(true)}, err: ErrOption},
		{name: "dot with decimal comma", in: "a;b\n1,5;2\n1.500;3\n", err: ErrNotNumber, line: 3, col: 1, contains: "thousands"},
		{name: "bad delimiter option", in: "a\n1\n", opts: []Option{WithDelimiter('"')}, err: ErrOption},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Read(strings.NewReader(tc.in), "sensors.csv", tc.opts...)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want a *ParseError", err, err)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("error %v, want %v", err, tc.err)
			}
			if pe.File != "sensors.csv" || pe.Line != tc.line || pe.Column != tc.col {
				t.Errorf("error at %q line %d column %d, want line %d column %d: %v", pe.File, pe.Line, pe.Column, tc.line, tc.col, err)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not say %q", err, tc.contains)
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	_, _, err := Read(strings.NewReader("t,a,b,NOx_GT\n1,2,3,4\n2,2,3,abc\n"), "sensors.csv")
	want := `csvio: "sensors.csv" line 3, column 4 ("NOx_GT"): parse "abc": not a number; `
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start with %q", err, want)
	}
}

func TestReadFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.csv")
	_, _, err := ReadFile(path)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != path || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error %v, want a *ParseError for %q wrapping os.ErrNotExist", err, path)
	}
}

// TestReadBlocks reads a file of several blocks with quoted fields and
// newlines inside quotes crossing block boundaries, and checks every value
// and the line of an error near the end.
func TestReadBlocks(t *testing.T) {
	const rows = 150000
	var b strings.Builder
	b.WriteString("t,\"a\",b\n")
	for i := range rows {
		if i%1000 == 999 {
			fmt.Fprintf(&b, "%d,\"%d.5\",\"%d\"\n", i, i, -i)
		} else {
			fmt.Fprintf(&b, "%d,%d.5,%d\n", i, i, -i)
		}
	}
	in := b.String()
	f, _, err := Read(strings.NewReader(in), "big.csv")
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows() != rows {
		t.Fatalf("%d rows, want %d", f.Rows(), rows)
	}
	for i := range rows {
		if f.At(i, 0) != float64(i)+0.5 || f.At(i, 1) != -float64(i) || f.Index().Numbers[i] != float64(i) {
			t.Fatalf("row %d: %v %v %v", i, f.Index().Numbers[i], f.At(i, 0), f.At(i, 1))
		}
	}
	// A time going back at the start of a later block is still caught with
	// its line: the first rows of each block are checked against the last
	// row of the block before.
	lines := strings.SplitAfter(in, "\n")
	for _, bad := range []int{2, 80000, rows} {
		mod := slices.Clone(lines)
		mod[bad] = "0,1,1\n" // line bad+1 repeats time 0
		_, _, err := Read(strings.NewReader(strings.Join(mod, "")), "big.csv")
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, ErrTimeOrder) || pe.Line != bad+1 {
			t.Errorf("time reset at line %d: error %v", bad+1, err)
		}
	}
	// A quoted field holding newlines across a block boundary.
	var q strings.Builder
	q.WriteString("a,note\n")
	for i := range 200000 {
		if i == 100000 {
			q.WriteString("1,\"" + strings.Repeat("x\n", 300000) + "\"\n") // over a block
			continue
		}
		q.WriteString("1,2\n")
	}
	q.WriteString("z,1\n")
	_, _, err = Read(strings.NewReader(q.String()), "quoted.csv", WithColumns("a"))
	var pe *ParseError
	// Line of "1,z": header, 200000 records, 300000 newlines inside quotes.
	if !errors.As(err, &pe) || !errors.Is(err, ErrNotNumber) || pe.Line != 1+200000+300000+1 {
		t.Errorf("error %v, want not a number at line %d", err, 1+200000+300000+1)
	}
}

func TestScanFloat(t *testing.T) {
	// Each input is compared with strconv.ParseFloat, the reference.
	for _, s := range []string{"0", "-0", "1", "1.5", "-2.25", "123456789012345678", "1234567890123456789", "12345678901234567890",
		"9007199254740993", "0.1", "1e22", "1e23", "1e-22", "1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308",
		"0.000001", "3.141592653589793", "1e", "1e+", ".", "+.5", "5.", "-.e1", "0x1p3", "inf", "1_0", "1,5", "00012.5000"} {
		want, werr := strconv.ParseFloat(s, 64)
		got, err := parseFloat([]byte(s), '.')
		if (err == nil) != (werr == nil) || (werr == nil && math.Float64bits(got) != math.Float64bits(want)) {
			t.Errorf("parseFloat(%q) = %v, %v; strconv gives %v, %v", s, got, err, want, werr)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	// Reference: time.Parse.
	for _, s := range []string{"1970-01-01T00:00:00Z", "2004-03-10T18:00:00Z", "2000-02-29T23:59:59.999999999Z",
		"1900-03-01T00:00:00Z", "2262-04-11T00:00:00Z", "1677-09-22T00:00:00Z", "2024-06-30T12:34:56.5+05:30", "1999-12-31T23:59:59-08:00"} {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseTimestamp([]byte(s), DateISO)
		if err != nil || got != want.UnixNano() {
			t.Errorf("parseTimestamp(%q) = %v, %v; want %v", s, got, err, want.UnixNano())
		}
	}
	for _, s := range []string{"2024-13-01", "2024-02-30", "2023-02-29", "2024-01-01T24:00:00", "2024-01-01T12:60", "2024-01-01T12:00:00+25:00", "2024-1-1x", "99999-01-01", "1500-01-01"} {
		if _, err := parseTimestamp([]byte(s), DateISO); err == nil {
			t.Errorf("parseTimestamp(%q) succeeded", s)
		}
	}
}
