package timeseries

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrLabel is returned for a label column that cannot define segments.
var ErrLabel = errors.New("timeseries: invalid segment label")

// FixedSegments returns the segment of each of rows time steps when segments
// are consecutive blocks of the given length: row t is in segment t/length. A last
// partial segment shorter than half a length is merged into the one before
// it, so that no segment is too short to estimate its prior; a longer one is
// kept. It panics if length < 1 or rows < 0.
func FixedSegments(rows, length int) []int {
	if length < 1 || rows < 0 {
		panic(fmt.Sprintf("timeseries: FixedSegments(%d, %d): need rows >= 0 and length >= 1", rows, length))
	}
	full := rows / length
	rem := rows % length
	merge := full > 0 && rem > 0 && 2*rem < length
	seg := make([]int, rows)
	for t := range seg {
		s := t / length
		if merge && s == full {
			s = full - 1
		}
		seg[t] = s
	}
	return seg
}

// LabelSegments returns the segment of each row taken from the channel
// called column: its distinct values, in order of first appearance, become
// segments 0..M-1, and labels holds each segment's value as text. A missing
// label is an error naming the row. The label channel is usually excluded
// from the frame afterwards ([Frame.Exclude]).
func LabelSegments(f *Frame, column string) (seg []int, labels []string, err error) {
	c := f.Lookup(column)
	if c < 0 {
		return nil, nil, f.unknown(column)
	}
	ids := make(map[float64]int)
	seg = make([]int, f.rows)
	for t := range f.rows {
		v := f.At(t, c)
		if math.IsNaN(v) {
			return nil, nil, fmt.Errorf("%w: channel %q has a missing value at row %d", ErrLabel, column, t+1)
		}
		if v == 0 {
			v = 0 // -0 and +0 are one label
		}
		id, ok := ids[v]
		if !ok {
			id = len(labels)
			ids[v] = id
			labels = append(labels, strconv.FormatFloat(v, 'g', -1, 64))
		}
		seg[t] = id
	}
	return seg, labels, nil
}
