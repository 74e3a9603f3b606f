package ica

import (
	"math"

	"github.com/vica-dev/vica/timeseries"
	"gonum.org/v1/gonum/mat"
)

// DefaultCollinearTol is the default of [Settings].CollinearTol.
//
// A channel whose part not explained linearly by the channels before it has
// a standard deviation below this fraction of its own is treated as an exact
// combination of them. 1e-6 rather than the ~1e-15 of float64 arithmetic
// because derived channels are usually computed and then written as text:
// a lead III = II - I stored with 6 or 7 significant digits leaves a
// relative residual of order 1e-7, while two genuinely different sensors
// are never that close (it would mean a signal-to-noise ratio of 120 dB
// for the independent part).
const DefaultCollinearTol = 1e-6

// Dropped describes a channel left out of training because it is (up to
// DefaultCollinearTol or Settings.CollinearTol) an exact linear combination
// of other channels, such as a duplicated column or a derived ECG lead:
//
//	Channel ≈ Intercept + Σ Coef[i]·Of[i]
//
// in the input's units. A constant channel has no Of.
type Dropped struct {
	Channel   string    `json:"channel"`
	Of        []string  `json:"of"`
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
	// Residual is the standard deviation of the part of Channel that the
	// combination does not explain, relative to Channel's own.
	Residual float64 `json:"residual"`
}

// collinear finds the channels of f that are linear combinations of earlier
// ones (scanning in order, so the first of two duplicates is kept) or are
// constant. It returns the indices of the channels kept and a report of
// those dropped. Values must be finite.
func collinear(f *timeseries.Frame, tol float64) (keep []int, dropped []Dropped) {
	T, D := f.Rows(), f.Channels()
	cols := make([][]float64, D) // centred columns
	means := make([]float64, D)  // column means
	var basis [][]float64        // orthonormal basis of the kept centred columns
	for c := range D {
		col := f.Column(c, nil)
		var m float64
		for _, v := range col {
			m += v
		}
		m /= float64(T)
		for t := range col {
			col[t] -= m
		}
		cols[c], means[c] = col, m
		n := norm(col)
		if n == 0 || math.IsNaN(n) {
			dropped = append(dropped, Dropped{Channel: f.Names()[c], Intercept: m})
			continue
		}
		r := append([]float64(nil), col...)
		// Modified Gram-Schmidt, twice ("twice is enough", Giraud et al.
		// 2005) so that the residual is accurate to rounding.
		for range 2 {
			for _, q := range basis {
				d := dot(q, r)
				for t := range r {
					r[t] -= d * q[t]
				}
			}
		}
		rn := norm(r)
		if rn/n < tol {
			dropped = append(dropped, combination(f.Names(), cols, means, keep, c, rn/n))
			continue
		}
		for t := range r {
			r[t] /= rn
		}
		basis = append(basis, r)
		keep = append(keep, c)
	}
	return keep, dropped
}

// combination solves for the coefficients of channel c on the kept
// channels by least squares.
func combination(names []string, cols [][]float64, means []float64, keep []int, c int, resid float64) Dropped {
	T := len(cols[c])
	a := mat.NewDense(T, len(keep), nil)
	for j, k := range keep {
		for t := range T {
			a.Set(t, j, cols[k][t])
		}
	}
	var x mat.Dense
	d := Dropped{Channel: names[c], Residual: resid, Intercept: means[c]}
	if err := x.Solve(a, mat.NewVecDense(T, cols[c])); err != nil {
		return d
	}
	// Report only the channels that take part: a coefficient whose
	// contribution is negligible against the channel's spread is rounding.
	sc := norm(cols[c])
	for j, k := range keep {
		b := x.At(j, 0)
		if math.Abs(b)*norm(cols[k]) <= 1e-9*sc {
			continue
		}
		d.Of = append(d.Of, names[k])
		d.Coef = append(d.Coef, b)
		d.Intercept -= b * means[k]
	}
	return d
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }
