package timeseries

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Errors returned by Frame constructors and methods.
var (
	ErrEmpty       = errors.New("timeseries: no rows")
	ErrNoChannels  = errors.New("timeseries: no channels")
	ErrDuplicate   = errors.New("timeseries: duplicate channel name")
	ErrUnknown     = errors.New("timeseries: unknown channel")
	ErrShape       = errors.New("timeseries: data length does not match rows × channels")
	ErrIndexLength = errors.New("timeseries: time index length does not match rows")
	ErrIndexOrder  = errors.New("timeseries: time index is not strictly increasing")
	ErrNonFinite   = errors.New("timeseries: infinite value")
)

// IndexKind says what a time index holds.
type IndexKind int

const (
	// NoIndex means the rows are only ordered; their position is their time.
	NoIndex IndexKind = iota
	// TimeIndex means timestamps (stored as Unix nanoseconds, UTC).
	TimeIndex
	// NumberIndex means plain numbers, such as seconds since the start.
	NumberIndex
)

// Index is the time of each row: timestamps or plain numbers. The zero value
// is NoIndex.
type Index struct {
	// Name is the name of the time column in the source file, if any.
	Name string
	// Kind says which of Times or Numbers is used.
	Kind IndexKind
	// Times holds Unix nanoseconds when Kind is TimeIndex.
	Times []int64
	// Numbers holds the values when Kind is NumberIndex.
	Numbers []float64
}

// Len returns the number of entries of the index, 0 for NoIndex.
func (ix *Index) Len() int {
	switch ix.Kind {
	case TimeIndex:
		return len(ix.Times)
	case NumberIndex:
		return len(ix.Numbers)
	}
	return 0
}

// Float returns entry i as a number: seconds since the Unix epoch for
// timestamps, the value itself for numbers, and i for NoIndex.
func (ix *Index) Float(i int) float64 {
	switch ix.Kind {
	case TimeIndex:
		return float64(ix.Times[i]) / 1e9
	case NumberIndex:
		return ix.Numbers[i]
	}
	return float64(i)
}

// Time returns entry i as a time.Time (UTC); it is only meaningful for TimeIndex.
func (ix *Index) Time(i int) time.Time {
	return time.Unix(0, ix.Times[i]).UTC()
}

// Frame is a set of named float64 channels in time order. Values are stored
// row-major: the value of channel c at row t is Data()[t*Channels()+c].
// Missing values are NaN. A Frame is not safe for concurrent mutation, but
// may be read by many goroutines at once.
type Frame struct {
	names []string
	data  []float64
	rows  int
	index Index
}

// New returns a frame over data, which is row-major with len(names) columns
// and is not copied. index may be nil. Names must be non-empty and unique.
func New(names []string, data []float64, index *Index) (*Frame, error) {
	if len(names) == 0 {
		return nil, ErrNoChannels
	}
	seen := make(map[string]int, len(names))
	for i, n := range names {
		if j, ok := seen[n]; ok {
			return nil, fmt.Errorf("%w %q (columns %d and %d)", ErrDuplicate, n, j+1, i+1)
		}
		seen[n] = i
	}
	if len(data)%len(names) != 0 {
		return nil, fmt.Errorf("%w: %d values, %d channels", ErrShape, len(data), len(names))
	}
	f := &Frame{names: append([]string(nil), names...), data: data, rows: len(data) / len(names)}
	if index != nil && index.Kind != NoIndex {
		if index.Len() != f.rows {
			return nil, fmt.Errorf("%w: %d entries, %d rows", ErrIndexLength, index.Len(), f.rows)
		}
		f.index = *index
	}
	return f, nil
}

// Rows returns the number of time steps.
func (f *Frame) Rows() int { return f.rows }

// Channels returns the number of channels.
func (f *Frame) Channels() int { return len(f.names) }

// Names returns the channel names; the caller must not modify the slice.
func (f *Frame) Names() []string { return f.names }

// Data returns the row-major values; the caller may modify values in place
// but not the length.
func (f *Frame) Data() []float64 { return f.data }

// Index returns the time index (Kind NoIndex if there is none).
func (f *Frame) Index() *Index { return &f.index }

// At returns the value of channel c at row t.
func (f *Frame) At(t, c int) float64 { return f.data[t*len(f.names)+c] }

// Row returns row t as a slice of the frame's storage (not a copy).
func (f *Frame) Row(t int) []float64 {
	d := len(f.names)
	return f.data[t*d : (t+1)*d : (t+1)*d]
}

// Column copies channel c into dst, which is grown if needed, and returns it.
func (f *Frame) Column(c int, dst []float64) []float64 {
	if cap(dst) < f.rows {
		dst = make([]float64, f.rows)
	}
	dst = dst[:f.rows]
	d := len(f.names)
	for t := range dst {
		dst[t] = f.data[t*d+c]
	}
	return dst
}

// Lookup returns the position of the channel called name, or -1.
func (f *Frame) Lookup(name string) int {
	for i, n := range f.names {
		if n == name {
			return i
		}
	}
	return -1
}

// CheckFinite returns an error naming the first infinite value, if any.
// NaN is a missing value and is not reported here.
func (f *Frame) CheckFinite() error {
	d := len(f.names)
	for i, v := range f.data {
		if math.IsInf(v, 0) {
			return fmt.Errorf("%w in channel %q at row %d", ErrNonFinite, f.names[i%d], i/d+1)
		}
	}
	return nil
}
