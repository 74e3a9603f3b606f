package timeseries

import (
	"errors"
	"fmt"
	"sort"
)

// Errors about windows.
var (
	ErrWindow = errors.New("timeseries: invalid window")
	ErrShort  = errors.New("timeseries: series shorter than the window")
)

// Block is the range of rows [From, To) of a frame.
type Block struct {
	From, To int
}

// Len returns the number of rows of the block.
func (b Block) Len() int { return b.To - b.From }

// Windows is a view of a frame as overlapping windows of W consecutive time
// steps, taken every Stride steps within one or more blocks of rows. Window i
// is row i of the model's input matrix: W×D values, time-major, which are one
// contiguous slice of the frame's storage, so nothing is copied. The window
// ending at row t is labelled t: see [Windows.End].
type Windows struct {
	f         *Frame
	w, stride int
	runs      []run
	n         int
}

// run is the windows of one block: n windows, the first starting at row from,
// preceded by before windows of earlier blocks.
type run struct {
	from, n, before int
}

// Windows returns the windows of length w taken every stride rows over the
// whole frame. The first window starts at row 0; rows after the last full
// window are left out.
func (f *Frame) Windows(w, stride int) (*Windows, error) {
	return f.WindowsIn([]Block{{0, f.rows}}, w, stride)
}

// WindowsIn returns the windows of length w taken every stride rows within
// each block, in block order. A window lies wholly inside one block, so
// windows of a training block never reach into a validation block. Every
// block must lie within the frame and hold at least w rows.
func (f *Frame) WindowsIn(blocks []Block, w, stride int) (*Windows, error) {
	if w < 1 || stride < 1 {
		return nil, fmt.Errorf("%w: length %d, stride %d; both must be at least 1", ErrWindow, w, stride)
	}
	if len(blocks) == 0 {
		return nil, fmt.Errorf("%w: no blocks of rows", ErrWindow)
	}
	ws := &Windows{f: f, w: w, stride: stride, runs: make([]run, len(blocks))}
	for k, b := range blocks {
		if b.From < 0 || b.To < b.From || b.To > f.rows {
			return nil, fmt.Errorf("%w: block %d covers rows %d to %d, outside the %d rows of the series", ErrWindow, k+1, b.From+1, b.To, f.rows)
		}
		if b.Len() < w {
			what := "the series has"
			if len(blocks) > 1 || b.Len() != f.rows {
				what = fmt.Sprintf("block %d (rows %d to %d) has", k+1, b.From+1, b.To)
			}
			return nil, fmt.Errorf("%w: %s %d rows, the window %d; use a shorter window or more data", ErrShort, what, b.Len(), w)
		}
		n := (b.Len()-w)/stride + 1
		ws.runs[k] = run{from: b.From, n: n, before: ws.n}
		ws.n += n
	}
	return ws, nil
}

// Len returns the number of windows.
func (ws *Windows) Len() int { return ws.n }

// Dim returns the length of a window's row: W × channels.
func (ws *Windows) Dim() int { return ws.w * ws.f.Channels() }

// Width returns the window length W in time steps.
func (ws *Windows) Width() int { return ws.w }

// Stride returns the step between the starts of consecutive windows of a block.
func (ws *Windows) Stride() int { return ws.stride }

// Frame returns the frame the windows view.
func (ws *Windows) Frame() *Frame { return ws.f }

// Start returns the row of the first time step of window i. It panics if i is
// out of range.
func (ws *Windows) Start(i int) int {
	if i < 0 || i >= ws.n {
		panic(fmt.Sprintf("timeseries: window %d out of range [0, %d)", i, ws.n))
	}
	r := ws.runs[0]
	if len(ws.runs) > 1 {
		k := sort.Search(len(ws.runs), func(k int) bool { return ws.runs[k].before > i }) - 1
		r = ws.runs[k]
	}
	return r.from + (i-r.before)*ws.stride
}

// End returns the row of the last time step of window i, which labels it.
func (ws *Windows) End(i int) int { return ws.Start(i) + ws.w - 1 }

// Row returns window i as a slice of the frame's storage, Dim() long, time
// by time: the values of rows Start(i) .. End(i). It is not a copy: writing
// to it changes the frame. Its capacity is its length, so appending copies.
func (ws *Windows) Row(i int) []float64 {
	d := ws.f.Channels()
	s := ws.Start(i) * d
	e := s + ws.w*d
	return ws.f.data[s:e:e]
}

// Segments returns the segment of each window: that of its last time step,
// rowSeg[End(i)]. rowSeg holds the segment of each row of the frame, as
// [FixedSegments] and [LabelSegments] return; it panics if its length is not
// the frame's number of rows.
func (ws *Windows) Segments(rowSeg []int) []int {
	if len(rowSeg) != ws.f.rows {
		panic(fmt.Sprintf("timeseries: %d row segments for %d rows", len(rowSeg), ws.f.rows))
	}
	seg := make([]int, 0, ws.n)
	for _, r := range ws.runs {
		for j := range r.n {
			seg = append(seg, rowSeg[r.from+j*ws.stride+ws.w-1])
		}
	}
	return seg
}
