package vae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGradient compares the analytic gradient of the whole negative ELBO
// (with the noise held fixed by reseeding) with central finite differences,
// parameter by parameter, reporting the worst relative error of each layer
// and of the variance parameters.
func TestGradient(t *testing.T) {
	// tol: central differences with step h have error O(h²·f''') ≈ 1e-10
	// and rounding error O(ε/h) ≈ 1e-10 in float64; 1e-6 leaves margin.
	const (
		tol = 1e-6
		h   = 1e-5
	)
	cases := []struct {
		name string
		s    Settings
	}{
		{"leaky/standard", Settings{Latent: 3, Hidden: []int{5, 4}, Samples: 2, Beta: 0.7}},
		{"tanh/segment/encoder-sees-u", Settings{Latent: 2, Hidden: []int{6}, Activation: Tanh, Prior: SegmentPrior,
			Segments: 3, EncoderSeesSegment: true, Channels: 2, Samples: 3}},
		{"relu/fixed-variance", Settings{Latent: 2, Hidden: []int{7, 5}, Activation: ReLU, FixedObsVariance: 0.5}},
		{"linear", Settings{Latent: 2, Hidden: []int{}, Prior: SegmentPrior, Segments: 2}},
		{"full-covariance/segment", Settings{Latent: 3, Hidden: []int{5}, Activation: Tanh, Prior: SegmentPrior, Segments: 2,
			FullCovariance: true, Samples: 2}},
		{"wide", Settings{Latent: 3, Hidden: []int{70}, Activation: Tanh, Samples: 2}}, // exercises the gemm path
		// the weighted objective of the iVAE reference (Weights), whose
		// minibatch estimates couple the rows
		{"weights/segment", Settings{Latent: 3, Hidden: []int{5}, Activation: Tanh, Prior: SegmentPrior, Segments: 2,
			FixedObsVariance: 0.5, Weights: Weights{Rec: 3, MI: 1, TC: 0, DimKL: 10}}},
		{"weights/full-covariance", Settings{Latent: 3, Hidden: []int{5}, Activation: Tanh, Prior: SegmentPrior, Segments: 2,
			FullCovariance: true, Samples: 2, Beta: 0.7, Weights: Weights{Rec: 2, MI: 1.5, TC: 0.5, DimKL: 4}}},
		{"weights/mi=tc", Settings{Latent: 3, Hidden: []int{5}, Prior: SegmentPrior, Segments: 3, FullCovariance: true,
			Weights: Weights{Rec: 1, MI: 1, TC: 1, DimKL: 12}}}, // without the joint log q(z)
		{"weights/standard", Settings{Latent: 2, Hidden: []int{4}, Weights: Weights{Rec: 1, MI: 2, TC: 3, DimKL: 0.5}}},
		// the importance-weighted bound, whose weights couple the samples
		{"iw/segment", Settings{Latent: 3, Hidden: []int{5, 4}, Prior: SegmentPrior, Segments: 3, Samples: 4,
			ImportanceWeighted: true}},
		{"iw/beta/standard", Settings{Latent: 2, Hidden: []int{6}, Activation: Tanh, Samples: 3, Beta: 0.6,
			ImportanceWeighted: true}},
		{"iw/full-covariance/channels", Settings{Latent: 3, Hidden: []int{5}, Activation: Tanh, Prior: SegmentPrior,
			Segments: 2, Channels: 2, FullCovariance: true, Samples: 3, Beta: 0.8, ImportanceWeighted: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const dim, n = 4, 5
			rng := rand.New(rand.NewPCG(1, 2))
			s, err := resolve(&c.s, dim)
			if err != nil {
				t.Fatal(err)
			}
			s.Float64 = true
			lay := newLayout(&s, dim)
			p := initParams(&lay, rng)
			for i := range p { // move the variances away from their zero start
				if i >= lay.obs && lay.obs >= 0 {
					p[i] = 0.3 * rng.NormFloat64()
				}
			}
			x := make([]float64, n*dim)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			seg := make([]int, n)
			for i := range seg {
				seg[i] = rng.IntN(max(1, s.Segments))
			}
			d := Data{X: Matrix(x, dim), Segment: seg}
			if s.Segments == 0 {
				d.Segment = nil
			}
			e := newEngine(&s, &lay, dim, p, newPool(1), n, s.Samples)
			e.iw = s.ImportanceWeighted
			idx := []int{0, 1, 2, 3, 4}
			loss := func(grad bool) float64 {
				e.load(d, idx)
				e.setWeights(true, s.Beta)
				rec, kl := e.step(s.Samples, s.Beta, rand.New(rand.NewPCG(7, 8)), grad)
				return (e.wRec*rec + e.klWeight(s.Beta)*kl + e.extra) / n
			}
			loss(true)
			g := append([]float64(nil), e.g...)
			worst := map[string]float64{}
			for i := range p {
				old := p[i]
				p[i] = old + h
				fp := loss(false)
				p[i] = old - h
				fm := loss(false)
				p[i] = old
				fd := (fp - fm) / (2 * h)
				rel := math.Abs(fd-g[i]) / math.Max(math.Abs(fd)+math.Abs(g[i]), 1e-3)
				part := paramName(&lay, i)
				worst[part] = math.Max(worst[part], rel)
			}
			for part, w := range worst {
				if w > tol {
					t.Errorf("%s: relative error %.3g > %g", part, w, tol)
				} else {
					t.Logf("%s: relative error %.3g", part, w)
				}
			}
		})
	}
}

// paramName names the layer or group that parameter i belongs to.
func paramName(l *layout, i int) string {
	for name, ls := range map[string][]linear{"encoder": l.enc, "decoder": l.dec} {
		for j, ln := range ls {
			if i >= ln.w && i < ln.b+ln.out {
				return fmt.Sprintf("%s layer %d", name, j)
			}
		}
	}
	if l.prior >= 0 && i >= l.prior {
		return "prior log-variances"
	}
	return "observation log-variances"
}

// TestFloat32Weighted checks the float32 engine's weighted objective, whose
// minibatch terms take their exponentials from vek32 rather than math.Exp,
// against the float64 engine that TestGradient checks: same parameters,
// data and noise, so the loss and gradient differ by rounding only.
func TestFloat32Weighted(t *testing.T) {
	// tol: float32 carries about 7 digits; the loss and each gradient
	// component go through a few hundred operations, so agreement to 1e-4
	// of the gradient's norm is what rounding allows, and an error in the
	// float32 path (a wrong exponent, a dropped term) is of order one.
	const tol = 1e-4
	for _, w := range []Weights{{Rec: 1, MI: 1, TC: 1, DimKL: 12}, {Rec: 2, MI: 1.5, TC: 0.5, DimKL: 4}} {
		t.Run(fmt.Sprintf("%+v", w), func(t *testing.T) {
			const dim, n = 5, 40
			rng := rand.New(rand.NewPCG(3, 9))
			s, err := resolve(&Settings{Latent: 4, Hidden: []int{30}, Prior: SegmentPrior, Segments: 4,
				FullCovariance: true, Weights: w, BatchSize: n}, dim)
			if err != nil {
				t.Fatal(err)
			}
			lay := newLayout(&s, dim)
			p := initParams(&lay, rng)
			x := make([]float64, n*dim)
			for i := range x {
				x[i] = 2 * rng.NormFloat64()
			}
			seg := make([]int, n)
			idx := make([]int, n)
			for i := range seg {
				seg[i], idx[i] = i%4, i
			}
			d := Data{X: Matrix(x, dim), Segment: seg}
			e64 := newEngine(&s, &lay, dim, p, newPool(1), n, 1)
			e64.load(d, idx)
			e64.setWeights(true, 1)
			r64, k64 := e64.step(1, 1, rand.New(rand.NewPCG(7, 8)), true)
			e32 := newEngine(&s, &lay, dim, convert[float32](p), newPool(1), n, 1)
			e32.load(d, idx)
			e32.setWeights(true, 1)
			r32, k32 := e32.step(1, 1, rand.New(rand.NewPCG(7, 8)), true)
			l64 := e64.wRec*r64 + e64.klWeight(1)*k64 + e64.extra
			l32 := e32.wRec*r32 + e32.klWeight(1)*k32 + e32.extra
			if rel := math.Abs(l32-l64) / math.Abs(l64); rel > tol {
				t.Errorf("loss %v in float32, %v in float64: relative difference %.3g > %g", l32, l64, rel, tol)
			}
			var diff, norm float64
			for i, g := range e64.g {
				dd := float64(e32.g[i]) - g
				diff += dd * dd
				norm += g * g
			}
			if rel := math.Sqrt(diff / norm); rel > tol {
				t.Errorf("gradients differ by %.3g of their norm > %g", rel, tol)
			} else {
				t.Logf("loss %.3g apart, gradients %.3g of their norm apart", math.Abs(l32-l64)/math.Abs(l64), rel)
			}
		})
	}
}

// TestImportanceWeightedValue checks the importance-weighted loss of a
// training step against the bound computed from the model's own Encode and
// Decode with the same noise: log (1/L) Σ_s exp(log p(x|z_s) +
// beta·[log p(z_s|u) - log q(z_s|x)]) per row, at KL weight 1 (what the
// step reports) and at beta (what it trains on). TestGradient checks the
// gradient of that same loss.
func TestImportanceWeightedValue(t *testing.T) {
	// tol: both sides are float64 sums of a few dozen terms each
	const tol = 1e-9
	const dim, n, L, beta = 4, 6, 5, 0.6
	rng := rand.New(rand.NewPCG(4, 4))
	s, err := resolve(&Settings{Latent: 3, Hidden: []int{7}, Activation: Tanh, Prior: SegmentPrior, Segments: 2,
		Samples: L, ImportanceWeighted: true, Float64: true}, dim)
	if err != nil {
		t.Fatal(err)
	}
	lay := newLayout(&s, dim)
	p := initParams(&lay, rng)
	for i := lay.obs; i < lay.size; i++ { // variances away from 1
		p[i] = 0.5 * rng.NormFloat64()
	}
	m := &Model{s: s, dim: dim, lay: lay}
	m.setParams(p)
	d := randData(rng, n, dim, s.Segments)
	idx := []int{0, 1, 2, 3, 4, 5}
	e := newEngine(&s, &lay, dim, p, newPool(1), n, L)
	e.iw = true
	for _, b := range []float64{1, beta} {
		e.load(d, idx)
		rec, kl := e.step(L, b, rand.New(rand.NewPCG(5, 6)), false)
		mu := make([]float64, n*s.Latent)
		lv := make([]float64, n*s.Latent)
		m.Encode(d, mu, lv)
		obs := m.ObsLogVar()
		var want1, wantB float64
		for r := range n {
			prior := m.PriorLogVar(d.Segment[r])
			lw1 := make([]float64, L)
			lwB := make([]float64, L)
			for smp := range L {
				z := make([]float64, s.Latent)
				var logq, logp float64
				for k := range z {
					eps := e.eps[(smp*n+r)*s.Latent+k]
					z[k] = mu[r*s.Latent+k] + math.Exp(lv[r*s.Latent+k]/2)*eps
					logq += -0.5 * (log2Pi + lv[r*s.Latent+k] + eps*eps)
					logp += -0.5 * (log2Pi + prior[k] + z[k]*z[k]*math.Exp(-prior[k]))
				}
				xr := make([]float64, dim)
				m.Decode(z, xr)
				var logx float64
				for i, v := range d.X.Row(r) {
					logx += -0.5 * (log2Pi + obs[i] + (v-xr[i])*(v-xr[i])*math.Exp(-obs[i]))
				}
				lw1[smp], lwB[smp] = logx+logp-logq, logx+b*(logp-logq)
			}
			want1 += logMeanExp(lw1)
			wantB += logMeanExp(lwB)
		}
		if kl != 0 {
			t.Errorf("beta %g: kl %v, want 0 with the importance-weighted bound", b, kl)
		}
		if math.Abs(-rec-want1) > tol*math.Abs(want1) {
			t.Errorf("beta %g: bound %v, want %v", b, -rec, want1)
		}
		if got := -(rec + e.extra); math.Abs(got-wantB) > tol*math.Abs(wantB) {
			t.Errorf("beta %g: loss's bound %v, want %v", b, got, wantB)
		}
	}
}

func logMeanExp(x []float64) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = max(mx, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - mx)
	}
	return mx + math.Log(s/float64(len(x)))
}

// TestDoublyReparameterizedUnbiased checks that the doubly reparameterised
// estimator and the standard one have the same expectation: the gradient of
// the expected importance-weighted bound. Both are averaged over the same
// draws of the noise; each component's difference of means must be within
// zTol standard errors (of the per-draw differences), at KL weight 1 and
// below it (where the weights are (1-b)·w + b·w²). The decoder's, prior's
// and observation gradients are the same by construction; the encoder's
// differ draw by draw.
func TestDoublyReparameterizedUnbiased(t *testing.T) {
	// zTol: with about 60 encoder components, a 4.5-sigma excursion of an
	// unbiased difference has probability about 1e-4 in one run; a dropped
	// or mis-weighted term shifts the means by tens of standard errors.
	const (
		zTol  = 4.5
		draws = 20000
	)
	for _, beta := range []float64{1, 0.5} {
		t.Run(fmt.Sprint("beta=", beta), func(t *testing.T) {
			const dim, n, L = 3, 4, 3
			rng := rand.New(rand.NewPCG(2, 11))
			s, err := resolve(&Settings{Latent: 2, Hidden: []int{5}, Activation: Tanh, Prior: SegmentPrior, Segments: 2,
				Samples: L, ImportanceWeighted: true, Beta: beta, Float64: true}, dim)
			if err != nil {
				t.Fatal(err)
			}
			lay := newLayout(&s, dim)
			p := initParams(&lay, rng)
			d := randData(rng, n, dim, s.Segments)
			idx := []int{0, 1, 2, 3}
			std := newEngine(&s, &lay, dim, p, newPool(1), n, L)
			std.iw = true
			dr := newEngine(&s, &lay, dim, p, newPool(1), n, L)
			dr.iw, dr.dreg = true, true
			enc := lay.enc[len(lay.enc)-1].b + lay.enc[len(lay.enc)-1].out // the encoder's parameters come first
			sum := make([]float64, enc)
			sq := make([]float64, enc)
			for i := range draws {
				for _, e := range []*engine[float64]{std, dr} {
					e.load(d, idx)
					e.step(L, beta, rand.New(rand.NewPCG(uint64(i), 3)), true)
				}
				for j := range sum {
					diff := dr.g[j] - std.g[j]
					sum[j] += diff
					sq[j] += diff * diff
				}
				for j := enc; j < len(p); j++ {
					if dr.g[j] != std.g[j] {
						t.Fatalf("parameter %d (%s) differs: %v against %v", j, paramName(&lay, j), dr.g[j], std.g[j])
					}
				}
			}
			var worst float64
			for j := range sum {
				mean := sum[j] / draws
				se := math.Sqrt((sq[j]/draws - mean*mean) / draws)
				if se == 0 {
					continue
				}
				worst = max(worst, math.Abs(mean)/se)
			}
			if worst > zTol {
				t.Errorf("the estimators' means differ by %.1f standard errors > %g", worst, zTol)
			} else {
				t.Logf("largest difference of means: %.2f standard errors", worst)
			}
		})
	}
}
