package synth

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Jacobian returns the K×D matrix of derivatives ∂x_d/∂s_k of the
// noise-free channels at the sources s (one row of K values), in the row
// convention of Forward: A1·diag(f'(h1))·A2·...·AL, where h_l are the
// pre-activations at s. At a leaky-ReLU kink it takes the slope of the
// positive side. It panics if s does not have K values.
func (m *Mixing) Jacobian(s []float64) *mat.Dense {
	h := mat.NewDense(1, len(s), append([]float64(nil), s...))
	var j *mat.Dense
	for l, w := range m.weights {
		// j = j·A_l, with j = I before the first layer.
		if j == nil {
			j = mat.DenseCopyOf(w)
		} else {
			var next mat.Dense
			next.Mul(j, w)
			j = &next
		}
		var y mat.Dense
		y.Mul(h, w)
		if l == len(m.weights)-1 {
			break
		}
		// the derivative of f at each pre-activation scales column c
		row := y.RawRowView(0)
		r, _ := j.Dims()
		for c, v := range row {
			g := m.actDeriv(v)
			for i := range r {
				j.Set(i, c, j.At(i, c)*g)
			}
			row[c] = m.act(v)
		}
		h = &y
	}
	return j
}

func (m *Mixing) actDeriv(v float64) float64 {
	if m.nonlin == TanhLike {
		th := math.Tanh(v)
		return 1 - th*th + m.slope
	}
	if v >= 0 {
		return 1
	}
	return m.slope
}

// Information returns, for each source, how many nats per time step the
// noisy channels carry about it beyond what the other sources explain: the
// mean over time steps of ½·log(1 + σ²_k(u)·|P⊥ j_k|²), where j_k is the
// derivative of the noise-free channels with respect to source k (Jacobian)
// in units of each channel's noise standard deviation, P⊥ removes its part
// along the other sources' derivatives, and σ²_k(u) is the source's
// variance in the step's segment. This is the information about s_k given
// the others for a Gaussian source and the mixing linearised at each step,
// so a model that fits the data exactly gains about this much per step by
// encoding the source. Fits that stay tenths of a nat per step from the
// true model, as VAEs of deep mixings do, cannot be expected to tell a
// source worth less than that from noise (selection's accuracy study
// missed most noisy sources under 0.4 nats). Square deep mixings can carry
// much less about a source than its own marginal ½·log(1 + σ²|j_k|²)
// suggests, when the derivatives of several sources nearly align.
//
// It returns nil for noise-free data, where the information is unbounded.
func (ds *Dataset) Information() []float64 {
	if ds.Settings.SNR == 0 {
		return nil
	}
	t, k := ds.Sources.Rows(), ds.Sources.Channels()
	src := ds.Sources.Data()
	clean := ds.Mixing.Forward(mat.NewDense(t, k, append([]float64(nil), src...)))
	_, d := clean.Dims()
	sd := noiseSD(clean.RawMatrix().Data, t, d, ds.Settings.SNR)

	// each source's variance in each segment
	segs := 0
	for _, u := range ds.Segment {
		segs = max(segs, u+1)
	}
	variance := make([][]float64, segs)
	for u := range variance {
		variance[u] = make([]float64, 2*k) // sums, then sums of squares
	}
	count := make([]float64, segs)
	for i, u := range ds.Segment {
		count[u]++
		for j, v := range src[i*k : (i+1)*k] {
			variance[u][j] += v
			variance[u][k+j] += v * v
		}
	}
	for u, v := range variance {
		for j := range k {
			mean := v[j] / count[u]
			v[j] = v[k+j]/count[u] - mean*mean
		}
	}

	info := make([]float64, k)
	others := mat.NewDense(d, max(k-1, 1), nil)
	jk := mat.NewVecDense(d, nil)
	var qr mat.QR
	var q mat.Dense
	for i, u := range ds.Segment {
		jac := ds.Mixing.Jacobian(src[i*k : (i+1)*k])
		for o := range k {
			for c := range d {
				jac.Set(o, c, jac.At(o, c)/sd[c]) // in units of the noise
			}
		}
		for j := range k {
			jk.CopyVec(jac.RowView(j))
			col := 0
			for o := range k {
				if o != j {
					others.SetCol(col, jac.RawRowView(o))
					col++
				}
			}
			if k > 1 {
				// remove the part of j_k in the span of the others
				qr.Factorize(others)
				qr.QTo(&q)
				for o := range k - 1 {
					qo := q.ColView(o)
					jk.AddScaledVec(jk, -mat.Dot(qo, jk), qo)
				}
			}
			info[j] += 0.5 * math.Log1p(variance[u][j]*mat.Dot(jk, jk))
		}
	}
	for j := range info {
		info[j] /= float64(t)
	}
	return info
}
