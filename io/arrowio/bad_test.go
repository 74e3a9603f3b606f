package arrowio_test

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/vica-dev/vica/io/arrowio"
	"github.com/vica-dev/vica/timeseries"
)

var allFormats = []struct {
	ext    string
	format arrowio.Format
}{{".arrow", arrowio.FormatFile}, {".arrows", arrowio.FormatStream}, {".parquet", arrowio.FormatParquet}}

func TestFormatOf(t *testing.T) {
	cases := []struct {
		path string
		want arrowio.Format
	}{
		{"a.arrow", arrowio.FormatFile}, {"dir.x/a.FEATHER", arrowio.FormatFile},
		{"a.arrows", arrowio.FormatStream}, {"a.ipc", arrowio.FormatStream},
		{"a.Parquet", arrowio.FormatParquet},
	}
	for _, c := range cases {
		got, err := arrowio.FormatOf(c.path)
		if err != nil || got != c.want {
			t.Errorf("FormatOf(%q) = %v, %v; want %v", c.path, got, err, c.want)
		}
	}
	for _, path := range []string{"a.csv", "a", "a.arrow.gz"} {
		_, err := arrowio.FormatOf(path)
		if !errors.Is(err, arrowio.ErrFormat) {
			t.Errorf("FormatOf(%q): error %v, want ErrFormat", path, err)
			continue
		}
		if !strings.Contains(err.Error(), ".feather") || !strings.Contains(err.Error(), ".parquet") {
			t.Errorf("FormatOf(%q): error %q does not list the known extensions", path, err)
		}
	}
	f, _ := timeseries.New([]string{"a"}, []float64{1}, nil)
	path := filepath.Join(t.TempDir(), "out.xlsx")
	if err := arrowio.WriteFile(path, f, nil); !errors.Is(err, arrowio.ErrFormat) {
		t.Errorf("WriteFile to .xlsx: error %v, want ErrFormat", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteFile to .xlsx left a file: %v", err)
	}
}

// validFile writes a small valid file of the given format and returns its bytes.
func validFile(t testing.TB, format arrowio.Format, opts *arrowio.WriteOptions) []byte {
	t.Helper()
	f := newFrame(t, rand.New(rand.NewPCG(5, 5)), 2000, 3, timeseries.TimeIndex, 0.05)
	var buf bytes.Buffer
	if err := arrowio.Write(&buf, format, f, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	zeroRows := func(format arrowio.Format) []byte {
		f, err := timeseries.New([]string{"a", "b"}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := arrowio.Write(&buf, format, f, nil); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	type tc struct {
		name string
		path string
		want error
	}
	cases := []tc{
		{"missing file", filepath.Join(dir, "nope.arrow"), fs.ErrNotExist},
		{"directory", dir, nil},
		{"not arrow", write("text.arrow", []byte("time,a\n1,2\n")), arrowio.ErrCorrupt},
		{"unknown content and extension", write("text.dat", []byte("time,a\n1,2\n")), arrowio.ErrFormat},
	}
	for _, ff := range allFormats {
		cases = append(cases,
			tc{"empty" + ff.ext, write("empty"+ff.ext, nil), arrowio.ErrEmptyFile},
			tc{"zero rows" + ff.ext, write("zero"+ff.ext, zeroRows(ff.format)), arrowio.ErrNoRows},
		)
		valid := validFile(t, ff.format, nil)
		cases = append(cases, tc{"truncated to half" + ff.ext, write("half"+ff.ext, valid[:len(valid)/2]), arrowio.ErrCorrupt})
		cases = append(cases, tc{"last byte cut" + ff.ext, write("cut"+ff.ext, valid[:len(valid)-1]), arrowio.ErrCorrupt})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, _, err := arrowio.ReadFile(c.path, nil)
			if err == nil {
				t.Fatalf("read %d rows, want an error", f.Rows())
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			var e *arrowio.Error
			if !errors.As(err, &e) || e.File != c.path || !strings.Contains(err.Error(), filepath.Base(c.path)) {
				t.Errorf("error %q does not carry the file name", err)
			}
		})
	}
}

// TestCorrupt flips bytes in the middle of valid files. Parquet pages
// written with zstd (the default) carry checksums, so any damage to the data
// must be an error. Arrow IPC has no checksums (and arrow-go's zstd reader
// stops before a frame's checksum), so a flipped value is undetectable
// there; damage to the length of a message in the middle must be an error.
func TestCorrupt(t *testing.T) {
	cases := []struct {
		name   string
		format arrowio.Format
		opts   *arrowio.WriteOptions
	}{
		{"parquet", arrowio.FormatParquet, nil},
		{"parquet-small-batches", arrowio.FormatParquet, &arrowio.WriteOptions{BatchSize: 100}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			valid := validFile(t, c.format, c.opts)
			bad := bytes.Clone(valid)
			mid := len(bad) / 2
			for i := mid; i < mid+8; i++ {
				bad[i] ^= 0x5a
			}
			if f, _, err := arrowio.Read(bytes.NewReader(bad), nil); err == nil {
				t.Fatalf("read %d rows from a file with bytes %d..%d flipped, want an error", f.Rows(), mid, mid+7)
			} else if !errors.Is(err, arrowio.ErrCorrupt) {
				t.Errorf("error %v, want ErrCorrupt", err)
			}
		})
	}
	// Uncompressed IPC stream written in several batches: damage the
	// metadata length of a message near the middle (found by its
	// continuation marker).
	valid := validFile(t, arrowio.FormatStream, &arrowio.WriteOptions{BatchSize: 100})
	at := bytes.Index(valid[len(valid)/2:], []byte{0xff, 0xff, 0xff, 0xff})
	if at < 0 {
		t.Fatal("no message header after the middle of the stream")
	}
	at += len(valid) / 2
	for _, flip := range []int{4, 5, 6, 7} {
		bad := bytes.Clone(valid)
		bad[at+flip] ^= 0xa5
		if f, _, err := arrowio.Read(bytes.NewReader(bad), nil); err == nil {
			t.Errorf("stream: flip at %d: read %d rows without error", at+flip, f.Rows())
		}
	}
	// The IPC file format locates its batches through the footer (its
	// length and magic are the last 10 bytes), not through the messages.
	valid = validFile(t, arrowio.FormatFile, &arrowio.WriteOptions{BatchSize: 100})
	for back := 1; back <= 10; back++ {
		bad := bytes.Clone(valid)
		bad[len(bad)-back] ^= 0xa5
		if f, _, err := arrowio.Read(bytes.NewReader(bad), nil); err == nil {
			t.Errorf("file: flip %d bytes from the end: read %d rows without error", back, f.Rows())
		}
	}
}

// TestNoPanic damages valid files at many places and lengths; every read
// must return (a frame or an error) rather than panic.
func TestNoPanic(t *testing.T) {
	for _, ff := range allFormats {
		for _, opts := range []*arrowio.WriteOptions{nil, {Compression: arrowio.CompressionNone, BatchSize: 300}} {
			valid := validFile(t, ff.format, opts)
			rng := rand.New(rand.NewPCG(7, uint64(ff.format)))
			for range 150 {
				bad := bytes.Clone(valid)
				switch rng.IntN(3) {
				case 0:
					bad = bad[:rng.IntN(len(bad))]
				case 1:
					bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
				default:
					at := rng.IntN(len(bad) - 4)
					copy(bad[at:], []byte{0xff, 0xff, 0xff, 0x7f})
				}
				func() {
					defer func() {
						if p := recover(); p != nil {
							t.Fatalf("%v: panic escaped: %v", ff.format, p)
						}
					}()
					arrowio.Read(bytes.NewReader(bad), nil)
					arrowio.Read(struct{ *bytes.Buffer }{bytes.NewBuffer(bad)}, nil)
				}()
			}
		}
	}
}

func TestStreamWithoutEnd(t *testing.T) {
	valid := validFile(t, arrowio.FormatStream, &arrowio.WriteOptions{BatchSize: 500})
	// Cutting off the 8-byte end-of-stream marker leaves a stream that
	// ends cleanly between messages: only the missing marker tells.
	_, _, err := arrowio.Read(bytes.NewReader(valid[:len(valid)-8]), nil)
	if !errors.Is(err, arrowio.ErrCorrupt) || !strings.Contains(err.Error(), "end-of-stream") {
		t.Errorf("error %v, want ErrCorrupt about the end-of-stream marker", err)
	}
}

// writeRecord writes one foreign record batch in format and returns the path.
func writeRecord(t *testing.T, name string, fields []arrow.Field, fill func(b *array.RecordBuilder), format arrowio.Format) string {
	t.Helper()
	b := array.NewRecordBuilder(memory.NewGoAllocator(), arrow.NewSchema(fields, nil))
	defer b.Release()
	fill(b)
	rec := b.NewRecordBatch()
	defer rec.Release()
	path := filepath.Join(t.TempDir(), name)
	writeForeign(t, path, rec, format)
	return path
}

func TestBadColumns(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Second}
	f64 := arrow.PrimitiveTypes.Float64
	times := func(v []arrow.Timestamp, valid []bool) func(b *array.RecordBuilder) {
		return func(b *array.RecordBuilder) {
			b.Field(0).(*array.TimestampBuilder).AppendValues(v, valid)
			b.Field(1).(*array.Float64Builder).AppendValues(make([]float64, len(v)), nil)
		}
	}
	cases := []struct {
		name   string
		fields []arrow.Field
		fill   func(b *array.RecordBuilder)
		want   error
		says   string
	}{
		{"duplicate names", []arrow.Field{{Name: "a", Type: f64}, {Name: "b", Type: f64}, {Name: "a", Type: f64}},
			func(b *array.RecordBuilder) {
				for i := range 3 {
					b.Field(i).(*array.Float64Builder).AppendValues([]float64{1, 2}, nil)
				}
			}, timeseries.ErrDuplicate, `column "a": timeseries: duplicate channel name (columns 1 and 3)`},
		{"decreasing time", []arrow.Field{{Name: "t", Type: ts}, {Name: "x", Type: f64}},
			times([]arrow.Timestamp{10, 20, 15}, nil), timeseries.ErrIndexOrder, `column "t", row 3`},
		{"duplicated time", []arrow.Field{{Name: "t", Type: ts}, {Name: "x", Type: f64}},
			times([]arrow.Timestamp{10, 20, 20}, nil), timeseries.ErrIndexOrder, `column "t", row 3`},
		{"missing time", []arrow.Field{{Name: "t", Type: ts, Nullable: true}, {Name: "x", Type: f64}},
			times([]arrow.Timestamp{10, 20, 30}, []bool{true, false, true}), arrowio.ErrTime, `column "t", row 2`},
		{"time overflow", []arrow.Field{{Name: "t", Type: ts}, {Name: "x", Type: f64}},
			times([]arrow.Timestamp{10, math.MaxInt64 / 10}, nil), arrowio.ErrTime, `column "t", row 2`},
		{"only strings", []arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}},
			func(b *array.RecordBuilder) { b.Field(0).(*array.StringBuilder).AppendValues([]string{"x"}, nil) },
			arrowio.ErrNonNumeric, `"s" (utf8)`},
	}
	for _, c := range cases {
		for _, ff := range allFormats {
			if ff.format == arrowio.FormatParquet && (c.name == "duplicate names" || c.name == "time overflow") {
				continue // pqarrow refuses to write these
			}
			t.Run(c.name+ff.ext, func(t *testing.T) {
				path := writeRecord(t, "bad"+ff.ext, c.fields, c.fill, ff.format)
				_, _, err := arrowio.ReadFile(path, nil)
				if !errors.Is(err, c.want) {
					t.Fatalf("error %v, want %v", err, c.want)
				}
				if !strings.Contains(err.Error(), c.says) {
					t.Errorf("error %q does not say %s", err, c.says)
				}
			})
		}
	}
	// With skipping, a file of strings only has no numeric columns.
	path := writeRecord(t, "s.arrow", cases[len(cases)-1].fields, cases[len(cases)-1].fill, arrowio.FormatFile)
	if _, _, err := arrowio.ReadFile(path, &arrowio.ReadOptions{NonNumeric: arrowio.NonNumericSkip}); !errors.Is(err, arrowio.ErrNoColumns) {
		t.Errorf("error %v, want ErrNoColumns", err)
	}
}

// An all-missing column and a constant column are data, not errors: they
// read as NaN and as the constant, for the caller's missing-value policy
// and checks to judge.
func TestAllMissingAndConstant(t *testing.T) {
	nan := math.NaN()
	f, err := timeseries.New([]string{"gone", "flat"}, []float64{nan, 3, nan, 3, nan, 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ff := range allFormats {
		path := filepath.Join(t.TempDir(), "x"+ff.ext)
		if err := arrowio.WriteFile(path, f, nil); err != nil {
			t.Fatal(err)
		}
		got, _, err := arrowio.ReadFile(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		sameFrame(t, f, got)
	}
}
