package vae

import (
	"math"
	"math/rand/v2"

	"github.com/vica-dev/vica/vae/internal/kernel"
)

// linear is one affine layer y = x W + b whose W (in×out, row-major) and b
// sit at offsets w and b of the flat parameter vector.
type linear struct{ in, out, w, b int }

// layout places every parameter in one flat vector, so that Adam, clipping,
// roll-back and Save work on a single slice.
type layout struct {
	enc, dec []linear
	obs      int // offset of Channels observation log-variances, -1 if fixed
	prior    int // offset of Segments×Latent prior log-variances, -1 if none
	size     int
}

func newLayout(s *Settings, dim int) layout {
	var l layout
	add := func(in, out int) linear {
		ln := linear{in: in, out: out, w: l.size, b: l.size + in*out}
		l.size += in*out + out
		return ln
	}
	in := encIn(s, dim)
	for _, h := range s.Hidden {
		l.enc = append(l.enc, add(in, h))
		in = h
	}
	l.enc = append(l.enc, add(in, 2*s.Latent))
	in = s.Latent
	for _, h := range s.Hidden {
		l.dec = append(l.dec, add(in, h))
		in = h
	}
	l.dec = append(l.dec, add(in, dim))
	l.obs, l.prior = -1, -1
	if s.FixedObsVariance == 0 {
		l.obs = l.size
		l.size += s.Channels
	}
	if s.Prior == SegmentPrior {
		l.prior = l.size
		l.size += s.Segments * s.Latent
	}
	return l
}

func encIn(s *Settings, dim int) int {
	if s.EncoderSeesSegment {
		return dim + s.Segments
	}
	return dim
}

// initParams draws the initial parameters as PyTorch's nn.Linear does
// (weights and biases uniform in ±1/sqrt(fan-in)); log-variances start at 0.
func initParams(l *layout, rng *rand.Rand) []float64 {
	p := make([]float64, l.size)
	for _, ls := range [][]linear{l.enc, l.dec} {
		for _, ln := range ls {
			bound := 1 / math.Sqrt(float64(ln.in))
			for i := ln.w; i < ln.b+ln.out; i++ {
				p[i] = bound * (2*rng.Float64() - 1)
			}
		}
	}
	return p
}

const (
	log2Pi  = 1.8378770664093453 // log(2π)
	wideMin = 64                 // output widths from which gemm beats dot products
)

type epilogue int

const (
	epiNone    epilogue = iota
	epiBias             // c += bias per row
	epiBiasAct          // c = act(c + bias)
	epiDeriv            // c *= act'(h), h the layer output
)

// engine holds a network's parameters and the buffers for minibatches of
// up to cap rows with L samples each. It is used by one goroutine at a time;
// its pool parallelises the products inside.
type engine[T float] struct {
	s        *Settings
	dim, inE int
	lay      *layout
	p, g     []T
	pool     *pool
	cap, L   int
	n        int // rows loaded

	x        []T   // n × inE (data then one-hot segment)
	seg      []int // n labels (zeros without segments)
	enc, dec [][]T // layer outputs: n × out and L·n × out
	eps, z   []T   // L·n × K
	dz       []T   // L·n × K
	dE       []T   // n × 2K
	d1, d2   []T   // gradient ping-pong buffers
	sa, sb   []T   // transposition scratch
	lvx, ivx []T   // per input dimension observation log-variance and its exp(-·)
	gobs     []float64

	// the current job of mulPart and colsumPart
	jc, ja, jb, jbias, jh []T
	jm, jn, jp, jrs, jks  int
	jwide, jpacked        bool
	jepi                  epilogue
	jact                  Activation
	mulFn, colsumFn       func(w, lo, hi int)
	ks                    []kernel.Scratch // per worker
	f32                   bool             // T is float32: use the kernel package
}

func newEngine[T float](s *Settings, lay *layout, dim int, params []T, pl *pool, capRows, L int) *engine[T] {
	e := &engine[T]{s: s, dim: dim, inE: encIn(s, dim), lay: lay, p: params, pool: pl, cap: capRows, L: L}
	e.g = make([]T, len(params))
	K := s.Latent
	e.x = make([]T, capRows*e.inE)
	e.seg = make([]int, capRows)
	maxW := max(e.inE, 2*K, dim)
	for _, ln := range lay.enc {
		e.enc = append(e.enc, make([]T, capRows*ln.out))
		maxW = max(maxW, ln.out)
	}
	for _, ln := range lay.dec {
		e.dec = append(e.dec, make([]T, L*capRows*ln.out))
		maxW = max(maxW, ln.out)
	}
	e.eps = make([]T, L*capRows*K)
	e.z = make([]T, L*capRows*K)
	e.dz = make([]T, L*capRows*K)
	e.dE = make([]T, capRows*2*K)
	e.d1 = make([]T, L*capRows*maxW)
	e.d2 = make([]T, L*capRows*maxW)
	e.lvx = make([]T, dim)
	e.ivx = make([]T, dim)
	e.gobs = make([]float64, dim)
	e.ks = make([]kernel.Scratch, pl.n)
	_, e.f32 = any(e.p).([]float32)
	e.mulFn = e.mulPart
	e.colsumFn = e.colsumPart
	return e
}

// load copies rows idx of d into the input buffer.
func (e *engine[T]) load(d Data, idx []int) {
	e.n = len(idx)
	for r, i := range idx {
		row := d.X.Row(i)
		dst := e.x[r*e.inE : (r+1)*e.inE]
		for j, v := range row {
			dst[j] = T(v)
		}
		u := 0
		if d.Segment != nil {
			u = d.Segment[i]
		}
		e.seg[r] = u
		if e.s.EncoderSeesSegment {
			oh := dst[e.dim:]
			clear(oh)
			oh[u] = 1
		}
	}
}

// loadRange is load for rows lo..hi-1.
func (e *engine[T]) loadRange(d Data, lo, hi int, idx []int) {
	idx = idx[:0]
	for i := lo; i < hi; i++ {
		idx = append(idx, i)
	}
	e.load(d, idx)
}

// mul sets c (m×p) = A·B, with A = a (m×n) or aᵀ (a n×m) and B = b (n×p)
// or bᵀ (b p×n), then applies the epilogue row by row.
func (e *engine[T]) mul(c, a []T, transA bool, b []T, transB bool, m, n, p int, ep epilogue, bias []T, h []T) {
	if e.f32 {
		e.jc, e.ja, e.jm, e.jn, e.jp = c[:m*p], a[:m*n], m, n, p
		e.jepi, e.jbias, e.jh, e.jact = ep, bias, h, e.s.Activation
		e.jrs, e.jks = n, 1
		if transA {
			e.jrs, e.jks = 1, m
		}
		e.sb = grow(e.sb, kernel.PackedLen(n, p))
		kernel.Pack(any(e.sb).([]float32), any(b).([]float32)[:n*p], n, p, transB)
		e.jb, e.jpacked = e.sb, true
		e.pool.run((m+kernel.MR-1)/kernel.MR, e.mulFn)
		e.jc, e.ja, e.jb, e.jbias, e.jh = nil, nil, nil, nil, nil
		return
	}
	if transA {
		e.sa = grow(e.sa, m*n)
		transpose(e.sa, a[:m*n], n, m)
		a = e.sa
	}
	e.jc, e.ja, e.jm, e.jn, e.jp = c[:m*p], a[:m*n], m, n, p
	e.jepi, e.jbias, e.jh, e.jact = ep, bias, h, e.s.Activation
	e.jpacked = false
	wide := p >= wideMin
	if wide && transB {
		e.sb = grow(e.sb, n*p)
		transpose(e.sb, b[:n*p], p, n)
		b = e.sb
	} else if !wide && !transB {
		e.sb = grow(e.sb, n*p)
		transpose(e.sb, b[:n*p], n, p)
		b = e.sb
	}
	e.jb, e.jwide = b[:n*p], wide
	e.pool.run(m, e.mulFn)
	e.jc, e.ja, e.jb, e.jbias, e.jh = nil, nil, nil, nil, nil
}

func (e *engine[T]) mulPart(w, lo, hi int) {
	n, p := e.jn, e.jp
	if e.jpacked {
		lo, hi = lo*kernel.MR, min(e.jm, hi*kernel.MR)
	}
	c := e.jc[lo*p : hi*p]
	if e.jpacked {
		kernel.Gemm(any(c).([]float32), any(e.ja[lo*e.jrs:]).([]float32), any(e.jb).([]float32), hi-lo, n, p, e.jrs, e.jks, &e.ks[w])
	} else if e.jwide {
		gemmRows(c, e.ja[lo*n:hi*n], e.jb, n, p)
	} else {
		for i := lo; i < hi; i++ {
			arow := e.ja[i*n : (i+1)*n]
			crow := e.jc[i*p : (i+1)*p]
			for j := range crow {
				crow[j] = dot(arow, e.jb[j*n:(j+1)*n])
			}
		}
	}
	switch e.jepi {
	case epiBias:
		for i := 0; i < hi-lo; i++ {
			addTo(c[i*p:(i+1)*p], e.jbias)
		}
	case epiBiasAct:
		for i := 0; i < hi-lo; i++ {
			addTo(c[i*p:(i+1)*p], e.jbias)
		}
		activate(c, e.jact)
	case epiDeriv:
		derivMul(c, e.jh[lo*p:hi*p], e.jact)
	}
}

func activate[T float](c []T, act Activation) {
	switch act {
	case LeakyReLU:
		for i, v := range c {
			c[i] = max(v, v*leakySlope) // branch-free: signs are random
		}
	case ReLU:
		for i, v := range c {
			if v < 0 {
				c[i] = 0
			}
		}
	case Tanh:
		for i, v := range c {
			c[i] = T(math.Tanh(float64(v)))
		}
	}
}

// derivMul sets d *= act'(a) where h = act(a); for these activations the
// derivative is a function of the output.
func derivMul[T float](d, h []T, act Activation) {
	h = h[:len(d)]
	switch act {
	case LeakyReLU:
		// branch-free: the factor is 1 for h >= +0, the slope for h <= -0
		switch h := any(h).(type) {
		case []float32:
			d := any(d).([]float32)
			for i, v := range h {
				neg := float32(math.Float32bits(v) >> 31)
				d[i] *= 1 - (1-leakySlope)*neg
			}
		case []float64:
			d := any(d).([]float64)
			for i, v := range h {
				neg := float64(math.Float64bits(v) >> 63)
				d[i] *= 1 - (1-leakySlope)*neg
			}
		}
	case ReLU:
		for i, v := range h {
			if v <= 0 {
				d[i] = 0
			}
		}
	case Tanh:
		for i, v := range h {
			d[i] *= 1 - v*v
		}
	}
}

// colsum sets dst (cols) to the column sums of a (rows×cols).
func (e *engine[T]) colsum(dst, a []T, rows, cols int) {
	e.jc, e.ja, e.jn, e.jp = dst, a[:rows*cols], rows, cols
	e.pool.run(cols, e.colsumFn)
	e.jc, e.ja = nil, nil
}

func (e *engine[T]) colsumPart(_, lo, hi int) {
	dst := e.jc[lo:hi]
	clear(dst)
	for r := 0; r < e.jn; r++ {
		addTo(dst, e.ja[r*e.jp+lo:r*e.jp+hi])
	}
}

func (e *engine[T]) weights(ln linear) (w, b []T) {
	return e.p[ln.w : ln.w+ln.in*ln.out], e.p[ln.b : ln.b+ln.out]
}

// encode runs the encoder on the n loaded rows; the last layer's output
// holds mu then logvar for each row.
func (e *engine[T]) encode() []T {
	in := e.x
	for l, ln := range e.lay.enc {
		w, b := e.weights(ln)
		ep := epiBiasAct
		if l == len(e.lay.enc)-1 || e.s.Activation == Identity {
			ep = epiBias
		}
		e.mul(e.enc[l], in, false, w, false, e.n, ln.in, ln.out, ep, b, nil)
		in = e.enc[l]
	}
	return e.enc[len(e.enc)-1][:e.n*2*e.s.Latent]
}

// decode runs the decoder on the first rows rows of z and returns the
// means, rows × dim.
func (e *engine[T]) decode(z []T, rows int) []T {
	in := z
	for l, ln := range e.lay.dec {
		w, b := e.weights(ln)
		ep := epiBiasAct
		if l == len(e.lay.dec)-1 || e.s.Activation == Identity {
			ep = epiBias
		}
		e.mul(e.dec[l], in, false, w, false, rows, ln.in, ln.out, ep, b, nil)
		in = e.dec[l]
	}
	return e.dec[len(e.dec)-1][:rows*e.dim]
}

// sample draws eps in the order sample, row, dimension and sets
// z = mu + eps·exp(logvar/2) for the n loaded rows.
func (e *engine[T]) sample(E []T, L int, rng *rand.Rand) {
	K, n := e.s.Latent, e.n
	for s := 0; s < L; s++ {
		for r := 0; r < n; r++ {
			er := E[r*2*K : (r+1)*2*K]
			o := (s*n + r) * K
			for k := 0; k < K; k++ {
				eps := T(rng.NormFloat64())
				e.eps[o+k] = eps
				e.z[o+k] = er[k] + eps*T(math.Exp(0.5*float64(er[K+k])))
			}
		}
	}
}

// obsVar fills the per-dimension observation log-variances.
func (e *engine[T]) obsVar() {
	for i := range e.lvx {
		lv := math.Log(e.s.FixedObsVariance)
		if e.lay.obs >= 0 {
			lv = float64(e.p[e.lay.obs+i%e.s.Channels])
		}
		e.lvx[i] = T(lv)
		e.ivx[i] = T(math.Exp(-lv))
	}
}

func (e *engine[T]) priorLogVar(u, k int) float64 {
	if e.lay.prior < 0 {
		return 0
	}
	return float64(e.p[e.lay.prior+u*e.s.Latent+k])
}

// step computes, for the loaded rows, the sums over rows of the
// reconstruction term -E_q log p(x|z) (averaged over the L samples) and of
// the KL divergence, from L fresh samples. With grad it also sets e.g to the
// gradient of the loss (rec + beta·KL)/n.
func (e *engine[T]) step(L int, beta float64, rng *rand.Rand, grad bool) (rec, kl float64) {
	K, n, dim := e.s.Latent, e.n, e.dim
	E := e.encode()
	e.sample(E, L, rng)
	xr := e.decode(e.z, L*n)
	e.obsVar()
	scale := 1 / float64(n*L)
	var dxr []T
	if grad {
		dxr = e.d1[:L*n*dim]
		clear(e.gobs)
	}
	for s := 0; s < L; s++ {
		for r := 0; r < n; r++ {
			xrow := e.x[r*e.inE : r*e.inE+dim]
			o := (s*n + r) * dim
			mrow := xr[o : o+dim]
			var acc float64
			for i, xv := range xrow {
				diff := xv - mrow[i]
				q := diff * diff * e.ivx[i]
				acc += float64(e.lvx[i] + q)
				if grad {
					dxr[o+i] = T(-float64(diff*e.ivx[i]) * scale)
					e.gobs[i] += 0.5 * (1 - float64(q))
				}
			}
			rec += 0.5 * (acc + float64(dim)*log2Pi)
		}
	}
	rec /= float64(L)
	if grad {
		clear(e.g)
		if e.lay.obs >= 0 {
			for i, v := range e.gobs {
				e.g[e.lay.obs+i%e.s.Channels] += T(v * scale)
			}
		}
		e.backward(e.lay.dec, e.dec, e.z, dxr, L*n, e.dz)
	}
	bn := beta / float64(n)
	for r := 0; r < n; r++ {
		u := e.seg[r]
		er := E[r*2*K : (r+1)*2*K]
		for k := 0; k < K; k++ {
			mu, lv := float64(er[k]), float64(er[K+k])
			plv := e.priorLogVar(u, k)
			ev, ip := math.Exp(lv), math.Exp(-plv)
			kl += 0.5 * (plv - lv + (ev+mu*mu)*ip - 1)
			if grad {
				var dmu, dlv float64
				for s := 0; s < L; s++ {
					o := (s*n+r)*K + k
					dmu += float64(e.dz[o])
					dlv += float64(e.dz[o] * e.eps[o])
				}
				dlv *= 0.5 * math.Exp(0.5*lv)
				e.dE[r*2*K+k] = T(dmu + bn*mu*ip)
				e.dE[r*2*K+K+k] = T(dlv + bn*0.5*(ev*ip-1))
				if e.lay.prior >= 0 {
					e.g[e.lay.prior+u*K+k] += T(bn * 0.5 * (1 - (ev+mu*mu)*ip))
				}
			}
		}
	}
	if grad {
		e.backward(e.lay.enc, e.enc, e.x, e.dE[:n*2*K], n, nil)
	}
	return rec, kl
}

// backward propagates dOut (rows × last width, the gradient with respect to
// the last layer's output) through layers, writing the parameter gradients
// to e.g and, if dIn is not nil, the gradient with respect to the input.
func (e *engine[T]) backward(layers []linear, outs [][]T, input, dOut []T, rows int, dIn []T) {
	dA := dOut
	bufs := [2][]T{e.d1, e.d2}
	k := 0
	if &dOut[0] == &e.d1[0] {
		k = 1
	}
	for l := len(layers) - 1; l >= 0; l-- {
		ln := layers[l]
		in := input
		if l > 0 {
			in = outs[l-1]
		}
		w, _ := e.weights(ln)
		gw := e.g[ln.w : ln.w+ln.in*ln.out]
		gb := e.g[ln.b : ln.b+ln.out]
		e.mul(gw, in, true, dA, false, ln.in, rows, ln.out, epiNone, nil, nil)
		e.colsum(gb, dA, rows, ln.out)
		if l == 0 {
			if dIn != nil {
				e.mul(dIn, dA, false, w, true, rows, ln.out, ln.in, epiNone, nil, nil)
			}
			break
		}
		next := bufs[k][:rows*ln.in]
		k ^= 1
		ep := epiDeriv
		if e.s.Activation == Identity {
			ep = epiNone
		}
		e.mul(next, dA, false, w, true, rows, ln.out, ln.in, ep, nil, outs[l-1])
		dA = next
	}
}
