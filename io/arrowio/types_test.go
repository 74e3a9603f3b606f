package arrowio_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/vica-dev/vica/io/arrowio"
	"github.com/vica-dev/vica/timeseries"
)

// typedRecord is a record batch of every column type the reader accepts,
// as another producer (pyarrow, a data platform) would write it, and the
// frame it must read as. The expected values are the inputs converted by
// Go's own float64 conversion, independently of the reader's code.
func typedRecord(t *testing.T, unit arrow.TimeUnit, tz string) (arrow.RecordBatch, []string, []float64, []int64) {
	t.Helper()
	mem := memory.NewGoAllocator()
	const rows = 5
	valid := []bool{true, false, true, true, true} // row 2 is null in every channel
	tsType := &arrow.TimestampType{Unit: unit, TimeZone: tz}
	fields := []arrow.Field{
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "when", Type: tsType},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
		{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "f16", Type: arrow.FixedWidthTypes.Float16, Nullable: true},
		{Name: "empty", Type: arrow.Null, Nullable: true},
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	f64 := []float64{1.5, 0, -2.25e300, math.SmallestNonzeroFloat64, -0.0}
	f32 := []float32{0.1, 0, -3.5, math.MaxFloat32, 1e-40}
	i8 := []int8{math.MinInt8, 0, -1, math.MaxInt8, 7}
	i16 := []int16{math.MinInt16, 0, 300, math.MaxInt16, -7}
	i32 := []int32{math.MinInt32, 0, 70000, math.MaxInt32, -7}
	i64 := []int64{math.MinInt64, 0, 1 << 53, math.MaxInt64, -7}
	u8 := []uint8{0, 0, 1, math.MaxUint8, 7}
	u16 := []uint16{0, 0, 1, math.MaxUint16, 7}
	u32 := []uint32{0, 0, 1, math.MaxUint32, 7}
	u64 := []uint64{0, 0, 1, math.MaxUint64, 7}
	f16 := []float32{0.5, 0, -2, 65504, 0.099975586} // exactly representable in float16
	base := time.Date(2004, 3, 10, 18, 0, 0, 0, time.UTC)
	stamps := make([]arrow.Timestamp, rows)
	wantTimes := make([]int64, rows)
	for i := range stamps {
		at := base.Add(time.Duration(i) * time.Hour)
		ts, err := arrow.TimestampFromTime(at, unit)
		if err != nil {
			t.Fatal(err)
		}
		stamps[i] = ts
		wantTimes[i] = at.UnixNano()
	}
	b.Field(0).(*array.Float64Builder).AppendValues(f64, valid)
	b.Field(1).(*array.TimestampBuilder).AppendValues(stamps, nil)
	b.Field(2).(*array.Float32Builder).AppendValues(f32, valid)
	b.Field(3).(*array.Int8Builder).AppendValues(i8, valid)
	b.Field(4).(*array.Int16Builder).AppendValues(i16, valid)
	b.Field(5).(*array.Int32Builder).AppendValues(i32, valid)
	b.Field(6).(*array.Int64Builder).AppendValues(i64, valid)
	b.Field(7).(*array.Uint8Builder).AppendValues(u8, valid)
	b.Field(8).(*array.Uint16Builder).AppendValues(u16, valid)
	b.Field(9).(*array.Uint32Builder).AppendValues(u32, valid)
	b.Field(10).(*array.Uint64Builder).AppendValues(u64, valid)
	h := make([]float16.Num, rows)
	for i, v := range f16 {
		h[i] = float16.New(v)
	}
	b.Field(11).(*array.Float16Builder).AppendValues(h, valid)
	b.Field(12).(*array.NullBuilder).AppendNulls(rows)
	rec := b.NewRecordBatch()

	names := []string{"f64", "f32", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f16", "empty"}
	want := make([]float64, 0, rows*len(names))
	for i := range rows {
		row := []float64{f64[i], float64(f32[i]), float64(i8[i]), float64(i16[i]), float64(i32[i]), float64(i64[i]),
			float64(u8[i]), float64(u16[i]), float64(u32[i]), float64(u64[i]), float64(f16[i]), math.NaN()}
		if !valid[i] {
			for c := range row {
				row[c] = math.NaN()
			}
		}
		want = append(want, row...)
	}
	return rec, names, want, wantTimes
}

// writeForeign writes rec with arrow-go directly, as a foreign producer.
func writeForeign(t *testing.T, path string, rec arrow.RecordBatch, format arrowio.Format) {
	t.Helper()
	var buf bytes.Buffer
	switch format {
	case arrowio.FormatFile:
		w, err := ipc.NewFileWriter(&buf, ipc.WithSchema(rec.Schema()))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	case arrowio.FormatStream:
		w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	case arrowio.FormatParquet:
		w, err := pqarrow.NewFileWriter(rec.Schema(), &buf, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadTypes(t *testing.T) {
	units := []struct {
		unit arrow.TimeUnit
		tz   string
	}{{arrow.Second, ""}, {arrow.Millisecond, "Europe/Berlin"}, {arrow.Microsecond, "UTC"}, {arrow.Nanosecond, "America/New_York"}}
	for _, u := range units {
		for _, format := range []arrowio.Format{arrowio.FormatFile, arrowio.FormatStream, arrowio.FormatParquet} {
			t.Run(u.unit.String()+"/"+format.String(), func(t *testing.T) {
				rec, names, want, times := typedRecord(t, u.unit, u.tz)
				defer rec.Release()
				dir := t.TempDir()
				path := filepath.Join(dir, "typed"+map[arrowio.Format]string{arrowio.FormatFile: ".arrow", arrowio.FormatStream: ".arrows", arrowio.FormatParquet: ".parquet"}[format])
				writeForeign(t, path, rec, format)
				got, _, err := arrowio.ReadFile(path, nil)
				if err != nil {
					t.Fatal(err)
				}
				wantFrame, err := timeseries.New(names, want, &timeseries.Index{Name: "when", Kind: timeseries.TimeIndex, Times: times})
				if err != nil {
					t.Fatal(err)
				}
				sameFrame(t, wantFrame, got)

				// Frame -> Arrow -> Parquet -> Arrow keeps every converted
				// value bit for bit.
				cur := got
				for _, name := range []string{"a.arrow", "b.parquet", "c.arrow"} {
					p := filepath.Join(dir, name)
					if err := arrowio.WriteFile(p, cur, nil); err != nil {
						t.Fatal(err)
					}
					if cur, _, err = arrowio.ReadFile(p, nil); err != nil {
						t.Fatal(err)
					}
					sameFrame(t, wantFrame, cur)
				}
			})
		}
	}
}

func TestReadOptions(t *testing.T) {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "label", Type: arrow.BinaryTypes.String},
		{Name: "secs", Type: arrow.PrimitiveTypes.Int64},
		{Name: "a", Type: arrow.PrimitiveTypes.Float64},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "b", Type: arrow.PrimitiveTypes.Float32},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"x", "y", "z"}, nil)
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{10, 20, 30}, nil)
	b.Field(2).(*array.Float64Builder).AppendValues([]float64{1, 2, 3}, nil)
	b.Field(3).(*array.BooleanBuilder).AppendValues([]bool{true, false, true}, nil)
	b.Field(4).(*array.Float32Builder).AppendValues([]float32{4, 5, 6}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "mixed.arrow")
	writeForeign(t, path, rec, arrowio.FormatFile)

	t.Run("non-numeric is an error naming them", func(t *testing.T) {
		_, _, err := arrowio.ReadFile(path, nil)
		if !errors.Is(err, arrowio.ErrNonNumeric) {
			t.Fatalf("error %v, want ErrNonNumeric", err)
		}
		for _, s := range []string{`"label" (utf8)`, `"ok" (bool)`, "mixed.arrow"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not name %s", err, s)
			}
		}
	})
	t.Run("skip", func(t *testing.T) {
		f, info, err := arrowio.ReadFile(path, &arrowio.ReadOptions{NonNumeric: arrowio.NonNumericSkip, TimeColumn: "secs"})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := timeseries.New([]string{"a", "b"}, []float64{1, 4, 2, 5, 3, 6},
			&timeseries.Index{Name: "secs", Kind: timeseries.NumberIndex, Numbers: []float64{10, 20, 30}})
		sameFrame(t, want, f)
		if len(info.Skipped) != 2 || info.Skipped[0].Name != "label" || info.Skipped[1].Name != "ok" {
			t.Errorf("skipped %v, want label and ok", info.Skipped)
		}
	})
	t.Run("columns in the order asked", func(t *testing.T) {
		f, _, err := arrowio.ReadFile(path, &arrowio.ReadOptions{Columns: []string{"b", "secs"}})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := timeseries.New([]string{"b", "secs"}, []float64{4, 10, 5, 20, 6, 30}, nil)
		sameFrame(t, want, f)
	})
	bad := []struct {
		name string
		opts arrowio.ReadOptions
		want error
		says string
	}{
		{"unknown column", arrowio.ReadOptions{Columns: []string{"nope"}}, timeseries.ErrUnknown, `"nope"`},
		{"non-numeric column asked", arrowio.ReadOptions{Columns: []string{"label"}}, arrowio.ErrNonNumeric, `"label"`},
		{"column asked twice", arrowio.ReadOptions{Columns: []string{"a", "a"}}, timeseries.ErrDuplicate, `"a"`},
		{"string time column", arrowio.ReadOptions{TimeColumn: "label", NonNumeric: arrowio.NonNumericSkip}, arrowio.ErrNonNumeric, `"label"`},
		{"unknown time column", arrowio.ReadOptions{TimeColumn: "t"}, timeseries.ErrUnknown, `"t"`},
		{"numeric time column", arrowio.ReadOptions{TimeColumn: "a", NonNumeric: arrowio.NonNumericSkip}, nil, ""},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := arrowio.ReadFile(path, &tc.opts)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %s", err, tc.says)
			}
		})
	}
}
