package timeseries

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/montanaflynn/stats"
)

// Errors about scaling.
var (
	ErrConstant = errors.New("timeseries: constant channel")
	ErrMismatch = errors.New("timeseries: channels do not match the scaler")
	ErrMethod   = errors.New("timeseries: unknown scaling method")
)

// madNormal makes the median absolute deviation a consistent estimator of the
// standard deviation for normal data: 1/Φ⁻¹(3/4) (Rousseeuw and Croux 1993).
const madNormal = 1.4826

// ScaleMethod says how a [Scaler] measures a channel's center and scale. The
// zero value is ZScore.
type ScaleMethod int

const (
	// ZScore uses the mean and the (population) standard deviation.
	ZScore ScaleMethod = iota
	// Robust uses the median and the median absolute deviation times 1.4826,
	// which equals the standard deviation for normal data but is not pulled
	// by outliers.
	Robust
)

// String returns "zscore" or "robust".
func (m ScaleMethod) String() string {
	switch m {
	case ZScore:
		return "zscore"
	case Robust:
		return "robust"
	}
	return fmt.Sprintf("ScaleMethod(%d)", int(m))
}

// ParseScaleMethod parses "zscore" or "robust".
func ParseScaleMethod(s string) (ScaleMethod, error) {
	switch s {
	case "zscore":
		return ZScore, nil
	case "robust":
		return Robust, nil
	}
	return 0, fmt.Errorf("%w %q; choose zscore or robust", ErrMethod, s)
}

// Scaler maps each channel x to (x - Center) / Scale. Its fields are
// exported so that it can be saved with a model and used again on new data.
type Scaler struct {
	Method ScaleMethod
	Names  []string  // channel names, in order
	Center []float64 // per channel: mean or median
	Scale  []float64 // per channel: standard deviation or 1.4826 × MAD
}

// FitScaler measures each channel of f, ignoring missing values. A channel
// without values gives an error wrapping [ErrAllMissing]; one whose scale is
// zero (constant, or for Robust more than half the values equal) gives an
// error wrapping [ErrConstant] naming it, and the caller decides whether to
// exclude it.
func FitScaler(f *Frame, m ScaleMethod) (*Scaler, error) {
	if m != ZScore && m != Robust {
		return nil, fmt.Errorf("%w %d", ErrMethod, int(m))
	}
	d := f.Channels()
	s := &Scaler{Method: m, Names: slices.Clone(f.names), Center: make([]float64, d), Scale: make([]float64, d)}
	n := make([]int, d) // values present in each channel
	switch m {
	case ZScore:
		s.fitZScore(f, n)
	case Robust:
		col := make([]float64, 0, f.rows)
		for c := range d {
			col = col[:0]
			for t := range f.rows {
				if v := f.data[t*d+c]; !math.IsNaN(v) {
					col = append(col, v)
				}
			}
			if n[c] = len(col); n[c] == 0 {
				continue
			}
			// stats.MedianAbsoluteDeviation would sort a third time to find
			// the median again; the deviations are taken here instead.
			med, _ := stats.Median(col)
			for i, v := range col {
				col[i] = math.Abs(v - med)
			}
			mad, _ := stats.Median(col)
			s.Center[c], s.Scale[c] = med, madNormal*mad
		}
	}
	for c := range d {
		switch {
		case n[c] == 0:
			return nil, fmt.Errorf("%w: %q is missing in all %d rows; leave it out with --exclude %s",
				ErrAllMissing, s.Names[c], f.rows, s.Names[c])
		case math.IsInf(s.Center[c], 0) || math.IsNaN(s.Center[c]) || math.IsInf(s.Scale[c], 0) || math.IsNaN(s.Scale[c]):
			return nil, fmt.Errorf("%w in channel %q: center %g, scale %g", ErrNonFinite, s.Names[c], s.Center[c], s.Scale[c])
		case s.Scale[c] == 0 && m == Robust:
			return nil, fmt.Errorf("%w %q: median absolute deviation is 0 (more than half the values equal %g); use --scale zscore or --exclude %s",
				ErrConstant, s.Names[c], s.Center[c], s.Names[c])
		case s.Scale[c] == 0:
			return nil, fmt.Errorf("%w %q: every value equals %g; leave it out with --exclude %s",
				ErrConstant, s.Names[c], s.Center[c], s.Names[c])
		}
	}
	return s, nil
}

// fitZScore computes means and standard deviations in two passes over the
// row-major data (the second pass on deviations is accurate where the
// one-pass sum of squares cancels). It counts the values of each channel in n.
func (s *Scaler) fitZScore(f *Frame, n []int) {
	d := f.Channels()
	for i, v := range f.data {
		if !math.IsNaN(v) {
			s.Center[i%d] += v
			n[i%d]++
		}
	}
	for c := range d {
		s.Center[c] /= float64(n[c]) // NaN when n is 0, reported by the caller
	}
	for t := range f.rows {
		for c, v := range f.data[t*d : (t+1)*d] {
			if !math.IsNaN(v) {
				e := v - s.Center[c]
				s.Scale[c] += e * e
			}
		}
	}
	for c := range d {
		s.Scale[c] = math.Sqrt(s.Scale[c] / float64(n[c]))
	}
}

// check returns an error unless f has the scaler's channels in its order.
func (s *Scaler) check(f *Frame) error {
	if len(s.Center) != len(s.Names) || len(s.Scale) != len(s.Names) {
		return fmt.Errorf("timeseries: scaler has %d names, %d centers and %d scales", len(s.Names), len(s.Center), len(s.Scale))
	}
	for c, sc := range s.Scale {
		if !(sc > 0) || math.IsInf(sc, 0) || math.IsNaN(s.Center[c]) || math.IsInf(s.Center[c], 0) {
			return fmt.Errorf("timeseries: scaler channel %q has center %g and scale %g; the scale must be positive and both finite", s.Names[c], s.Center[c], sc)
		}
	}
	if !slices.Equal(s.Names, f.names) {
		return fmt.Errorf("%w: the scaler was fitted on %s, the data has %s",
			ErrMismatch, strings.Join(quote(s.Names), ", "), strings.Join(quote(f.names), ", "))
	}
	return nil
}

// Transform returns a new frame with each channel scaled: (x - Center) /
// Scale. Missing values stay missing. The channels of f must be the scaler's,
// in the same order (select them first); otherwise the error wraps
// [ErrMismatch].
func (s *Scaler) Transform(f *Frame) (*Frame, error) {
	return s.apply(f, false, false)
}

// Inverse returns a new frame mapped back to the original units:
// x × Scale + Center.
func (s *Scaler) Inverse(f *Frame) (*Frame, error) {
	return s.apply(f, true, false)
}

// TransformInPlace scales the values of f in place, saving a copy of the data.
func (s *Scaler) TransformInPlace(f *Frame) error {
	_, err := s.apply(f, false, true)
	return err
}

// InverseInPlace maps the values of f back to the original units in place.
func (s *Scaler) InverseInPlace(f *Frame) error {
	_, err := s.apply(f, true, true)
	return err
}

func (s *Scaler) apply(f *Frame, inverse, inPlace bool) (*Frame, error) {
	if err := s.check(f); err != nil {
		return nil, err
	}
	g := f
	if !inPlace {
		g = &Frame{names: f.names, data: make([]float64, len(f.data)), rows: f.rows, index: f.index}
	}
	d := len(f.names)
	inv := make([]float64, d)
	for c, sc := range s.Scale {
		inv[c] = 1 / sc
	}
	for t := range f.rows {
		src := f.data[t*d : (t+1)*d]
		dst := g.data[t*d : (t+1)*d]
		if inverse {
			for c, v := range src {
				dst[c] = v*s.Scale[c] + s.Center[c]
			}
			continue
		}
		// Subtract first: x/σ - μ/σ would cancel when μ is large against σ.
		for c, v := range src {
			dst[c] = (v - s.Center[c]) * inv[c]
		}
	}
	return g, nil
}
