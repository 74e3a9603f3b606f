package timeseries

import (
	"errors"
	"fmt"
	"math"
)

// Errors about missing values.
var (
	ErrMissing    = errors.New("timeseries: missing value")
	ErrAllMissing = errors.New("timeseries: channel has no values")
	ErrPolicy     = errors.New("timeseries: unknown missing-value policy")
)

// MissingPolicy says what [Frame.HandleMissing] does with missing values
// (NaN). The zero value is MissingError.
type MissingPolicy int

const (
	// MissingError refuses data with missing values, naming the first one.
	MissingError MissingPolicy = iota
	// MissingDrop drops every row with a missing value in any channel.
	MissingDrop
	// MissingInterpolate interpolates linearly between the nearest valid
	// values before and after, in the time of the index if there is one and
	// in row position otherwise. A gap at the start or end, which has a valid
	// value on one side only, takes that nearest value.
	MissingInterpolate
	// MissingFFill carries the last valid value forward. A gap at the start,
	// which has no earlier value, takes the first valid value (back fill).
	MissingFFill
)

var policyNames = [...]string{"error", "drop", "interpolate", "ffill"}

// String returns the policy's name as the command line spells it.
func (p MissingPolicy) String() string {
	if p >= 0 && int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("MissingPolicy(%d)", int(p))
}

// ParseMissingPolicy parses "error", "drop", "interpolate" or "ffill".
func ParseMissingPolicy(s string) (MissingPolicy, error) {
	for i, n := range policyNames {
		if s == n {
			return MissingPolicy(i), nil
		}
	}
	return 0, fmt.Errorf("%w %q; choose error, drop, interpolate or ffill", ErrPolicy, s)
}

// MissingValueError is the error of the MissingError policy. It unwraps to
// [ErrMissing].
type MissingValueError struct {
	Channel string // name of the channel of the first missing value
	Row     int    // row of the first missing value, counted from 1
	Total   int    // number of missing values in all channels
}

func (e *MissingValueError) Error() string {
	return fmt.Sprintf("timeseries: missing value in channel %q at row %d (%d missing in total); choose --missing drop, interpolate or ffill",
		e.Channel, e.Row, e.Total)
}

func (e *MissingValueError) Unwrap() error { return ErrMissing }

// MissingReport says what [Frame.HandleMissing] found and did.
type MissingReport struct {
	Names       []string // channel names
	Missing     []int    // number of missing values of each channel
	RowsDropped int      // rows removed by MissingDrop
	Filled      int      // values filled by MissingInterpolate or MissingFFill
}

// Total returns the number of missing values in all channels.
func (r *MissingReport) Total() int {
	n := 0
	for _, m := range r.Missing {
		n += m
	}
	return n
}

// HandleMissing applies policy p and returns a frame without missing values,
// with a report of the counts. When nothing is missing the result is f
// itself; otherwise it is a new frame. A channel with no value at all is an
// error whatever the policy (wrapping [ErrAllMissing]). The report is
// returned whenever the counts could be made, even with an error.
func (f *Frame) HandleMissing(p MissingPolicy) (*Frame, *MissingReport, error) {
	if p < MissingError || p > MissingFFill {
		return nil, nil, fmt.Errorf("%w %d", ErrPolicy, int(p))
	}
	d := len(f.names)
	rep := &MissingReport{Names: f.names, Missing: make([]int, d)}
	first := -1
	for i, v := range f.data {
		if math.IsNaN(v) {
			rep.Missing[i%d]++
			if first < 0 {
				first = i
			}
		}
	}
	for c, m := range rep.Missing {
		if m == f.rows && f.rows > 0 {
			return nil, rep, fmt.Errorf("%w: %q is missing in all %d rows; leave it out with --exclude %s",
				ErrAllMissing, f.names[c], f.rows, f.names[c])
		}
	}
	if first < 0 {
		return f, rep, nil
	}
	switch p {
	case MissingDrop:
		keep := make([]int, 0, f.rows)
		for t := range f.rows {
			if !hasNaN(f.Row(t)) {
				keep = append(keep, t)
			}
		}
		rep.RowsDropped = f.rows - len(keep)
		if len(keep) == 0 {
			return nil, rep, fmt.Errorf("%w: every row has a missing value; choose --missing interpolate or ffill", ErrEmpty)
		}
		return f.withRows(keep), rep, nil
	case MissingInterpolate, MissingFFill:
		g := &Frame{names: f.names, data: append([]float64(nil), f.data...), rows: f.rows, index: f.index}
		for c, m := range rep.Missing {
			if m > 0 {
				g.fill(c, p)
			}
		}
		rep.Filled = rep.Total()
		return g, rep, nil
	}
	return nil, rep, &MissingValueError{Channel: f.names[first%d], Row: first/d + 1, Total: rep.Total()}
}

func hasNaN(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}

// fill fills the gaps of channel c in place; the channel has a valid value.
func (f *Frame) fill(c int, p MissingPolicy) {
	d := len(f.names)
	at := func(t int) *float64 { return &f.data[t*d+c] }
	prev := -1 // last valid row
	for t := 0; t <= f.rows; t++ {
		if t < f.rows && math.IsNaN(*at(t)) {
			continue
		}
		// Rows prev+1 .. t-1 are a gap (possibly empty).
		for g := prev + 1; g < t; g++ {
			switch {
			case prev < 0:
				*at(g) = *at(t)
			case t == f.rows || p == MissingFFill:
				*at(g) = *at(prev)
			default:
				x0, x1, x := f.position(prev), f.position(t), f.position(g)
				w := (x - x0) / (x1 - x0)
				*at(g) = *at(prev) + w*(*at(t)-*at(prev))
			}
		}
		prev = t
	}
}

// position returns the time of row t for interpolation: the index value, or
// the row number when there is no index. Timestamps are taken relative to the
// first one so that nanoseconds survive the conversion to float64.
func (f *Frame) position(t int) float64 {
	switch f.index.Kind {
	case TimeIndex:
		return float64(f.index.Times[t] - f.index.Times[0])
	case NumberIndex:
		return f.index.Numbers[t]
	}
	return float64(t)
}
