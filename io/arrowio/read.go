package arrowio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/vica-dev/vica/timeseries"
)

// NonNumeric says what a reader does with columns that are not numbers.
type NonNumeric int

const (
	// NonNumericError fails, naming every non-numeric column.
	NonNumericError NonNumeric = iota
	// NonNumericSkip leaves them out and lists them in Info.Skipped.
	NonNumericSkip
)

// ReadOptions are the settings of a read. The zero value (or a nil pointer)
// reads every numeric column, takes the first timestamp or date column as
// the time index, and fails on non-numeric columns.
type ReadOptions struct {
	// Columns, if not empty, are the channels to read, in this order.
	// Each must exist once in the file and be numeric. Default: every
	// numeric column in file order.
	Columns []string
	// TimeColumn names the column that becomes the time index: a
	// timestamp or date column gives a TimeIndex, a numeric column a
	// NumberIndex. Default: the column named by the schema metadata
	// IndexKey (files written by this package), else the first timestamp
	// or date column, if any.
	TimeColumn string
	// NonNumeric says what to do with columns that are neither numeric
	// nor the time index. Default: NonNumericError.
	NonNumeric NonNumeric
	// BatchSize is the number of rows per batch read from Parquet.
	// Default 65536. Arrow IPC is read in the batches it was written in.
	BatchSize int
}

// Field is a column of a file: its name and Arrow type.
type Field struct {
	Name string
	Type string
}

// Info describes what a read found.
type Info struct {
	// Format is the format of the content.
	Format Format
	// Batches is the number of record batches read.
	Batches int
	// Skipped lists the non-numeric columns left out under NonNumericSkip.
	Skipped []Field
}

const defaultBatchSize = 1 << 16

// ReadFile reads the Arrow IPC file or stream, or Parquet file, at path.
// The format is recognised from the content (see the package comment).
func ReadFile(path string, opts *ReadOptions) (fr *timeseries.Frame, info *Info, err error) {
	defer func() {
		if r := recover(); r != nil {
			fr, info, err = nil, nil, recovered("read", path, r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &Error{Op: "read", File: path, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, &Error{Op: "read", File: path, Err: err}
	}
	if st.IsDir() {
		return nil, nil, &Error{Op: "read", File: path, Err: errors.New("is a directory")}
	}
	return readSeekable(path, f, st.Size(), opts)
}

// Read reads an Arrow IPC file or stream, or a Parquet file, from r; the
// format is recognised from the content. The IPC stream format is read
// incrementally from any reader. The IPC file format and Parquet need random
// access: if r is also an io.ReaderAt and io.Seeker (an *os.File, a
// *bytes.Reader) it is read from its current offset in place, otherwise its
// content is first read into memory.
func Read(r io.Reader, opts *ReadOptions) (fr *timeseries.Frame, info *Info, err error) {
	defer func() {
		if p := recover(); p != nil {
			fr, info, err = nil, nil, recovered("read", "", p)
		}
	}()
	if rs, ok := r.(readAtSeeker); ok {
		cur, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, nil, &Error{Op: "read", Err: err}
		}
		end, err := rs.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, nil, &Error{Op: "read", Err: err}
		}
		return readSeekable("", io.NewSectionReader(rs, cur, end-cur), end-cur, opts)
	}
	br := bufio.NewReaderSize(r, streamBuffer)
	head, err := br.Peek(len(magicFile))
	if err != nil && err != io.EOF {
		return nil, nil, &Error{Op: "read", Err: err}
	}
	switch sniff(head) {
	case FormatStream:
		return readStream("", br, 0, opts)
	case FormatFile, FormatParquet:
		data, err := io.ReadAll(br)
		if err != nil {
			return nil, nil, &Error{Op: "read", Err: err}
		}
		return readSeekable("", bytes.NewReader(data), int64(len(data)), opts)
	}
	if len(head) == 0 {
		return nil, nil, &Error{Op: "read", Err: ErrEmptyFile}
	}
	return nil, nil, &Error{Op: "read", Err: fmt.Errorf("%w: content is neither Arrow IPC nor Parquet", ErrFormat)}
}

type readAtSeeker interface {
	io.Reader
	io.ReaderAt
	io.Seeker
}

// recovered turns a panic inside arrow-go into an error.
func recovered(op, name string, p any) error {
	if op == "read" {
		return &Error{Op: op, File: name, Err: fmt.Errorf("%w (arrow-go panicked: %v)", ErrCorrupt, p)}
	}
	return &Error{Op: op, File: name, Err: fmt.Errorf("arrow-go panicked: %v", p)}
}

// corrupt marks an error from a decoder as a sign of a bad file, unless it
// is an operating-system I/O error.
func corrupt(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) || errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

func readSeekable(name string, r readAtSeeker, size int64, opts *ReadOptions) (*timeseries.Frame, *Info, error) {
	if size == 0 {
		return nil, nil, &Error{Op: "read", File: name, Err: ErrEmptyFile}
	}
	head := make([]byte, min(size, 8))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, nil, &Error{Op: "read", File: name, Err: err}
	}
	format := sniff(head)
	if format == FormatUnknown && name != "" {
		format, _ = FormatOf(name)
	}
	switch format {
	case FormatFile:
		return readFile(name, r, size, opts)
	case FormatStream:
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return nil, nil, &Error{Op: "read", File: name, Err: err}
		}
		return readStream(name, r, size, opts)
	case FormatParquet:
		return readParquet(name, r, size, opts)
	}
	return nil, nil, &Error{Op: "read", File: name, Err: fmt.Errorf("%w: content is neither Arrow IPC nor Parquet", ErrFormat)}
}

// Limits on IPC messages read from a stream of unknown size.
const (
	maxStreamMetadata = 64 << 20 // arrow-go's default
	maxStreamBody     = 1 << 30  // 1 GiB: ten million rows of a dozen float64 channels
)

// ipcLimits bound the sizes a corrupt length field may ask arrow-go to
// allocate (an allocation the size of the address space is a fatal error,
// not a recoverable panic): no message can be larger than the file. For
// a stream of unknown size a message body may be at most 1 GiB.
func ipcLimits(size int64) []ipc.Option {
	if size <= 0 {
		return []ipc.Option{ipc.WithMetadataSizeLimit(maxStreamMetadata), ipc.WithBodySizeLimit(maxStreamBody)}
	}
	return []ipc.Option{ipc.WithMetadataSizeLimit(size), ipc.WithBodySizeLimit(size)}
}

func readFile(name string, r readAtSeeker, size int64, opts *ReadOptions) (*timeseries.Frame, *Info, error) {
	d := newDecoder(name, FormatFile, opts)
	readAt := func(p []byte, off int64) error {
		_, err := r.ReadAt(p, off)
		return err
	}
	if err := checkFooter(readAt, size); err != nil {
		return nil, nil, d.fail(corrupt(err))
	}
	rdr, err := ipc.NewFileReader(r, ipcLimits(size)...)
	if err != nil {
		return nil, nil, d.fail(corrupt(err))
	}
	defer rdr.Close()
	if err := d.plan(rdr.Schema()); err != nil {
		return nil, nil, err
	}
	d.reserveIPC(rdr.Schema(), size)
	for i := range rdr.NumRecords() {
		rec, err := rdr.RecordBatch(i)
		if err != nil {
			return nil, nil, d.fail(corrupt(fmt.Errorf("record batch %d: %w", i+1, err)))
		}
		if err := d.add(rec); err != nil {
			return nil, nil, err
		}
	}
	return d.frame()
}

// tailReader remembers the last bytes read, to check that a stream ends
// with its end-of-stream marker rather than just stopping.
type tailReader struct {
	r    io.Reader
	tail [8]byte
	n    int64
}

func (t *tailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n >= len(t.tail) {
		copy(t.tail[:], p[n-len(t.tail):n])
	} else if n > 0 {
		copy(t.tail[:], t.tail[n:])
		copy(t.tail[len(t.tail)-n:], p[:n])
	}
	t.n += int64(n)
	return n, err
}

// streamBuffer is the read buffer of a stream; it also bounds the size
// of a schema message that checkStreamSchema can inspect.
const streamBuffer = 1 << 20

// checkStreamSchema inspects the schema message at the start of a stream
// (see checkSchema) without consuming it.
func checkStreamSchema(br *bufio.Reader) error {
	head, _ := br.Peek(8)
	n, skip := messageLength(head)
	if n <= 0 || n+skip > br.Size() {
		return nil
	}
	msg, _ := br.Peek(skip + n)
	return checkSchemaMessage(msg)
}

// messageLength returns the metadata length of the IPC message that
// starts with head and the size of its prefix (-1 if head is too short).
func messageLength(head []byte) (n, skip int) {
	if len(head) < 8 {
		return -1, 0
	}
	n, skip = int(int32(binary.LittleEndian.Uint32(head))), 4
	if n == -1 { // continuation marker, then the length
		n, skip = int(int32(binary.LittleEndian.Uint32(head[4:]))), 8
	}
	return n, skip
}

// checkSchemaMessage checks the schema in a serialized IPC message; a short
// or unrecognised message is left for arrow-go to report.
func checkSchemaMessage(msg []byte) error {
	n, skip := messageLength(msg)
	if n <= 0 || len(msg) < skip+n {
		return nil
	}
	return checkMessage(fb(msg[skip : skip+n]))
}

// checkStoredSchema checks the Arrow schema that Parquet writers (pyarrow,
// arrow-go) store base64-encoded under ARROW:schema, which pqarrow decodes
// with the same IPC code; the decoding follows pqarrow's.
func checkStoredSchema(pf *file.Reader) error {
	v := pf.MetaData().KeyValueMetadata().FindValue("ARROW:schema")
	if v == nil {
		return nil
	}
	var decoded []byte
	if len(*v)%4 == 0 {
		decoded, _ = base64.StdEncoding.DecodeString(*v)
	}
	if len(decoded) == 0 {
		decoded, _ = base64.RawStdEncoding.DecodeString(*v)
	}
	return checkSchemaMessage(decoded)
}

// endOfStream is the 8-byte end-of-stream marker: continuation, length 0.
var endOfStream = [8]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}

func readStream(name string, r io.Reader, size int64, opts *ReadOptions) (*timeseries.Frame, *Info, error) {
	d := newDecoder(name, FormatStream, opts)
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < streamBuffer {
		br = bufio.NewReaderSize(r, streamBuffer)
	}
	if err := checkStreamSchema(br); err != nil {
		return nil, nil, d.fail(corrupt(err))
	}
	tr := &tailReader{r: br}
	// ipc.NewReader does not pass its size limits on to its message
	// reader (arrow-go v18.8.0); building the message reader ourselves
	// makes them apply.
	limits := ipcLimits(size)
	rdr, err := ipc.NewReaderFromMessageReader(ipc.NewMessageReader(tr, limits...), limits...)
	if err != nil {
		if tr.n == 0 {
			return nil, nil, d.fail(ErrEmptyFile)
		}
		return nil, nil, d.fail(corrupt(err))
	}
	defer rdr.Release()
	if err := d.plan(rdr.Schema()); err != nil {
		return nil, nil, err
	}
	d.reserveIPC(rdr.Schema(), size)
	for rdr.Next() {
		if err := d.add(rdr.RecordBatch()); err != nil {
			return nil, nil, err
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, nil, d.fail(corrupt(fmt.Errorf("record batch %d: %w", d.info.Batches+1, err)))
	}
	if tr.tail != endOfStream {
		return nil, nil, d.fail(fmt.Errorf("%w: stream ends without its end-of-stream marker", ErrCorrupt))
	}
	return d.frame()
}

func readParquet(name string, r readAtSeeker, size int64, opts *ReadOptions) (*timeseries.Frame, *Info, error) {
	d := newDecoder(name, FormatParquet, opts)
	mem := memory.DefaultAllocator
	props := parquet.NewReaderProperties(mem)
	// Read pages as needed rather than whole column chunks at once.
	props.BufferedStreamEnabled = true
	pf, err := file.NewParquetReader(r, file.WithReadProps(props))
	if err != nil {
		return nil, nil, d.fail(corrupt(err))
	}
	defer pf.Close()
	if err := checkStoredSchema(pf); err != nil {
		return nil, nil, d.fail(corrupt(err))
	}
	batch := d.opts.BatchSize
	if batch <= 0 {
		batch = defaultBatchSize
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(batch)}, mem)
	if err != nil {
		return nil, nil, d.fail(corrupt(err))
	}
	schema, err := fr.Schema()
	if err != nil {
		return nil, nil, d.fail(corrupt(err))
	}
	if err := d.plan(schema); err != nil {
		return nil, nil, err
	}
	// Only the leaves of the wanted columns are read; the record batches
	// then hold them in the order asked for.
	leaves := make([]int, len(d.cols))
	for k := range d.cols {
		sf := fr.Manifest.Fields[d.cols[k].field]
		if !sf.IsLeaf() {
			return nil, nil, d.failColumn(d.cols[k].name, fmt.Errorf("%w: not a leaf column", ErrNonNumeric))
		}
		leaves[k] = sf.ColIndex
		d.cols[k].src = k
	}
	// Reserve room for the rows the footer announces, but never more
	// values than the file has bytes, so a corrupt count cannot make us
	// allocate without bound; append grows the slice if needed.
	if n := pf.NumRows(); n > 0 {
		d.reserve(min(n*int64(len(d.names)), size))
	}
	rr, err := fr.GetRecordReader(context.Background(), leaves, nil)
	if err != nil {
		return nil, nil, d.fail(corrupt(err))
	}
	defer rr.Release()
	for rr.Next() {
		if err := d.add(rr.RecordBatch()); err != nil {
			return nil, nil, err
		}
	}
	if err := rr.Err(); err != nil {
		return nil, nil, d.fail(corrupt(fmt.Errorf("batch %d: %w", d.info.Batches+1, err)))
	}
	if int64(d.rows) != pf.NumRows() {
		return nil, nil, d.fail(fmt.Errorf("%w: read %d rows, footer says %d", ErrCorrupt, d.rows, pf.NumRows()))
	}
	return d.frame()
}

// column is a column of the file that is read.
type column struct {
	name  string
	field int // position in the file's schema
	src   int // position in the record batches
	dest  int // channel position; -1 for the time index
}

// decoder turns a schema and record batches into a frame.
type decoder struct {
	file string
	opts ReadOptions
	info *Info

	cols  []column // channels, then the time index if any
	names []string // channel names
	index timeseries.Index
	data  []float64
	rows  int
}

func newDecoder(name string, f Format, opts *ReadOptions) *decoder {
	d := &decoder{file: name, info: &Info{Format: f}}
	if opts != nil {
		d.opts = *opts
	}
	return d
}

func (d *decoder) fail(err error) error { return &Error{Op: "read", File: d.file, Err: err} }

func (d *decoder) failColumn(col string, err error) error {
	return &Error{Op: "read", File: d.file, Column: col, Err: err}
}

func (d *decoder) failRow(col string, row int, err error) error {
	return &Error{Op: "read", File: d.file, Column: col, Row: row, Err: err}
}

func isTime(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
		return true
	}
	return false
}

func isNumeric(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.NULL:
		return true
	}
	return false
}

// plan decides from the schema which columns become channels and which
// the time index.
func (d *decoder) plan(schema *arrow.Schema) error {
	fields := schema.Fields()
	byName := make(map[string][]int, len(fields))
	for i, f := range fields {
		byName[f.Name] = append(byName[f.Name], i)
	}
	find := func(name string) (int, error) {
		at := byName[name]
		switch len(at) {
		case 0:
			return -1, d.failColumn(name, fmt.Errorf("%w (the file has %s)", timeseries.ErrUnknown, fieldList(fields)))
		case 1:
			return at[0], nil
		}
		return -1, d.failColumn(name, fmt.Errorf("%w (columns %d and %d)", timeseries.ErrDuplicate, at[0]+1, at[1]+1))
	}

	ix := -1
	name := d.opts.TimeColumn
	if name == "" {
		// A file written by this package names its index.
		if k := schema.Metadata().FindKey(IndexKey); k >= 0 {
			name = schema.Metadata().Values()[k]
		}
	}
	if name != "" {
		i, err := find(name)
		if err != nil {
			return err
		}
		switch t := fields[i].Type; {
		case isTime(t):
			d.index.Kind = timeseries.TimeIndex
		case isNumeric(t) && t.ID() != arrow.NULL:
			d.index.Kind = timeseries.NumberIndex
		default:
			return d.failColumn(name, fmt.Errorf("%w: time column of type %s", ErrNonNumeric, t))
		}
		ix = i
	} else {
		for i, f := range fields {
			if isTime(f.Type) {
				ix = i
				d.index.Kind = timeseries.TimeIndex
				break
			}
		}
	}

	if len(d.opts.Columns) > 0 {
		asked := make(map[string]bool, len(d.opts.Columns))
		for _, name := range d.opts.Columns {
			if asked[name] {
				return d.failColumn(name, fmt.Errorf("%w: asked for twice", timeseries.ErrDuplicate))
			}
			asked[name] = true
			i, err := find(name)
			if err != nil {
				return err
			}
			if i == ix {
				return d.failColumn(name, errors.New("is the time index, not a channel"))
			}
			if t := fields[i].Type; !isNumeric(t) {
				return d.failColumn(name, fmt.Errorf("%w of type %s", ErrNonNumeric, t))
			}
			d.addColumn(name, i)
		}
	} else {
		var other []Field
		for i, f := range fields {
			switch {
			case i == ix:
			case isNumeric(f.Type):
				d.addColumn(f.Name, i)
			default:
				other = append(other, Field{Name: f.Name, Type: f.Type.String()})
			}
		}
		if len(other) > 0 {
			if d.opts.NonNumeric != NonNumericSkip {
				return d.fail(fmt.Errorf("%w: %s (skip them or choose columns)", ErrNonNumeric, skippedList(other)))
			}
			d.info.Skipped = other
		}
		seen := make(map[string]int, len(d.cols))
		if ix >= 0 {
			seen[fields[ix].Name] = ix
		}
		for _, c := range d.cols {
			if j, ok := seen[c.name]; ok {
				return d.failColumn(c.name, fmt.Errorf("%w (columns %d and %d)", timeseries.ErrDuplicate, j+1, c.field+1))
			}
			seen[c.name] = c.field
		}
	}
	if len(d.cols) == 0 {
		if len(d.info.Skipped) > 0 {
			return d.fail(fmt.Errorf("%w (skipped %s)", ErrNoColumns, skippedList(d.info.Skipped)))
		}
		return d.fail(ErrNoColumns)
	}
	if ix >= 0 {
		d.index.Name = fields[ix].Name
		d.cols = append(d.cols, column{name: fields[ix].Name, field: ix, src: ix, dest: -1})
	}
	return nil
}

func (d *decoder) addColumn(name string, field int) {
	d.cols = append(d.cols, column{name: name, field: field, src: field, dest: len(d.names)})
	d.names = append(d.names, name)
}

func fieldList(fields []arrow.Field) string {
	if len(fields) == 0 {
		return "no columns"
	}
	q := make([]string, len(fields))
	for i, f := range fields {
		q[i] = fmt.Sprintf("%q", f.Name)
	}
	return strings.Join(q, ", ")
}

func skippedList(fs []Field) string {
	q := make([]string, len(fs))
	for i, f := range fs {
		q[i] = fmt.Sprintf("%q (%s)", f.Name, f.Type)
	}
	return strings.Join(q, ", ")
}

// reserveIPC reserves room for the values of an IPC file or stream of the
// given size (0 if unknown). Its metadata does not say how many rows there
// are, but uncompressed float64 columns take about 8 bytes per value:
// reserving that share of the file for the channels read avoids regrowing
// and copying the values (compressed or narrower columns grow as needed).
func (d *decoder) reserveIPC(schema *arrow.Schema, size int64) {
	if nf := len(schema.Fields()); nf > 0 && size > 0 {
		d.reserve(size / 8 * int64(len(d.names)) / int64(nf))
	}
}

// reserve makes room for n values in total.
func (d *decoder) reserve(n int64) {
	if n > int64(cap(d.data)) {
		d.data = slices.Grow(d.data, int(n)-len(d.data))
	}
}

// add appends the rows of one record batch.
func (d *decoder) add(rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	d.info.Batches++
	if n == 0 {
		return nil
	}
	if int(rec.NumCols()) < len(d.cols) {
		return d.fail(fmt.Errorf("%w: record batch %d has %d columns, want %d", ErrCorrupt, d.info.Batches, rec.NumCols(), len(d.cols)))
	}
	nch := len(d.names)
	start := d.rows * nch
	need := start + n*nch
	if need > cap(d.data) {
		d.reserve(int64(max(need, 2*cap(d.data))))
	}
	d.data = d.data[:need]
	for _, c := range d.cols {
		arr := rec.Column(c.src)
		if arr.Len() != n {
			return d.failColumn(c.name, fmt.Errorf("%w: %d values in a batch of %d rows", ErrCorrupt, arr.Len(), n))
		}
		if c.dest >= 0 {
			if err := putFloats(d.data[start+c.dest:], nch, arr); err != nil {
				return d.failColumn(c.name, err)
			}
			continue
		}
		if err := d.addIndex(c.name, arr); err != nil {
			return err
		}
	}
	d.rows += n
	return nil
}

func (d *decoder) addIndex(name string, arr arrow.Array) error {
	n := arr.Len()
	if d.index.Kind == timeseries.NumberIndex {
		start := len(d.index.Numbers)
		d.index.Numbers = append(d.index.Numbers, make([]float64, n)...)
		nums := d.index.Numbers[start:]
		if err := putFloats(nums, 1, arr); err != nil {
			return d.failColumn(name, err)
		}
		for i, v := range nums {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return d.failRow(name, d.rows+i+1, fmt.Errorf("%w: %v", ErrTime, v))
			}
		}
		return nil
	}
	var (
		bad int
		err error
	)
	switch a := arr.(type) {
	case *array.Timestamp:
		mul := int64(a.DataType().(*arrow.TimestampType).Unit.Multiplier())
		d.index.Times, bad, err = appendTimes(d.index.Times, a.Values(), mul, a)
	case *array.Date32:
		d.index.Times, bad, err = appendTimes(d.index.Times, a.Values(), 86400e9, a)
	case *array.Date64:
		d.index.Times, bad, err = appendTimes(d.index.Times, a.Values(), 1e6, a)
	default:
		return d.failColumn(name, fmt.Errorf("%w: unexpected time array %s", ErrCorrupt, arr.DataType()))
	}
	if err != nil {
		return d.failRow(name, d.rows+bad+1, err)
	}
	return nil
}

// appendTimes appends vals × mul (Unix nanoseconds) to dst. On a null or an
// overflow it returns the position of the bad value.
func appendTimes[T ~int32 | ~int64](dst []int64, vals []T, mul int64, a arrow.Array) ([]int64, int, error) {
	hi, lo := math.MaxInt64/mul, math.MinInt64/mul
	for i, v := range vals {
		if a.IsNull(i) {
			return dst, i, fmt.Errorf("%w: missing", ErrTime)
		}
		x := int64(v)
		if x > hi || x < lo {
			return dst, i, fmt.Errorf("%w: %d × %d ns overflows int64 nanoseconds", ErrTime, x, mul)
		}
		dst = append(dst, x*mul)
	}
	return dst, 0, nil
}

type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// putFloats writes arr's values as float64 to dst[0], dst[stride], ...,
// with nulls as NaN.
func putFloats(dst []float64, stride int, arr arrow.Array) error {
	switch a := arr.(type) {
	case *array.Float64:
		put(dst, stride, a.Values(), a)
	case *array.Float32:
		put(dst, stride, a.Values(), a)
	case *array.Int64:
		put(dst, stride, a.Values(), a)
	case *array.Int32:
		put(dst, stride, a.Values(), a)
	case *array.Int16:
		put(dst, stride, a.Values(), a)
	case *array.Int8:
		put(dst, stride, a.Values(), a)
	case *array.Uint64:
		put(dst, stride, a.Values(), a)
	case *array.Uint32:
		put(dst, stride, a.Values(), a)
	case *array.Uint16:
		put(dst, stride, a.Values(), a)
	case *array.Uint8:
		put(dst, stride, a.Values(), a)
	case *array.Float16:
		vals := a.Values()
		for i := range vals {
			x := math.NaN()
			if a.IsValid(i) {
				x = float64(vals[i].Float32())
			}
			dst[i*stride] = x
		}
	case *array.Null:
		for i := range a.Len() {
			dst[i*stride] = math.NaN()
		}
	default:
		return fmt.Errorf("%w: unexpected array type %s", ErrCorrupt, arr.DataType())
	}
	return nil
}

func put[T number](dst []float64, stride int, vals []T, a arrow.Array) {
	if len(vals) == 0 {
		return
	}
	_ = dst[(len(vals)-1)*stride]
	if a.NullN() == 0 {
		for i, v := range vals {
			dst[i*stride] = float64(v)
		}
		return
	}
	nan := math.NaN()
	for i, v := range vals {
		x := float64(v)
		if a.IsNull(i) {
			x = nan
		}
		dst[i*stride] = x
	}
}

func (d *decoder) frame() (*timeseries.Frame, *Info, error) {
	if d.rows == 0 {
		return nil, nil, d.fail(ErrNoRows)
	}
	ix := &d.index
	switch ix.Kind {
	case timeseries.TimeIndex:
		for i := 1; i < len(ix.Times); i++ {
			if ix.Times[i] <= ix.Times[i-1] {
				return nil, nil, d.failRow(ix.Name, i+1, fmt.Errorf("%w: %s after %s", timeseries.ErrIndexOrder,
					ix.Time(i).Format("2006-01-02T15:04:05.999999999Z07:00"), ix.Time(i-1).Format("2006-01-02T15:04:05.999999999Z07:00")))
			}
		}
	case timeseries.NumberIndex:
		for i := 1; i < len(ix.Numbers); i++ {
			if ix.Numbers[i] <= ix.Numbers[i-1] {
				return nil, nil, d.failRow(ix.Name, i+1, fmt.Errorf("%w: %v after %v", timeseries.ErrIndexOrder, ix.Numbers[i], ix.Numbers[i-1]))
			}
		}
	}
	fr, err := timeseries.New(d.names, d.data[:d.rows*len(d.names)], ix)
	if err != nil {
		return nil, nil, d.fail(err)
	}
	return fr, d.info, nil
}
