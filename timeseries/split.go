package timeseries

import (
	"errors"
	"fmt"
	"math"
)

// ErrSplit is returned when a series cannot be split as asked.
var ErrSplit = errors.New("timeseries: cannot split")

// SplitMode says where the validation rows of a [Split] lie.
type SplitMode int

const (
	// BlockAtEnd takes validation rows as one block at the end of the series,
	// so the model is checked on the future of its training data.
	BlockAtEnd SplitMode = iota
	// EveryKth cuts the series into K equal parts and takes the end of each
	// part for validation: one validation block in every K-th of the series,
	// which spreads validation over slow changes of regime.
	EveryKth
)

// SplitSettings configures [Split]. The zero value takes the last 20% of
// the rows for validation.
type SplitSettings struct {
	// ValidFraction is the fraction of rows for validation, in (0, 1).
	// Default 0.2.
	ValidFraction float64
	// Mode places the validation rows. Default BlockAtEnd.
	Mode SplitMode
	// K is the number of parts for EveryKth. Default 5.
	K int
}

// Split divides rows time steps into contiguous training and validation
// blocks. Windows of length window are then built per block
// ([Frame.WindowsIn]), so that no window straddles the boundary and
// overlapping windows cannot leak validation data into training. Every block
// must hold at least window rows; otherwise the error says which and what to
// change. s may be nil for the defaults.
func Split(rows, window int, s *SplitSettings) (train, valid []Block, err error) {
	var set SplitSettings
	if s != nil {
		set = *s
	}
	if set.ValidFraction == 0 {
		set.ValidFraction = 0.2
	}
	if set.K == 0 {
		set.K = 5
	}
	switch {
	case !(set.ValidFraction > 0 && set.ValidFraction < 1):
		return nil, nil, fmt.Errorf("%w: validation fraction %g is not between 0 and 1", ErrSplit, set.ValidFraction)
	case window < 1:
		return nil, nil, fmt.Errorf("%w: window %d is less than 1", ErrSplit, window)
	case set.Mode != BlockAtEnd && set.Mode != EveryKth:
		return nil, nil, fmt.Errorf("%w: unknown mode %d", ErrSplit, int(set.Mode))
	case set.Mode == EveryKth && set.K < 1:
		return nil, nil, fmt.Errorf("%w: K = %d parts; need at least 1", ErrSplit, set.K)
	}
	parts := 1
	if set.Mode == EveryKth {
		parts = set.K
	}
	for k := range parts {
		from, to := k*rows/parts, (k+1)*rows/parts
		nv := int(math.Round(float64(to-from) * set.ValidFraction))
		t, v := Block{from, to - nv}, Block{to - nv, to}
		for _, b := range []struct {
			name string
			b    Block
		}{{"training", t}, {"validation", v}} {
			if b.b.Len() < window {
				where := ""
				if parts > 1 {
					where = fmt.Sprintf(" in part %d of %d", k+1, parts)
				}
				return nil, nil, fmt.Errorf("%w: the %s block%s has %d of the %d rows, fewer than the window of %d; use a shorter window, another validation fraction, fewer parts or more data",
					ErrSplit, b.name, where, b.b.Len(), rows, window)
			}
		}
		train = append(train, t)
		valid = append(valid, v)
	}
	return train, valid, nil
}
