package vae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Model is a trained VAE. It is immutable after Train or Load (but for
// SetThreads), and all its other methods are safe for concurrent use.
type Model struct {
	s   Settings
	dim int
	lay layout
	p64 []float64
	p32 []float32 // nil when s.Float64
}

func (m *Model) setParams(p any) {
	switch p := p.(type) {
	case []float32:
		m.p32 = append([]float32(nil), p...)
		m.p64 = convert[float64](p)
	case []float64:
		m.p64 = append([]float64(nil), p...)
		if !m.s.Float64 {
			m.p32 = convert[float32](p)
		}
	}
}

// Dim returns the number of values per input row.
func (m *Model) Dim() int { return m.dim }

// Latent returns the number of latent dimensions.
func (m *Model) Latent() int { return m.s.Latent }

// Settings returns the settings the model was trained with, defaults filled.
func (m *Model) Settings() Settings {
	s := m.s
	s.Hidden = append([]int{}, m.s.Hidden...)
	return s
}

// SetThreads sets the number of goroutines the model's evaluations
// (Encode, ELBO, IWAE, KLPerDim, Decode) use, and that Save records; 0
// means GOMAXPROCS. A model trained on one thread beside others can so
// use every core afterwards. Results do not depend on it. It must not be
// called while the model is in use.
func (m *Model) SetThreads(n int) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	m.s.Threads = n
}

// NumParams returns the number of trained parameters.
func (m *Model) NumParams() int { return len(m.p64) }

// PriorLogVar returns the prior log-variances of the latents for a segment
// (zeros for the standard normal prior). It panics if segment is out of
// range for the segment prior.
func (m *Model) PriorLogVar(segment int) []float64 {
	out := make([]float64, m.s.Latent)
	if m.lay.prior >= 0 {
		if segment < 0 || segment >= m.s.Segments {
			panic(fmt.Sprintf("vae: segment %d out of range [0, %d)", segment, m.s.Segments))
		}
		copy(out, m.p64[m.lay.prior+segment*m.s.Latent:])
	}
	return out
}

// ObsLogVar returns the observation log-variance of each input dimension.
func (m *Model) ObsLogVar() []float64 {
	out := make([]float64, m.dim)
	for i := range out {
		if m.lay.obs >= 0 {
			out[i] = m.p64[m.lay.obs+i%m.s.Channels]
		} else {
			out[i] = math.Log(m.s.FixedObsVariance)
		}
	}
	return out
}

// evalChunk is the number of rows an evaluation goroutine handles at once.
const evalChunk = 256

// chunks runs f over chunks of [0, n) rows on up to Threads goroutines,
// each with its own engine for chunks of evalChunk rows and L samples.
// Chunk c gets its own rng seeded from seeds[c] when seeds is not nil.
func chunks[T float](m *Model, params []T, n, rowsPer, L int, seeds []uint64, f func(e *engine[T], c, lo, hi int, rng *rand.Rand)) {
	nc := (n + rowsPer - 1) / rowsPer
	workers := max(1, min(m.s.Threads, nc))
	var wg sync.WaitGroup
	var next sync.Mutex
	c := 0
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := newEngine(&m.s, &m.lay, m.dim, params, newPool(1), rowsPer, L)
			for {
				next.Lock()
				my := c
				c++
				next.Unlock()
				if my >= nc {
					return
				}
				var rng *rand.Rand
				if seeds != nil {
					rng = rand.New(rand.NewPCG(seeds[my], uint64(my)))
				}
				f(e, my, my*rowsPer, min(n, (my+1)*rowsPer), rng)
			}
		}()
	}
	wg.Wait()
}

func seedsFor(rng *rand.Rand, n, rowsPer int) []uint64 {
	s := make([]uint64, (n+rowsPer-1)/rowsPer)
	for i := range s {
		s[i] = rng.Uint64()
	}
	return s
}

// checkData panics if d breaks the preconditions of the evaluation methods:
// it must have the model's dimension, and a label in [0, Segments) per row
// when the model uses segments. It reports whether d has rows.
func (m *Model) checkData(d Data) bool {
	if d.X == nil || d.X.Len() == 0 {
		return false
	}
	if err := d.check(m.dim, &m.s); err != nil {
		panic(err.Error())
	}
	return true
}

// Encode writes the posterior means and log-variances of q(z|x) for each
// row of d to mu and logvar (row-major, Len × Latent; with FullCovariance
// the marginal log-variances, the log of the diagonal of L·Lᵀ), in parallel over
// rows. It panics if d has the wrong dimension, lacks the segment labels the
// model needs, or mu or logvar is too short.
func (m *Model) Encode(d Data, mu, logvar []float64) {
	if !m.checkData(d) {
		return
	}
	n, K := d.X.Len(), m.s.Latent
	if len(mu) < n*K || len(logvar) < n*K {
		panic(fmt.Sprintf("vae: Encode of %d rows needs outputs of %d values", n, n*K))
	}
	if m.p32 != nil {
		encodeInto(m, m.p32, d, mu, logvar)
	} else {
		encodeInto(m, m.p64, d, mu, logvar)
	}
}

func encodeInto[T float](m *Model, params []T, d Data, mu, logvar []float64) {
	K, eo := m.s.Latent, encOut(&m.s)
	chunks(m, params, d.X.Len(), evalChunk, 1, nil, func(e *engine[T], _, lo, hi int, _ *rand.Rand) {
		e.loadRange(d, lo, hi, make([]int, 0, hi-lo))
		E := e.encode()
		for r := 0; r < hi-lo; r++ {
			for k := 0; k < K; k++ {
				mu[(lo+r)*K+k] = float64(E[r*eo+k])
				logvar[(lo+r)*K+k] = float64(E[r*eo+K+k])
				if m.s.FullCovariance { // the marginal variance
					v := math.Exp(logvar[(lo+r)*K+k])
					for _, l := range E[r*eo+2*K+k*(k-1)/2 : r*eo+2*K+k*(k+1)/2] {
						v += float64(l * l)
					}
					logvar[(lo+r)*K+k] = math.Log(v)
				}
			}
		}
	})
}

// ELBO returns the mean per row of the evidence lower bound
// E_q[log p(x|z)] - KL(q(z|x) || p(z)) estimated with Settings.Samples
// reparameterised samples per row (NaN for no rows). It panics on data of
// the wrong shape, as Encode does.
func (m *Model) ELBO(d Data, rng *rand.Rand) float64 {
	if !m.checkData(d) {
		return math.NaN()
	}
	if m.p32 != nil {
		return elbo(m, m.p32, d, rng)
	}
	return elbo(m, m.p64, d, rng)
}

func elbo[T float](m *Model, params []T, d Data, rng *rand.Rand) float64 {
	n := d.X.Len()
	seeds := seedsFor(rng, n, evalChunk)
	sums := make([]float64, len(seeds))
	chunks(m, params, n, evalChunk, m.s.Samples, seeds, func(e *engine[T], c, lo, hi int, rng *rand.Rand) {
		e.loadRange(d, lo, hi, make([]int, 0, hi-lo))
		rec, kl := e.step(m.s.Samples, 1, rng, false)
		sums[c] = -(rec + kl)
	})
	var s float64
	for _, v := range sums {
		s += v
	}
	return s / float64(n)
}

// KLPerDim returns, for each latent dimension, the mean over the rows of d
// of the closed-form KL(q(z_k|x) || p(z_k)). Dimensions with a KL near
// zero are unused ("collapsed"). It panics on data of the wrong shape, as
// Encode does.
func (m *Model) KLPerDim(d Data) []float64 {
	K := m.s.Latent
	out := make([]float64, K)
	if !m.checkData(d) {
		return out
	}
	n := d.X.Len()
	mu := make([]float64, n*K)
	lv := make([]float64, n*K)
	m.Encode(d, mu, lv)
	for r := 0; r < n; r++ {
		u := 0
		if d.Segment != nil {
			u = d.Segment[r]
		}
		for k := 0; k < K; k++ {
			plv := 0.0
			if m.lay.prior >= 0 {
				plv = m.p64[m.lay.prior+u*K+k]
			}
			out[k] += klNormal(mu[r*K+k], lv[r*K+k], plv)
		}
	}
	for k := range out {
		out[k] /= float64(n)
	}
	return out
}

// klNormal is KL(N(mu, e^lv) || N(0, e^plv)).
func klNormal(mu, lv, plv float64) float64 {
	return 0.5 * (plv - lv + (math.Exp(lv)+mu*mu)*math.Exp(-plv) - 1)
}

// iwaeGroup is the number of importance samples decoded together.
const iwaeGroup = 64

// IWAE returns the mean per row of the importance-weighted bound
// log (1/S) sum_s p(x, z_s)/q(z_s|x) with S samples (Burda et al. 2016),
// which tightens towards log p(x) as S grows (NaN for no rows). It panics
// if samples < 1 or on data of the wrong shape, as Encode does.
func (m *Model) IWAE(d Data, samples int, rng *rand.Rand) float64 {
	if samples < 1 {
		panic("vae: IWAE needs samples >= 1")
	}
	if !m.checkData(d) {
		return math.NaN()
	}
	if m.p32 != nil {
		return iwae(m, m.p32, d, samples, rng)
	}
	return iwae(m, m.p64, d, samples, rng)
}

func iwae[T float](m *Model, params []T, d Data, S int, rng *rand.Rand) float64 {
	const rowsPer = 16
	n, K, dim := d.X.Len(), m.s.Latent, m.dim
	seeds := seedsFor(rng, n, rowsPer)
	sums := make([]float64, len(seeds))
	G := min(S, iwaeGroup)
	chunks(m, params, n, rowsPer, G, seeds, func(e *engine[T], c, lo, hi int, rng *rand.Rand) {
		rows := hi - lo
		e.loadRange(d, lo, hi, make([]int, 0, rows))
		E := e.encode()
		e.obsVar()
		mx := make([]float64, rows)
		acc := make([]float64, rows)
		for i := range mx {
			mx[i] = math.Inf(-1)
		}
		for s0 := 0; s0 < S; s0 += G {
			g := min(G, S-s0)
			e.sample(E, g, rng)
			xr := e.decode(e.z, g*rows)
			for s := 0; s < g; s++ {
				for r := 0; r < rows; r++ {
					var lw float64
					o := (s*rows + r) * dim
					for i := 0; i < dim; i++ {
						diff := float64(e.x[r*e.inE+i] - xr[o+i])
						lw -= 0.5 * (log2Pi + float64(e.lvx[i]) + diff*diff*float64(e.ivx[i]))
					}
					for k := 0; k < K; k++ {
						zo := (s*rows+r)*K + k
						z, eps := float64(e.z[zo]), float64(e.eps[zo])
						plv := e.priorLogVar(e.seg[r], k)
						lw += -0.5*(plv+z*z*math.Exp(-plv)) + 0.5*(float64(E[r*encOut(&m.s)+K+k])+eps*eps)
					}
					// streaming log-sum-exp
					if lw > mx[r] {
						acc[r] = acc[r]*math.Exp(mx[r]-lw) + 1
						mx[r] = lw
					} else {
						acc[r] += math.Exp(lw - mx[r])
					}
				}
			}
		}
		var sum float64
		for r := range rows {
			sum += mx[r] + math.Log(acc[r]/float64(S))
		}
		sums[c] = sum
	})
	var s float64
	for _, v := range sums {
		s += v
	}
	return s / float64(n)
}

// Decode writes the decoder means f(z) for the rows of z (row-major, each
// of Latent values) to x (rows × Dim). It panics on a length mismatch.
func (m *Model) Decode(z, x []float64) {
	K := m.s.Latent
	if K == 0 || len(z)%K != 0 || len(x) < len(z)/K*m.dim {
		panic(fmt.Sprintf("vae: Decode of %d latent values into %d outputs", len(z), len(x)))
	}
	if m.p32 != nil {
		decodeInto(m, m.p32, z, x)
	} else {
		decodeInto(m, m.p64, z, x)
	}
}

func decodeInto[T float](m *Model, params []T, z, x []float64) {
	K, dim := m.s.Latent, m.dim
	chunks(m, params, len(z)/K, evalChunk, 1, nil, func(e *engine[T], _, lo, hi int, _ *rand.Rand) {
		for i := lo * K; i < hi*K; i++ {
			e.z[i-lo*K] = T(z[i])
		}
		out := e.decode(e.z, hi-lo)
		for i, v := range out {
			x[lo*dim+i] = float64(v)
		}
	})
}
