package arrowio

import (
	"bufio"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/vica-dev/vica/internal/atomicfile"
	"github.com/vica-dev/vica/timeseries"
)

// Compression is the compression of a written file.
type Compression int

const (
	// CompressionDefault is zstd for Parquet and none for Arrow IPC (whose
	// point is fast, zero-copy reading).
	CompressionDefault Compression = iota
	// CompressionNone writes uncompressed data.
	CompressionNone
	// CompressionZstd compresses with zstd, whose frames carry checksums.
	CompressionZstd
)

// WriteOptions are the settings of a write. The zero value (or a nil
// pointer) works.
type WriteOptions struct {
	// Format overrides the format WriteFile takes from the extension.
	Format Format
	// BatchSize is the number of rows per record batch. Default 65536.
	BatchSize int
	// Compression is the compression. Default CompressionDefault.
	Compression Compression
}

// IndexKey is the schema metadata key under which a written file names its
// time index column, so that a number index is read back as the index
// rather than as a channel.
const IndexKey = "vica:index"

// DefaultIndexName is the name of the time column written for an index
// whose Name is empty.
const DefaultIndexName = "time"

// Parquet row groups of this many rows keep a column chunk at 8 MB of
// float64, small enough to read page by page and large enough to compress.
const rowGroupRows = 1 << 20

// WriteFile writes f to path in the format of its extension (or
// opts.Format). It writes a temporary file in the same directory and
// renames it into place, so path is either left as it was or fully
// written; the temporary file is removed on failure. An existing file keeps
// its permissions; a new one gets 0644.
func WriteFile(path string, f *timeseries.Frame, opts *WriteOptions) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = recovered("write", path, p)
		}
	}()
	var o WriteOptions
	if opts != nil {
		o = *opts
	}
	format := o.Format
	if format == FormatUnknown {
		if format, err = FormatOf(path); err != nil {
			return &Error{Op: "write", File: path, Err: err}
		}
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		// The writers issue many small writes; and pqarrow closes a writer
		// that is an io.Closer, which must stay ours to close.
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := write(struct{ io.Writer }{bw}, format, f, &o); err != nil {
			return errOf(err)
		}
		return bw.Flush()
	})
	if err != nil {
		return &Error{Op: "write", File: path, Err: err}
	}
	return nil
}

// errOf unwraps an *Error from write so that WriteFile can name the file.
func errOf(err error) error {
	if e, ok := err.(*Error); ok {
		return e.Err
	}
	return err
}

// Write writes f to w in the given format. If w is an io.Closer, the
// Parquet writer closes it when done. Nothing is buffered beyond a
// record batch (Arrow) or a row group (Parquet).
func Write(w io.Writer, format Format, f *timeseries.Frame, opts *WriteOptions) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = recovered("write", "", p)
		}
	}()
	var o WriteOptions
	if opts != nil {
		o = *opts
	}
	return write(w, format, f, &o)
}

// batchWriter is what the IPC file, IPC stream and Parquet writers share.
type batchWriter interface {
	Write(rec arrow.RecordBatch) error
	Close() error
}

func write(w io.Writer, format Format, f *timeseries.Frame, o *WriteOptions) error {
	fail := func(err error) error { return &Error{Op: "write", Err: err} }
	if f == nil {
		return fail(fmt.Errorf("nil frame"))
	}
	schema, err := schemaOf(f)
	if err != nil {
		return fail(err)
	}
	var bw batchWriter
	switch format {
	case FormatFile, FormatStream:
		opts := []ipc.Option{ipc.WithSchema(schema)}
		if o.Compression == CompressionZstd {
			opts = append(opts, ipc.WithZstd())
		}
		if format == FormatFile {
			if bw, err = ipc.NewFileWriter(w, opts...); err != nil {
				return fail(err)
			}
		} else {
			bw = ipc.NewWriter(w, opts...)
		}
	case FormatParquet:
		codec := compress.Codecs.Zstd
		if o.Compression == CompressionNone {
			codec = compress.Codecs.Uncompressed
		}
		props := parquet.NewWriterProperties(
			parquet.WithCompression(codec),
			// zstd's fastest level (level 3 took 20% longer to write
			// BenchmarkWrite's random data); its frames carry the same
			// checksums.
			parquet.WithCompressionLevel(1),
			// Measured signals rarely repeat exactly; dictionaries would
			// cost time and be dropped.
			parquet.WithDictionaryDefault(false),
			parquet.WithMaxRowGroupLength(rowGroupRows),
		)
		pw, err := pqarrow.NewFileWriter(schema, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
		if err != nil {
			return fail(err)
		}
		bw = pw
	default:
		return fail(fmt.Errorf("%w: %v", ErrFormat, format))
	}

	batch := o.BatchSize
	if batch <= 0 {
		batch = defaultBatchSize
	}
	enc := newEncoder(f, schema, min(batch, max(f.Rows(), 1)))
	for start := 0; start < f.Rows(); start += batch {
		rec := enc.record(start, min(start+batch, f.Rows()))
		err := bw.Write(rec)
		rec.Release()
		if err != nil {
			bw.Close()
			return fail(err)
		}
	}
	if err := bw.Close(); err != nil {
		return fail(err)
	}
	return nil
}

func schemaOf(f *timeseries.Frame) (*arrow.Schema, error) {
	fields := make([]arrow.Field, 0, f.Channels()+1)
	ix := f.Index()
	if ix.Kind != timeseries.NoIndex {
		name := ix.Name
		if name == "" {
			name = DefaultIndexName
		}
		if c := f.Lookup(name); c >= 0 {
			return nil, fmt.Errorf("%w %q: the time index and channel %d", timeseries.ErrDuplicate, name, c+1)
		}
		t := arrow.DataType(arrow.PrimitiveTypes.Float64)
		if ix.Kind == timeseries.TimeIndex {
			t = &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
		}
		fields = append(fields, arrow.Field{Name: name, Type: t})
	}
	for _, n := range f.Names() {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
	}
	var meta *arrow.Metadata
	if ix.Kind != timeseries.NoIndex {
		m := arrow.NewMetadata([]string{IndexKey}, []string{fields[0].Name})
		meta = &m
	}
	return arrow.NewSchema(fields, meta), nil
}

// encoder builds record batches from row ranges of a frame. Its buffers
// are reused from batch to batch: the writers have encoded or written a
// batch's buffers by the time Write returns.
type encoder struct {
	f      *timeseries.Frame
	schema *arrow.Schema
	vals   [][]float64
	valid  [][]byte
	times  []int64
	nums   []float64
}

func newEncoder(f *timeseries.Frame, schema *arrow.Schema, batch int) *encoder {
	e := &encoder{f: f, schema: schema, vals: make([][]float64, f.Channels()), valid: make([][]byte, f.Channels())}
	for c := range e.vals {
		e.vals[c] = make([]float64, batch)
		e.valid[c] = make([]byte, bitutil.BytesForBits(int64(batch)))
	}
	switch f.Index().Kind {
	case timeseries.TimeIndex:
		e.times = make([]int64, batch)
	case timeseries.NumberIndex:
		e.nums = make([]float64, batch)
	}
	return e
}

func (e *encoder) record(start, end int) arrow.RecordBatch {
	n := end - start
	nch := e.f.Channels()
	data := e.f.Data()[start*nch : end*nch]
	cols := make([]arrow.Array, 0, nch+1)
	ix := e.f.Index()
	switch ix.Kind {
	case timeseries.TimeIndex:
		copy(e.times, ix.Times[start:end])
		buf := memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(e.times[:n]))
		cols = append(cols, array.MakeFromData(array.NewData(e.schema.Field(0).Type, n, []*memory.Buffer{nil, buf}, nil, 0, 0)))
	case timeseries.NumberIndex:
		copy(e.nums, ix.Numbers[start:end])
		buf := memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(e.nums[:n]))
		cols = append(cols, array.MakeFromData(array.NewData(arrow.PrimitiveTypes.Float64, n, []*memory.Buffer{nil, buf}, nil, 0, 0)))
	}
	for c := range nch {
		vals, valid := e.vals[c][:n], e.valid[c][:bitutil.BytesForBits(int64(n))]
		clear(valid)
		nulls := 0
		for i := range vals {
			v := data[i*nch+c]
			if math.IsNaN(v) {
				// Arrow leaves a null slot's value undefined; zero keeps
				// the file deterministic.
				v = 0
				nulls++
			} else {
				bitutil.SetBit(valid, i)
			}
			vals[i] = v
		}
		bufs := []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(vals))}
		if nulls > 0 {
			bufs[0] = memory.NewBufferBytes(valid)
		}
		cols = append(cols, array.MakeFromData(array.NewData(arrow.PrimitiveTypes.Float64, n, bufs, nil, nulls, 0)))
	}
	rec := array.NewRecordBatch(e.schema, cols, int64(n))
	for _, a := range cols {
		a.Release()
	}
	return rec
}
