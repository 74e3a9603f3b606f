package timeseries

import (
	"fmt"
	"strings"
)

// Select returns a new frame holding copies of the named channels, in the
// order given. An unknown name gives an error wrapping [ErrUnknown] that lists
// the available channels. The time index is shared, as it is never modified.
func (f *Frame) Select(names ...string) (*Frame, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w selected", ErrNoChannels)
	}
	cols := make([]int, len(names))
	for i, n := range names {
		c := f.Lookup(n)
		if c < 0 {
			return nil, f.unknown(n)
		}
		cols[i] = c
	}
	return f.columns(cols)
}

// Exclude returns a new frame holding copies of every channel except the
// named ones, in their original order. An unknown name gives an error
// wrapping [ErrUnknown]; excluding every channel gives [ErrNoChannels].
func (f *Frame) Exclude(names ...string) (*Frame, error) {
	drop := make([]bool, len(f.names))
	for _, n := range names {
		c := f.Lookup(n)
		if c < 0 {
			return nil, f.unknown(n)
		}
		drop[c] = true
	}
	var cols []int
	for c, d := range drop {
		if !d {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("%w left after excluding %s", ErrNoChannels, strings.Join(quote(names), ", "))
	}
	return f.columns(cols)
}

// Slice returns a view of rows [from, to): it shares the data and the index
// with f, so changing a value in one changes it in the other. It panics unless
// 0 <= from <= to <= f.Rows(), as slicing a Go slice does.
func (f *Frame) Slice(from, to int) *Frame {
	if from < 0 || to < from || to > f.rows {
		panic(fmt.Sprintf("timeseries: Slice(%d, %d) out of range for %d rows", from, to, f.rows))
	}
	d := len(f.names)
	g := &Frame{names: f.names, data: f.data[from*d : to*d : to*d], rows: to - from, index: f.index}
	switch f.index.Kind {
	case TimeIndex:
		g.index.Times = f.index.Times[from:to:to]
	case NumberIndex:
		g.index.Numbers = f.index.Numbers[from:to:to]
	}
	return g
}

// columns returns a new frame with copies of the given columns (distinct).
func (f *Frame) columns(cols []int) (*Frame, error) {
	d := len(f.names)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = f.names[c]
	}
	data := make([]float64, f.rows*len(cols))
	for t := range f.rows {
		src := f.data[t*d : (t+1)*d]
		dst := data[t*len(cols) : (t+1)*len(cols)]
		for i, c := range cols {
			dst[i] = src[c]
		}
	}
	return New(names, data, &f.index)
}

// unknown returns the error for a channel name f does not have.
func (f *Frame) unknown(name string) error {
	return fmt.Errorf("%w %q; the channels are %s", ErrUnknown, name, strings.Join(quote(f.names), ", "))
}

func quote(names []string) []string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return q
}

// withRows returns a new frame holding copies of the given rows of f, in
// order, and the matching entries of the index.
func (f *Frame) withRows(rows []int) *Frame {
	d := len(f.names)
	g := &Frame{names: f.names, data: make([]float64, len(rows)*d), rows: len(rows), index: Index{Name: f.index.Name, Kind: f.index.Kind}}
	for i, t := range rows {
		copy(g.data[i*d:(i+1)*d], f.data[t*d:(t+1)*d])
	}
	switch f.index.Kind {
	case TimeIndex:
		g.index.Times = make([]int64, len(rows))
		for i, t := range rows {
			g.index.Times[i] = f.index.Times[t]
		}
	case NumberIndex:
		g.index.Numbers = make([]float64, len(rows))
		for i, t := range rows {
			g.index.Numbers[i] = f.index.Numbers[t]
		}
	}
	return g
}
