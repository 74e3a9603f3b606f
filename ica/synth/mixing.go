package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Mixing is an invertible MLP from K sources to D >= K channels: a row of
// sources s goes to x = f(...f(s·A1)·A2...)·AL, where f is the nonlinearity
// and the matrices are well-conditioned (Khemakhem et al. 2020, section 6).
// A Mixing is safe for concurrent use.
type Mixing struct {
	weights  []*mat.Dense // weights[l] is in×out: K×D for the first layer, D×D after
	inverses []*mat.Dense // right inverses: out×in, so that (s·A)·A⁺ = s
	nonlin   Nonlinearity
	slope    float64
}

// Layers returns the number of layers.
func (m *Mixing) Layers() int { return len(m.weights) }

// Weight returns a copy of the matrix of layer l (0-based), of shape
// inputs × outputs.
func (m *Mixing) Weight(l int) *mat.Dense { return mat.DenseCopyOf(m.weights[l]) }

// Forward maps sources (rows = time, columns = sources) to noise-free
// channels. It panics if s does not have K columns.
func (m *Mixing) Forward(s *mat.Dense) *mat.Dense {
	x := mat.DenseCopyOf(s)
	for l, w := range m.weights {
		var y mat.Dense
		y.Mul(x, w)
		if l < len(m.weights)-1 {
			raw := y.RawMatrix()
			for i := 0; i < raw.Rows; i++ {
				row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
				for j, v := range row {
					row[j] = m.act(v)
				}
			}
		}
		x = &y
	}
	return x
}

// Inverse maps noise-free channels (rows = time, columns = channels) back to
// the sources. For D > K the first layer is inverted by its pseudo-inverse,
// which is exact for points in the mixing's image. It panics if x does not
// have D columns.
func (m *Mixing) Inverse(x *mat.Dense) *mat.Dense {
	y := mat.DenseCopyOf(x)
	for l := len(m.weights) - 1; l >= 0; l-- {
		if l < len(m.weights)-1 {
			raw := y.RawMatrix()
			for i := 0; i < raw.Rows; i++ {
				row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
				for j, v := range row {
					row[j] = m.actInverse(v)
				}
			}
		}
		var z mat.Dense
		z.Mul(y, m.inverses[l])
		y = &z
	}
	return y
}

func (m *Mixing) act(v float64) float64 {
	if m.nonlin == TanhLike {
		return math.Tanh(v) + m.slope*v
	}
	if v > 0 {
		return v
	}
	return m.slope * v
}

func (m *Mixing) actInverse(y float64) float64 {
	if m.nonlin == LeakyReLU {
		if y > 0 {
			return y
		}
		return y / m.slope
	}
	// tanh(u) + c·u is strictly increasing with derivative >= c, and the
	// root lies in [(y-1)/c, (y+1)/c]: Newton steps kept inside the bracket.
	c := m.slope
	lo, hi := (y-1)/c, (y+1)/c
	u := y / (1 + c)
	for range 100 {
		th := math.Tanh(u)
		f := th + c*u - y
		if f > 0 {
			hi = u
		} else {
			lo = u
		}
		next := u - f/(1-th*th+c)
		if !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		if math.Abs(next-u) <= 1e-15*(1+math.Abs(u)) {
			return next
		}
		u = next
	}
	return u
}

// forwardRows mixes t rows of k sources in src into x (t rows of d values).
func (m *Mixing) forwardRows(src, x []float64, t int) {
	k := m.weights[0].RawMatrix().Rows
	out := m.Forward(mat.NewDense(t, k, src))
	d := out.RawMatrix().Cols
	for i := 0; i < t; i++ {
		copy(x[i*d:(i+1)*d], out.RawRowView(i))
	}
}

// newMixing draws the L matrices of a mixing from k to d channels; unless
// distinct, the D×D layers all reuse one matrix (the first one's if k = d).
// Each is drawn with entries uniform on [-1, 1] and unit-norm columns, and redrawn
// until its condition number is at most the 25th percentile of the
// condition numbers of such matrices, as the iVAE reference code does.
func newMixing(k, d, layers int, nonlin Nonlinearity, slope float64, distinct bool, rng *rand.Rand) (*Mixing, error) {
	m := &Mixing{nonlin: nonlin, slope: slope}
	thresholds := map[[2]int]float64{}
	for l := 0; l < layers; l++ {
		in := d
		if l == 0 {
			in = k
		}
		if !distinct && (l >= 2 || l == 1 && k == d) {
			m.weights = append(m.weights, m.weights[l-1])
			m.inverses = append(m.inverses, m.inverses[l-1])
			continue
		}
		shape := [2]int{in, d}
		thr, ok := thresholds[shape]
		if !ok {
			thr = conditionThreshold(in, d, rng)
			thresholds[shape] = thr
		}
		var w *mat.Dense
		for try := 0; ; try++ {
			if try == 10000 {
				return nil, fmt.Errorf("synth: no %d×%d matrix with condition number below %g in %d draws", in, d, thr, try)
			}
			w = uniformMatrix(in, d, rng)
			if cond(w) <= thr {
				break
			}
		}
		inv, err := rightInverse(w)
		if err != nil {
			return nil, err
		}
		m.weights = append(m.weights, w)
		m.inverses = append(m.inverses, inv)
	}
	return m, nil
}

// conditionThreshold returns the 25th percentile of the condition numbers of
// random in×out matrices. The iVAE code uses 10⁴ draws; larger matrices get
// fewer (at least 200) to bound the cost of the SVDs.
func conditionThreshold(in, out int, rng *rand.Rand) float64 {
	const full, minDraws = 10000, 200
	cost := float64(in) * float64(out) * float64(max(in, out))
	draws := int(math.Max(minDraws, math.Min(full, full*125/cost)))
	conds := make([]float64, draws)
	for i := range conds {
		conds[i] = cond(uniformMatrix(in, out, rng))
	}
	slices.Sort(conds)
	return conds[draws/4]
}

func uniformMatrix(r, c int, rng *rand.Rand) *mat.Dense {
	w := mat.NewDense(r, c, nil)
	for j := 0; j < c; j++ {
		var ss float64
		for i := 0; i < r; i++ {
			v := 2*rng.Float64() - 1
			w.Set(i, j, v)
			ss += v * v
		}
		norm := math.Sqrt(ss)
		for i := 0; i < r; i++ {
			w.Set(i, j, w.At(i, j)/norm)
		}
	}
	return w
}

// cond returns the 2-norm condition number σmax/σmin (+Inf if singular).
func cond(w *mat.Dense) float64 {
	var svd mat.SVD
	if !svd.Factorize(w, mat.SVDNone) {
		return math.Inf(1)
	}
	s := svd.Values(nil)
	if s[len(s)-1] == 0 {
		return math.Inf(1)
	}
	return s[0] / s[len(s)-1]
}

// rightInverse returns W⁺ = Wᵀ(WWᵀ)⁻¹ for a full-row-rank W, so W·W⁺ = I.
func rightInverse(w *mat.Dense) (*mat.Dense, error) {
	r, _ := w.Dims()
	var g, gi mat.Dense
	g.Mul(w, w.T())
	if err := gi.Inverse(&g); err != nil {
		return nil, fmt.Errorf("synth: mixing layer not invertible: %w", err)
	}
	inv := mat.NewDense(w.RawMatrix().Cols, r, nil)
	inv.Mul(w.T(), &gi)
	return inv, nil
}
