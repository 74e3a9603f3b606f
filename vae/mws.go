package vae

import (
	"math"

	"github.com/viterin/vek/vek32"
)

// mws holds the buffers of the minibatch-weighted-sampling terms of the
// weighted objective (Settings.Weights) for n rows with L samples each: the
// estimates log q(z) and log q(z_i) of the aggregate posterior couple the
// rows of a minibatch, so they are computed in two phases between the
// decoder's backward pass and the encoder's: for each sample point z_{s,m}
// (split among workers by m), its terms, responsibilities and gradient with
// respect to z; then for each posterior n (split by n), the gradient with
// respect to its mean and covariance parameters, summed over the points in
// a fixed order. Each value is computed the same way whatever the split.
type mws struct {
	n, L int
	lt   []float64 // n × K × K: the posterior's Cholesky factor L_n (lower triangular)
	isv  []float64 // n × K: 1 / S_{n,i}
	ild  []float64 // n × K: 1 / (L_n)_kk
	ldet []float64 // n: log det L_n
	mu   []float64 // n × K
	w    []float64 // L·n × n × K: L_n⁻¹ (z_{s,m} - mu_n)
	v    []float64 // L·n × n × K: L_n⁻ᵀ w
	cj   []float64 // L·n × n: log q(z_{s,m}|x_n), then its loss coefficient
	ci   []float64 // L·n × K × n: log q(z_{s,m,i}|x_n), then its loss coefficient
	dE   []float64 // n × encOut: loss gradient with respect to the encoder outputs
	dp   []float64 // n × K: loss gradient with respect to the prior log-variances
	val  []float64 // n: the rows' terms, averaged over the samples
	z    []float64 // L·n × K: the sample points
	muT  []float64 // K × n: mu, dimension by dimension
	lsvT []float64 // K × n: log S_{n,i}, S_{n,i} = (L_n L_nᵀ)_ii the marginal variances, dimension by dimension
	isvT []float64 // K × n: isv, dimension by dimension
	acc  []float64 // n × 2K: mwsPosts' sums over the points
	eb   []float32 // n × n: the exponentials of one point's terms, float32 engines
}

// mwsActive reports whether this step computes the minibatch-weighted
// terms: with weights whose TC, MI and DimKL differ.
func (e *engine[T]) mwsActive() bool {
	return e.useW && (e.wA != 0 || e.wG != 0 || e.wD != 0)
}

// setWeights sets the weights of the next steps from s.Weights and the KL
// weight beta (Beta times the warm-up ramp): the reconstruction weight, the
// closed-form KL's weight and the weights of log q(z), Σ_i log q(z_i) and
// log p(z|u). With use false, or zero weights, steps use the ELBO.
func (e *engine[T]) setWeights(use bool, beta float64) {
	w := e.s.Weights
	e.useW = use && w != (Weights{})
	if !e.useW {
		e.wRec, e.wA, e.wG, e.wD = 1, 0, 0, 0
		return
	}
	e.wRec = w.Rec
	e.wA, e.wG, e.wD = beta*(w.TC-w.MI), beta*(w.DimKL-w.TC), beta*(w.MI-w.DimKL)
}

// klWeight is the weight of the closed-form KL in a step with KL weight
// beta.
func (e *engine[T]) klWeight(beta float64) float64 {
	if e.useW {
		return beta * e.s.Weights.MI
	}
	return beta
}

func (m *mws) grow(n, L, K, eo int) {
	if n*L <= m.n*m.L && n <= m.n {
		m.n, m.L = n, L
		return
	}
	m.n, m.L = n, L
	m.lt = make([]float64, n*K*K)
	m.isv = make([]float64, n*K)
	m.ild = make([]float64, n*K)
	m.ldet = make([]float64, n)
	m.mu = make([]float64, n*K)
	m.w = make([]float64, L*n*n*K)
	m.v = make([]float64, L*n*n*K)
	m.cj = make([]float64, L*n*n)
	m.ci = make([]float64, L*n*n*K)
	m.dE = make([]float64, n*eo)
	m.dp = make([]float64, n*K)
	m.val = make([]float64, n)
	m.z = make([]float64, L*n*K)
	m.muT = make([]float64, K*n)
	m.lsvT = make([]float64, K*n)
	m.isvT = make([]float64, K*n)
	m.acc = make([]float64, n*2*K)
	m.eb = make([]float32, n*n)
}

// mwsPrep stores the posterior parameters of rows lo..hi-1 (after
// latent(E, 0, ...) has set e.sd).
func (e *engine[T]) mwsPrep(E []T, lo, hi int) {
	K, eo, m := e.s.Latent, encOut(e.s), &e.mw
	for r := lo; r < hi; r++ {
		er := E[r*eo : (r+1)*eo]
		lt := m.lt[r*K*K : (r+1)*K*K]
		clear(lt)
		m.ldet[r] = 0
		for k := 0; k < K; k++ {
			m.ldet[r] += 0.5 * float64(er[K+k])
			sd := e.sd[r*K+k]
			lt[k*K+k] = sd
			m.mu[r*K+k] = float64(er[k])
			s := sd * sd
			if e.s.FullCovariance {
				for j, l := range er[2*K+k*(k-1)/2 : 2*K+k*(k+1)/2] {
					lt[k*K+j] = float64(l)
					s += float64(l * l)
				}
			}
			m.isv[r*K+k] = 1 / s
			m.ild[r*K+k] = 1 / sd
			m.muT[k*m.n+r] = m.mu[r*K+k]
			m.lsvT[k*m.n+r] = math.Log(s)
			m.isvT[k*m.n+r] = m.isv[r*K+k]
		}
	}
}

// expFloor bounds the exponents of softmax's float32 path from below:
// vek32.Exp is wrong below about -88, and a term e^-80 ≈ 2e-35 times the
// largest one is below float32's resolution of their sum anyway.
const expFloor = -80

// softmax replaces x by softmax(x) and returns logsumexp(x). Float32
// engines compute it in float32 in the scratch row of point mm with vek32's
// AVX2 routines (its exponential has a relative error below 1e-7 and is ten
// times as fast as math.Exp); float64 engines, which the gradient checks
// use, in float64 with math.Exp.
func (e *engine[T]) softmax(x []float64, mm int) float64 {
	if e.f32 {
		b := vek32.FromFloat64_Into(e.mw.eb[mm*e.mw.n:mm*e.mw.n+len(x)], x)
		mx := vek32.Max(b)
		vek32.AddNumber_Inplace(b, -mx)
		vek32.MaximumNumber_Inplace(b, expFloor)
		vek32.Exp_Inplace(b)
		s := vek32.Sum(b)
		vek32.MulNumber_Inplace(b, 1/s)
		vek32.ToFloat64_Into(x, b)
		return float64(mx) + math.Log(float64(s))
	}
	mx := math.Inf(-1)
	for _, v := range x {
		mx = max(mx, v)
	}
	var s float64
	for j, v := range x {
		x[j] = math.Exp(v - mx)
		s += x[j]
	}
	inv := 1 / s
	for j := range x {
		x[j] *= inv
	}
	return mx + math.Log(s)
}

// mwsPoints computes, for sample points z_{s,m} with m in lo..hi-1, the
// terms log q(z), Σ_i log q(z_i) and log p(z|u) and, with grad, their
// gradient with respect to z (added to e.dz), with respect to the prior
// log-variances (m.dp) and the coefficients mwsPosts needs.
func (e *engine[T]) mwsPoints(lo, hi int) {
	K, n, L, m := e.s.Latent, e.n, e.jL, &e.mw
	scale := 1 / float64(n*L)
	logMN := math.Log(float64(n) * float64(max(e.N, n)))
	full := e.s.FullCovariance
	joint := e.wA != 0 // the joint density enters only through log q(z)
	ca, cg := e.wA*scale, e.wG*scale
	for mm := lo; mm < hi; mm++ {
		u := e.seg[mm]
		m.val[mm] = 0
		dp := m.dp[mm*K : (mm+1)*K]
		clear(dp)
		for s := 0; s < L; s++ {
			p := s*n + mm // the point
			o := p * K
			zf := m.z[o : o+K]
			for k, v := range e.z[o : o+K] {
				zf[k] = float64(v)
			}
			pt := p * n
			var lqz float64
			if joint {
				for nn := 0; nn < n; nn++ {
					lt := m.lt[nn*K*K : (nn+1)*K*K]
					mu := m.mu[nn*K : (nn+1)*K]
					w := m.w[(pt+nn)*K : (pt+nn+1)*K]
					v := m.v[(pt+nn)*K : (pt+nn+1)*K]
					ild := m.ild[nn*K : (nn+1)*K]
					lq := -m.ldet[nn]
					if full {
						for k := 0; k < K; k++ {
							acc := zf[k] - mu[k]
							for j := 0; j < k; j++ {
								acc -= lt[k*K+j] * w[j]
							}
							w[k] = acc * ild[k]
							lq -= 0.5 * w[k] * w[k]
						}
						for k := K - 1; k >= 0; k-- {
							acc := w[k]
							for j := k + 1; j < K; j++ {
								acc -= lt[j*K+k] * v[j]
							}
							v[k] = acc * ild[k]
						}
					} else {
						for k := 0; k < K; k++ {
							w[k] = (zf[k] - mu[k]) * ild[k]
							v[k] = w[k] * ild[k]
							lq -= 0.5 * w[k] * w[k]
						}
					}
					m.cj[pt+nn] = lq
				}
				lqz = e.softmax(m.cj[pt:pt+n], mm) - 0.5*float64(K)*log2Pi - logMN
			}
			// the marginal densities, one row of n per dimension
			cb := pt * K
			var lqi float64
			for i := 0; i < K; i++ {
				row := m.ci[cb+i*n : cb+(i+1)*n]
				mu, lsv, isv := m.muT[i*n:(i+1)*n], m.lsvT[i*n:(i+1)*n], m.isvT[i*n:(i+1)*n]
				z := zf[i]
				for nn := range row {
					d := z - mu[nn]
					row[nn] = -0.5 * (lsv[nn] + d*d*isv[nn])
				}
				lqi += e.softmax(row, mm) - 0.5*log2Pi - logMN
			}
			var lp float64
			for k := 0; k < K; k++ {
				ip := e.ip[k]
				if e.lay.prior >= 0 {
					ip = e.ip[u*K+k]
				}
				lp -= 0.5 * (log2Pi + e.priorLogVar(u, k) + zf[k]*zf[k]*ip)
				if e.jgrad {
					e.dz[o+k] += T(-e.wD * scale * zf[k] * ip)
					dp[k] -= e.wD * scale * 0.5 * (1 - zf[k]*zf[k]*ip)
				}
			}
			m.val[mm] += (e.wA*lqz + e.wG*lqi + e.wD*lp) / float64(L)
			if !e.jgrad {
				continue
			}
			// responsibilities to loss coefficients, and the gradient with
			// respect to z
			if joint {
				for nn := 0; nn < n; nn++ {
					m.cj[pt+nn] *= ca
					c := m.cj[pt+nn]
					v := m.v[(pt+nn)*K : (pt+nn+1)*K]
					for i := 0; i < K; i++ {
						e.dz[o+i] += T(-c * v[i])
					}
				}
			}
			for i := 0; i < K; i++ {
				row := m.ci[cb+i*n : cb+(i+1)*n]
				mu, isv := m.muT[i*n:(i+1)*n], m.isvT[i*n:(i+1)*n]
				z := zf[i]
				var g float64
				for nn := range row {
					row[nn] *= cg
					g -= row[nn] * (z - mu[nn]) * isv[nn]
				}
				e.dz[o+i] += T(g)
			}
		}
	}
}

// mwsPosts sets, for posteriors n in lo..hi-1, the gradient of the
// minibatch-weighted terms with respect to the encoder outputs (m.dE),
// summed over the sample points in order.
func (e *engine[T]) mwsPosts(lo, hi int) {
	K, n, L, m := e.s.Latent, e.n, e.jL, &e.mw
	eo := encOut(e.s)
	full := e.s.FullCovariance
	joint := e.wA != 0
	for nn := lo; nn < hi; nn++ {
		dE := m.dE[nn*eo : (nn+1)*eo]
		clear(dE)
		lt := m.lt[nn*K*K : (nn+1)*K*K]
		mu := m.mu[nn*K : (nn+1)*K]
		isv := m.isv[nn*K : (nn+1)*K]
		// the marginal terms N(z_k; mu_k, S_k) through two sums per
		// dimension over the points: a = Σ c d, b = Σ c (d²/S - 1)
		a := m.acc[nn*2*K : nn*2*K+K]
		b := m.acc[nn*2*K+K : (nn+1)*2*K]
		clear(a)
		clear(b)
		for p := 0; p < L*n; p++ {
			z := m.z[p*K : (p+1)*K]
			cb := p*n*K + nn
			for k := 0; k < K; k++ {
				c := m.ci[cb+k*n]
				d := z[k] - mu[k]
				a[k] += c * d
				b[k] += c * (d*d*isv[k] - 1)
			}
			if !joint {
				continue
			}
			// joint: d log q(z|x_n) / d mu = v, / d L = v wᵀ (lower part),
			// / d logvar_k = -1/2 + L_kk v_k w_k / 2
			pt := p*n + nn
			c := m.cj[pt]
			w := m.w[pt*K : (pt+1)*K]
			v := m.v[pt*K : (pt+1)*K]
			for k := 0; k < K; k++ {
				dE[k] += c * v[k]
				dE[K+k] += c * (0.5*lt[k*K+k]*v[k]*w[k] - 0.5)
				if full {
					off := dE[2*K+k*(k-1)/2:]
					for j := 0; j < k; j++ {
						off[j] += c * v[k] * w[j]
					}
				}
			}
		}
		for k := 0; k < K; k++ {
			dE[k] += a[k] * isv[k]
			dS := 0.5 * b[k] * isv[k]
			dE[K+k] += dS * lt[k*K+k] * lt[k*K+k]
			if full {
				off := dE[2*K+k*(k-1)/2:]
				for j := 0; j < k; j++ {
					off[j] += 2 * dS * lt[k*K+j]
				}
			}
		}
	}
}
