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
	l.enc = append(l.enc, add(in, encOut(s)))
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

// encOut is the number of encoder outputs per row: mu and logvar, then with
// FullCovariance the elements of L below the diagonal, row by row (L[k][j]
// at 2K + k(k-1)/2 + j).
func encOut(s *Settings) int {
	K := s.Latent
	if s.FullCovariance {
		return 2*K + K*(K-1)/2
	}
	return 2 * K
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
	wideMin = 64                 // output widths from which gemm beats dot products (float64)
)

type epilogue int

const (
	epiNone    epilogue = iota
	epiBias             // c += bias per row
	epiBiasAct          // c = act(c + bias)
	epiDeriv            // c *= act'(h), h the layer output
)

// net holds the buffers of one network, the encoder or the decoder.
type net[T float] struct {
	layers []linear
	in     []T   // input rows (x or z)
	rows   int   // rows in the current pass: n (encoder) or L·n (decoder)
	outs   [][]T // layer outputs
	dA     [][]T // gradient of the loss with respect to each layer's x W + b
	dAp    [][]T // dA packed as the B operand of dW = inᵀ·dA (float32)
	fwd    [][]T // W packed (float32)
	bwd    [][]T // Wᵀ packed (float32; nil for the encoder's first layer)
	wT     [][]T // Wᵀ row-major (float64)
}

// task kinds: the parts of the preparation and gradient-reduction phases.
const (
	taskEps   = iota // draw the noise (on one goroutine, in a fixed order)
	taskPack         // pack panels lo..hi of W
	taskPackT        // pack panels lo..hi of Wᵀ
	taskTrans        // Wᵀ (float64)
	taskDW           // rows lo..hi of dW = inᵀ·dA
	taskDB           // columns lo..hi of db = column sums of dA
	taskObs          // observation log-variance gradient
	taskPrior        // prior log-variance gradient
)

type task struct {
	kind, net, l, lo, hi int
	cost                 float64
}

// cut groups tasks for workers goroutines that claim groups in order,
// group g being tasks[c[g]:c[g+1]]: each group costs about 1/(2·workers) of
// what remains, so that groups shrink towards the end and the goroutines
// finish close together. One worker gets a single group.
func cut(tasks []task, workers int) []int {
	var total float64
	for _, t := range tasks {
		total += t.cost
	}
	c := []int{0}
	if workers == 1 {
		return append(c, len(tasks))
	}
	var acc, left float64 = 0, total
	for i, t := range tasks {
		acc += t.cost
		if acc >= left/float64(2*workers) || i == len(tasks)-1 {
			c = append(c, i+1)
			left -= acc
			acc = 0
		}
	}
	return c
}

// guided is cut for total equal items in blocks of blk: it sets b to the
// bounds of the parts, part i being [b[i], b[i+1]).
func guided(b []int, total, workers, blk int) []int {
	b = append(b[:0], 0)
	if workers == 1 {
		return append(b, total)
	}
	for lo := 0; lo < total; {
		lo = min(total, lo+max(blk, (total-lo)/(2*workers)/blk*blk))
		b = append(b, lo)
	}
	return b
}

// engine holds a network's parameters and the buffers for minibatches of
// up to cap rows with L samples each. It is used by one goroutine at a time;
// its pool parallelises a step in four phases with a hand-over between
// them: preparing the weights (packing) and drawing the noise; running each
// worker's rows through the whole encoder, sampling, decoder, loss and
// backward pass (no hand-over between layers, as rows are independent);
// the weight gradients, which sum over all rows (each worker computes its
// own gradient elements over all rows, in row order); and the sums of the
// losses. Every element is computed the same way whatever the number of
// workers, so results are too.
type engine[T float] struct {
	s        *Settings
	dim, inE int
	lay      *layout
	p, g     []T
	pool     *pool
	cap, L   int
	n        int // rows loaded

	x      []T   // n × inE (data then one-hot segment)
	seg    []int // n labels (zeros without segments)
	nets   [2]net[T]
	eps, z []T // L·n × K
	dz     []T // L·n × K
	lvx    []T // per input dimension observation log-variance
	ivx    []T // and its exp(-·)

	recRow  []float64 // L·n reconstruction terms
	klTerm  []float64 // n × K KL terms
	sd      []float64 // n × K posterior standard deviations exp(logvar/2)
	ip      []float64 // K, or Segments × K for the segment prior: prior precisions
	q       []T       // L·n × dim squared standardised residuals (learned observation variance)
	priTerm []T       // n × K prior gradient terms (segment prior)
	gobs    []float64 // dim

	prepTasks, gradTasks []task
	prepCut, gradCut     []int            // tasks of the pool: prepTasks[prepCut[i]:prepCut[i+1]]
	ks                   []kernel.Scratch // per worker
	sa, sb               [][]T            // per worker transposition scratch (float64)
	f32                  bool             // T is float32: use the kernel package

	// rows to load in the next step (loadLater)
	ld   Data
	lidx []int

	// the importance-weighted bound (Settings.ImportanceWeighted): set by
	// the trainer only, so that a Model's evaluations stay the ELBO
	iw     bool
	dreg   bool      // the encoder's gradient doubly reparameterised
	iwW    []float64 // L·n normalised importance weights of the samples
	iwRow  []float64 // n: minus the bound of each row
	iwLoss []float64 // n: minus the bound at the step's KL weight

	// the weighted objective (Settings.Weights, setWeights)
	useW           bool
	N              int     // rows of the training data, for log(M·N); 0 means the minibatch's
	wRec           float64 // weight of the reconstruction term
	wA, wG, wD     float64 // weights of log q(z), Σ_i log q(z_i) and log p(z|u)
	mw             mws
	mwsFn, postsFn func(w, i int)

	// the current step
	jL                    int
	jbeta                 float64
	jmws                  bool    // the step computes the minibatch-weighted terms
	extra                 float64 // their sum over the rows in the last step
	jgrad                 bool
	jrng                  *rand.Rand
	rowCut                []int // bounds of the tasks of the rows phase
	prepFn, rowsFn, redFn func(w, i int)
}

func newEngine[T float](s *Settings, lay *layout, dim int, params []T, pl *pool, capRows, L int) *engine[T] {
	e := &engine[T]{s: s, dim: dim, inE: encIn(s, dim), lay: lay, p: params, pool: pl, cap: capRows, L: L}
	e.g = make([]T, len(params))
	K := s.Latent
	_, e.f32 = any(e.p).([]float32)
	e.x = make([]T, capRows*e.inE)
	e.seg = make([]int, capRows)
	e.eps = make([]T, L*capRows*K)
	e.z = make([]T, L*capRows*K)
	e.dz = make([]T, L*capRows*K)
	e.nets[0].layers, e.nets[0].in = lay.enc, e.x
	e.nets[1].layers, e.nets[1].in = lay.dec, e.z
	for k := range e.nets {
		nt := &e.nets[k]
		rows := capRows
		if k == 1 {
			rows = L * capRows
		}
		for l, ln := range nt.layers {
			nt.outs = append(nt.outs, make([]T, rows*ln.out))
			nt.dA = append(nt.dA, make([]T, rows*ln.out))
			if e.f32 {
				nt.dAp = append(nt.dAp, make([]T, kernel.PackedLen(rows, ln.out)))
				nt.fwd = append(nt.fwd, make([]T, kernel.PackedLen(ln.in, ln.out)))
				var b []T
				if k == 1 || l > 0 {
					b = make([]T, kernel.PackedLen(ln.out, ln.in))
				}
				nt.bwd = append(nt.bwd, b)
			} else {
				nt.wT = append(nt.wT, make([]T, ln.in*ln.out))
			}
		}
	}
	e.lvx = make([]T, dim)
	e.ivx = make([]T, dim)
	e.recRow = make([]float64, L*capRows)
	e.klTerm = make([]float64, capRows*K)
	e.sd = make([]float64, capRows*K)
	e.ip = make([]float64, K)
	if lay.prior >= 0 {
		e.ip = make([]float64, s.Segments*K)
	}
	e.iwW = make([]float64, L*capRows)
	e.iwRow = make([]float64, capRows)
	e.iwLoss = make([]float64, capRows)
	if lay.obs >= 0 {
		e.q = make([]T, L*capRows*dim)
		e.gobs = make([]float64, dim)
	}
	if lay.prior >= 0 {
		e.priTerm = make([]T, capRows*K)
	}
	e.ks = make([]kernel.Scratch, pl.n)
	inner := L * capRows // the inner dimension of dW products
	for _, ls := range [][]linear{lay.enc, lay.dec} {
		for _, ln := range ls {
			inner = max(inner, ln.in, ln.out)
		}
	}
	for w := range e.ks {
		e.ks[w].Reserve(inner)
	}
	e.sa = make([][]T, pl.n)
	e.sb = make([][]T, pl.n)
	e.planTasks()
	e.prepFn, e.rowsFn, e.redFn = e.prepPart, e.rowsPart, e.redPart
	e.mwsFn = func(_, i int) { e.mwsPoints(e.rowCut[i], e.rowCut[i+1]) }
	e.postsFn = func(w, i int) {
		if e.jgrad {
			e.mwsPosts(e.rowCut[i], e.rowCut[i+1])
		}
		e.rowsEnc(w, e.rowCut[i], e.rowCut[i+1])
	}
	e.wRec = 1
	return e
}

// planTasks lists the tasks of the preparation and gradient phases with
// their rough costs and splits them among the workers.
func (e *engine[T]) planTasks() {
	// drawing a normal deviate costs about as much as packing 20 values
	const epsCost = 20
	e.prepTasks = append(e.prepTasks[:0], task{kind: taskEps, cost: epsCost * float64(e.L*e.cap*e.s.Latent)})
	for k := range e.nets {
		rows := float64(e.cap)
		if k == 1 {
			rows *= float64(e.L)
		}
		for l, ln := range e.nets[k].layers {
			if !e.f32 {
				e.prepTasks = append(e.prepTasks, task{kind: taskTrans, net: k, l: l, cost: float64(ln.in * ln.out)})
				e.gradTasks = append(e.gradTasks, task{kind: taskDW, net: k, l: l, lo: 0, hi: ln.in, cost: rows * float64(ln.in*ln.out)})
			} else {
				for q := range kernel.Panels(ln.out) {
					e.prepTasks = append(e.prepTasks, task{kind: taskPack, net: k, l: l, lo: q, hi: q + 1, cost: float64(ln.in * kernel.NR)})
				}
				if e.nets[k].bwd[l] != nil {
					for q := range kernel.Panels(ln.in) {
						e.prepTasks = append(e.prepTasks, task{kind: taskPackT, net: k, l: l, lo: q, hi: q + 1, cost: float64(ln.out * kernel.NR)})
					}
				}
				for i := 0; i < ln.in; i += kernel.MR {
					hi := min(ln.in, i+kernel.MR)
					e.gradTasks = append(e.gradTasks, task{kind: taskDW, net: k, l: l, lo: i, hi: hi, cost: rows * float64((hi-i)*ln.out)})
				}
			}
			// column sums cost about a multiply-add per element, twice a
			// product's, with a shorter vector loop
			const blk = 64
			for j := 0; j < ln.out; j += blk {
				hi := min(ln.out, j+blk)
				e.gradTasks = append(e.gradTasks, task{kind: taskDB, net: k, l: l, lo: j, hi: hi, cost: 2 * rows * float64(hi-j)})
			}
		}
	}
	if e.lay.obs >= 0 {
		e.gradTasks = append(e.gradTasks, task{kind: taskObs, cost: 4 * float64(e.L*e.cap*e.dim)})
	}
	if e.lay.prior >= 0 {
		e.gradTasks = append(e.gradTasks, task{kind: taskPrior, cost: 4 * float64(e.cap*e.s.Latent)})
	}
	e.prepCut = cut(e.prepTasks, e.pool.n)
	e.gradCut = cut(e.gradTasks, e.pool.n)
	e.rowCut = make([]int, 0, e.cap)
}

// load copies rows idx of d into the input buffer.
func (e *engine[T]) load(d Data, idx []int) {
	e.n = len(idx)
	for r, i := range idx {
		e.loadRow(d, r, i)
	}
}

// loadLater is load done by the next step, each worker loading its rows.
// d and idx must stay unchanged until then.
func (e *engine[T]) loadLater(d Data, idx []int) {
	e.n = len(idx)
	e.ld, e.lidx = d, idx
}

func (e *engine[T]) loadRow(d Data, r, i int) {
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

// loadRange is load for rows lo..hi-1.
func (e *engine[T]) loadRange(d Data, lo, hi int, idx []int) {
	idx = idx[:0]
	for i := lo; i < hi; i++ {
		idx = append(idx, i)
	}
	e.load(d, idx)
}

func (e *engine[T]) weights(ln linear) (w, b []T) {
	return e.p[ln.w : ln.w+ln.in*ln.out], e.p[ln.b : ln.b+ln.out]
}

// runPrep runs one preparation task on worker w.
func (e *engine[T]) runPrep(w int, t task) {
	if t.kind == taskEps {
		e.drawEps(e.jL, e.jrng)
		return
	}
	nt := &e.nets[t.net]
	ln := nt.layers[t.l]
	W, _ := e.weights(ln)
	switch t.kind {
	case taskPack:
		kernel.PackPanels(any(nt.fwd[t.l]).([]float32), any(W).([]float32), ln.in, ln.out, false, t.lo, t.hi)
	case taskPackT:
		kernel.PackPanels(any(nt.bwd[t.l]).([]float32), any(W).([]float32), ln.out, ln.in, true, t.lo, t.hi)
	case taskTrans:
		transpose(nt.wT[t.l], W, ln.in, ln.out)
	}
}

// prepPart runs task i of the preparation phase on worker w: the weights of
// both networks for the forward pass and, with jgrad, the backward pass,
// and the noise if jrng is not nil.
func (e *engine[T]) prepPart(w, i int) {
	for _, t := range e.prepTasks[e.prepCut[i]:e.prepCut[i+1]] {
		if (t.kind == taskEps && e.jrng == nil) || (t.kind == taskPackT && !e.jgrad) {
			continue
		}
		e.runPrep(w, t)
	}
}

// prepNet prepares the forward pass of one network on this goroutine.
func (e *engine[T]) prepNet(k int) {
	for _, t := range e.prepTasks {
		if t.net == k && (t.kind == taskPack || t.kind == taskTrans) {
			e.runPrep(0, t)
		}
	}
}

// prod sets c (m×p) = a (m×n, row-major) · B on worker w, with B given as
// packed (float32), or as bnp (n×p) and bpn (its transpose, p×n) (float64),
// then applies the epilogue. Each element is computed the same way
// whatever m and the row's position.
func (e *engine[T]) prod(w int, c, a []T, m, n, p int, packed, bnp, bpn []T, ep epilogue, bias, h []T) {
	c = c[:m*p]
	switch {
	case e.f32:
		kernel.Gemm(any(c).([]float32), any(a).([]float32), any(packed).([]float32), m, n, p, n, 1, &e.ks[w])
	case p >= wideMin:
		gemmRows(c, a[:m*n], bnp, n, p)
	default:
		for i := 0; i < m; i++ {
			arow := a[i*n : (i+1)*n]
			crow := c[i*p : (i+1)*p]
			for j := range crow {
				crow[j] = dot(arow, bpn[j*n:(j+1)*n])
			}
		}
	}
	switch ep {
	case epiBias:
		for i := 0; i < m; i++ {
			addTo(c[i*p:(i+1)*p], bias)
		}
	case epiBiasAct:
		for i := 0; i < m; i++ {
			addTo(c[i*p:(i+1)*p], bias)
		}
		activate(c, e.s.Activation)
	case epiDeriv:
		derivMul(c, h[:m*p], e.s.Activation)
	}
}

// forward runs rows lo..hi-1 of nt.in through the network on worker w.
func (e *engine[T]) forward(w int, nt *net[T], lo, hi int) {
	in := nt.in[lo*nt.layers[0].in:]
	last := len(nt.layers) - 1
	for l, ln := range nt.layers {
		W, b := e.weights(ln)
		ep := epiBiasAct
		if l == last || e.s.Activation == Identity {
			ep = epiBias
		}
		out := nt.outs[l][lo*ln.out : hi*ln.out]
		var wT []T
		if !e.f32 {
			wT = nt.wT[l]
		}
		var fwd []T
		if e.f32 {
			fwd = nt.fwd[l]
		}
		e.prod(w, out, in, hi-lo, ln.in, ln.out, fwd, W, wT, ep, b, nil)
		in = out
	}
}

// backward propagates rows lo..hi-1 of the gradient nt.dA[last] back
// through the network on worker w, filling the rows of nt.dA (and of their
// packed forms) and, if dIn is not nil, of the gradient with respect to the
// input.
func (e *engine[T]) backward(w int, nt *net[T], lo, hi int, dIn []T) {
	for l := len(nt.layers) - 1; l >= 0; l-- {
		ln := nt.layers[l]
		dA := nt.dA[l][lo*ln.out : hi*ln.out]
		if e.f32 {
			kernel.PackRows(any(nt.dAp[l]).([]float32), any(dA).([]float32), nt.rows, ln.out, lo, hi)
		}
		if l == 0 && dIn == nil {
			break
		}
		W, _ := e.weights(ln)
		var bwd, wT []T
		if e.f32 {
			bwd = nt.bwd[l]
		} else {
			wT = nt.wT[l]
		}
		if l == 0 {
			e.prod(w, dIn[lo*ln.in:hi*ln.in], dA, hi-lo, ln.out, ln.in, bwd, wT, W, epiNone, nil, nil)
			break
		}
		ep := epiDeriv
		if e.s.Activation == Identity {
			ep = epiNone
		}
		e.prod(w, nt.dA[l-1][lo*ln.in:hi*ln.in], dA, hi-lo, ln.out, ln.in, bwd, wT, W, ep, nil, nt.outs[l-1][lo*ln.in:hi*ln.in])
	}
}

// encode runs the encoder on the n loaded rows; the last layer's output
// holds mu then logvar for each row. It runs on the calling goroutine.
func (e *engine[T]) encode() []T {
	nt := &e.nets[0]
	e.prepNet(0)
	nt.rows = e.n
	e.forward(0, nt, 0, e.n)
	return nt.outs[len(nt.outs)-1][:e.n*encOut(e.s)]
}

// decode runs the decoder on the first rows rows of z and returns the
// means, rows × dim. It runs on the calling goroutine.
func (e *engine[T]) decode(z []T, rows int) []T {
	nt := &e.nets[1]
	e.prepNet(1)
	nt.in, nt.rows = z, rows
	e.forward(0, nt, 0, rows)
	nt.in = e.z
	return nt.outs[len(nt.outs)-1][:rows*e.dim]
}

// drawEps draws eps for the n loaded rows in the order sample, row,
// dimension.
func (e *engine[T]) drawEps(L int, rng *rand.Rand) {
	for i := range e.eps[:L*e.n*e.s.Latent] {
		e.eps[i] = T(rng.NormFloat64())
	}
}

// sample draws eps as drawEps does and sets z = mu + eps·exp(logvar/2) for
// the n loaded rows.
func (e *engine[T]) sample(E []T, L int, rng *rand.Rand) {
	e.drawEps(L, rng)
	for s := 0; s < L; s++ {
		e.latent(E, s, 0, e.n)
	}
}

// latent sets z = mu + eps·exp(logvar/2) for sample s of rows lo..hi-1.
// With s = 0 it first sets e.sd to the standard deviations exp(logvar/2).
func (e *engine[T]) latent(E []T, s, lo, hi int) {
	K, n, eo := e.s.Latent, e.n, encOut(e.s)
	if s == 0 {
		for r := lo; r < hi; r++ {
			for k := 0; k < K; k++ {
				e.sd[r*K+k] = math.Exp(0.5 * float64(E[r*eo+K+k]))
			}
		}
	}
	for r := lo; r < hi; r++ {
		er := E[r*eo : (r+1)*eo]
		o := (s*n + r) * K
		for k := 0; k < K; k++ {
			e.z[o+k] = er[k] + e.eps[o+k]*T(e.sd[r*K+k])
		}
		if e.s.FullCovariance {
			for k := 1; k < K; k++ {
				off := er[2*K+k*(k-1)/2:]
				for j := 0; j < k; j++ {
					e.z[o+k] += off[j] * e.eps[o+j]
				}
			}
		}
	}
}

// priorVar fills e.ip with the prior precisions exp(-log lambda).
func (e *engine[T]) priorVar() {
	for u := range len(e.ip) / e.s.Latent {
		for k := range e.s.Latent {
			e.ip[u*e.s.Latent+k] = math.Exp(-e.priorLogVar(u, k))
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

// priorPrec is the prior precision of dimension k in segment u, from e.ip.
func (e *engine[T]) priorPrec(u, k int) float64 {
	if e.lay.prior < 0 {
		return e.ip[k]
	}
	return e.ip[u*e.s.Latent+k]
}

// step computes, for the loaded rows, the sums over rows of the
// reconstruction term -E_q log p(x|z) (averaged over the L samples) and of
// the KL divergence, from L fresh samples. With grad it also sets e.g to the
// gradient of the loss (rec + beta·KL)/n.
//
// With e.iw it returns instead, as rec, the sum over rows of minus the
// importance-weighted bound with the L samples, and kl = 0; the loss is
// the same bound with the prior and posterior terms weighted beta, and
// e.extra is its difference from rec.
func (e *engine[T]) step(L int, beta float64, rng *rand.Rand, grad bool) (rec, kl float64) {
	n := e.n
	e.jL, e.jbeta, e.jrng, e.jgrad = L, beta, rng, grad
	e.nets[0].rows, e.nets[1].rows = n, L*n
	e.obsVar()
	e.priorVar()
	e.pool.run(len(e.prepCut)-1, e.prepFn)
	e.jrng = nil
	e.rowCut = guided(e.rowCut, n, e.pool.n, kernel.MR)
	e.extra = 0
	if e.mwsActive() {
		// the rows through the decoder and back; the terms coupling the
		// rows; the encoder's side
		e.mw.grow(n, L, e.s.Latent, encOut(e.s))
		e.jmws = true
		e.pool.run(len(e.rowCut)-1, e.rowsFn)
		e.pool.run(len(e.rowCut)-1, e.mwsFn)
		e.pool.run(len(e.rowCut)-1, e.postsFn)
		e.jmws = false
		for _, v := range e.mw.val[:n] {
			e.extra += v
		}
	} else {
		e.pool.run(len(e.rowCut)-1, e.rowsFn)
	}
	e.ld, e.lidx = Data{}, nil
	if grad {
		e.pool.run(len(e.gradCut)-1, e.redFn)
	}
	if e.iw {
		for r, v := range e.iwRow[:n] {
			rec += v
			e.extra += e.iwLoss[r] - v
		}
		return rec, 0
	}
	for _, v := range e.recRow[:L*n] {
		rec += v
	}
	rec /= float64(L)
	for _, v := range e.klTerm[:n*e.s.Latent] {
		kl += v
	}
	return rec, kl
}

// rowsPart runs task i of the rows phase on worker w.
func (e *engine[T]) rowsPart(w, i int) {
	lo, hi := e.rowCut[i], e.rowCut[i+1]
	if e.lidx != nil {
		for r := lo; r < hi; r++ {
			e.loadRow(e.ld, r, e.lidx[r])
		}
	}
	e.rows(w, lo, hi)
}

// rows runs rows lo..hi-1 through the encoder, sampling, decoder and loss
// and, with jgrad, back, on worker w.
func (e *engine[T]) rows(w, lo, hi int) {
	n, L := e.n, e.jL
	enc, dec := &e.nets[0], &e.nets[1]
	e.forward(w, enc, lo, hi)
	E := enc.outs[len(enc.outs)-1]
	for s := 0; s < L; s++ {
		e.latent(E, s, lo, hi)
		e.forward(w, dec, s*n+lo, s*n+hi)
	}
	xr := dec.outs[len(dec.outs)-1]
	grad := e.jgrad
	if e.iw {
		e.iwRec(E, xr, lo, hi)
	} else {
		e.rec(xr, lo, hi)
	}
	if grad {
		for s := 0; s < L; s++ {
			e.backward(w, dec, s*n+lo, s*n+hi, e.dz)
		}
	}
	if e.jmws {
		e.mwsPrep(E, lo, hi)
		return
	}
	e.rowsEnc(w, lo, hi)
}

// rec computes the reconstruction terms of rows lo..hi-1 with decoder
// means xr and, with jgrad, the gradient of the loss with respect to them.
func (e *engine[T]) rec(xr []T, lo, hi int) {
	n, dim, L := e.n, e.dim, e.jL
	grad := e.jgrad
	scale := e.wRec / float64(n*L)
	dxr := e.nets[1].dA[len(e.nets[1].dA)-1]
	for s := 0; s < L; s++ {
		for r := lo; r < hi; r++ {
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
					if e.q != nil {
						e.q[o+i] = q
					}
				}
			}
			e.recRow[s*n+r] = 0.5 * (acc + float64(dim)*log2Pi)
		}
	}
}

// iwRec computes, for rows lo..hi-1 with decoder means xr, each sample's
// log-weight log p(x, z_s|u) - log q(z_s|x) and from them minus the
// importance-weighted bound (Burda et al. 2016, eq. 8) of each row, at KL
// weight 1 (iwRow) and at the step's (iwLoss, the log-prior and
// log-posterior terms weighted jbeta), and the normalised weights of the
// latter (iwW). With jgrad it sets the gradient of the loss with respect
// to the decoder means: the ELBO's with each sample weighted by its
// normalised weight instead of 1/L (Burda et al. 2016, eq. 13).
func (e *engine[T]) iwRec(E, xr []T, lo, hi int) {
	n, dim, L, K, eo := e.n, e.dim, e.jL, e.s.Latent, encOut(e.s)
	beta := e.jbeta
	dxr := e.nets[1].dA[len(e.nets[1].dA)-1]
	for r := lo; r < hi; r++ {
		xrow := e.x[r*e.inE : r*e.inE+dim]
		u := e.seg[r]
		mx, mxB := math.Inf(-1), math.Inf(-1)
		for s := 0; s < L; s++ {
			o := (s*n + r) * dim
			mrow := xr[o : o+dim]
			var acc float64
			for i, xv := range xrow {
				diff := xv - mrow[i]
				acc += float64(e.lvx[i] + diff*diff*e.ivx[i])
			}
			rec := 0.5 * (acc + float64(dim)*log2Pi)
			// log q(z|x) - log p(z|u): the log 2π terms cancel, and
			// (z-mu)/sd is eps, with a full covariance too
			var kl float64
			for k := 0; k < K; k++ {
				zo := (s*n+r)*K + k
				z, eps := float64(e.z[zo]), float64(e.eps[zo])
				kl += 0.5 * (e.priorLogVar(u, k) - float64(E[r*eo+K+k]) - eps*eps + z*z*e.priorPrec(u, k))
			}
			e.recRow[s*n+r] = rec + kl // the log-weight at KL weight 1, negated
			e.iwW[s*n+r] = -(rec + beta*kl)
			mx, mxB = max(mx, -(rec+kl)), max(mxB, e.iwW[s*n+r])
		}
		var sum, sumB float64
		for s := 0; s < L; s++ {
			sum += math.Exp(-e.recRow[s*n+r] - mx)
			w := math.Exp(e.iwW[s*n+r] - mxB)
			e.iwW[s*n+r] = w
			sumB += w
		}
		e.iwRow[r] = -(mx + math.Log(sum/float64(L)))
		e.iwLoss[r] = -(mxB + math.Log(sumB/float64(L)))
		for s := 0; s < L; s++ {
			e.iwW[s*n+r] /= sumB
		}
		if !e.jgrad {
			continue
		}
		for s := 0; s < L; s++ {
			o := (s*n + r) * dim
			mrow := xr[o : o+dim]
			scale := e.iwW[s*n+r] / float64(n)
			for i, xv := range xrow {
				diff := xv - mrow[i]
				q := diff * diff * e.ivx[i]
				dxr[o+i] = T(-float64(diff*e.ivx[i]) * scale)
				if e.q != nil {
					e.q[o+i] = q
				}
			}
		}
	}
}

// iwEnc sets, for rows lo..hi-1, the gradient of the importance-weighted
// loss with respect to the encoder outputs (dE) and the prior
// log-variances' terms (priTerm), given e.dz, the gradient through the
// decoder, already weighted. bn is the KL weight over n. It does nothing
// without jgrad.
func (e *engine[T]) iwEnc(dE []T, bn float64, lo, hi int) {
	K, n, L, eo := e.s.Latent, e.n, e.jL, encOut(e.s)
	if !e.jgrad {
		return
	}
	for r := lo; r < hi; r++ {
		u := e.seg[r]
		// the log-prior's pull on each sample, weighted, added to dz
		for s := 0; s < L; s++ {
			w := bn * e.iwW[s*n+r]
			if e.dreg {
				// the doubly reparameterised estimator (Tucker et al.
				// 2019): through z only, with log q(z|x) held at its
				// parameters, each sample weighted (1-b)·w + b·w² for
				// KL weight b (w² at b = 1)
				a := 1 - e.jbeta + e.jbeta*e.iwW[s*n+r]
				for k := 0; k < K; k++ {
					o := (s*n+r)*K + k
					g := float64(e.z[o])*e.priorPrec(u, k) - float64(e.eps[o])/e.sd[r*K+k]
					e.dz[o] = T(a * (float64(e.dz[o]) + w*g))
				}
				continue
			}
			for k := 0; k < K; k++ {
				o := (s*n+r)*K + k
				e.dz[o] += T(w * float64(e.z[o]) * e.priorPrec(u, k))
			}
		}
		for k := 0; k < K; k++ {
			var dmu, dlv, dp float64
			for s := 0; s < L; s++ {
				o := (s*n+r)*K + k
				dmu += float64(e.dz[o])
				dlv += float64(e.dz[o] * e.eps[o])
				z := float64(e.z[o])
				dp += e.iwW[s*n+r] * 0.5 * (1 - z*z*e.priorPrec(u, k))
			}
			// -log q(z|x) holds -logvar/2 whatever the sample, and the
			// weights sum to 1 (the doubly reparameterised estimator
			// has it through z)
			score := 0.5 * bn
			if e.dreg {
				score = 0
			}
			dE[r*eo+k] = T(dmu)
			dE[r*eo+K+k] = T(dlv*0.5*e.sd[r*K+k] - score)
			if e.s.FullCovariance {
				for j := 0; j < k; j++ {
					var dl float64
					for s := 0; s < L; s++ {
						dl += float64(e.dz[(s*n+r)*K+k] * e.eps[(s*n+r)*K+j])
					}
					dE[r*eo+2*K+k*(k-1)/2+j] = T(dl)
				}
			}
			if e.priTerm != nil {
				e.priTerm[r*K+k] = T(bn * dp)
			}
		}
	}
}

// rowsEnc computes the KL terms of rows lo..hi-1 and, with jgrad, the
// gradient with respect to the encoder outputs and back through the
// encoder, on worker w.
func (e *engine[T]) rowsEnc(w, lo, hi int) {
	K, n, L := e.s.Latent, e.n, e.jL
	enc := &e.nets[0]
	E := enc.outs[len(enc.outs)-1]
	grad := e.jgrad
	bn := e.klWeight(e.jbeta) / float64(n)
	dE := enc.dA[len(enc.dA)-1]
	eo := encOut(e.s)
	if e.iw {
		e.iwEnc(dE, bn, lo, hi)
		if grad {
			e.backward(w, enc, lo, hi, nil)
		}
		return
	}
	for r := lo; r < hi; r++ {
		u := e.seg[r]
		er := E[r*eo : (r+1)*eo]
		for k := 0; k < K; k++ {
			mu, lv := float64(er[k]), float64(er[K+k])
			plv := e.priorLogVar(u, k)
			ev, ip := math.Exp(lv), e.ip[k]
			if e.lay.prior >= 0 {
				ip = e.ip[u*K+k]
			}
			var off []T // row k of L below the diagonal (FullCovariance)
			if e.s.FullCovariance {
				off = er[2*K+k*(k-1)/2 : 2*K+k*(k+1)/2]
				for _, l := range off {
					ev += float64(l * l) // the marginal variance of z_k
				}
			}
			e.klTerm[r*K+k] = 0.5 * (plv - lv + (ev+mu*mu)*ip - 1)
			if grad {
				var dmu, dlv float64
				for s := 0; s < L; s++ {
					o := (s*n+r)*K + k
					dmu += float64(e.dz[o])
					dlv += float64(e.dz[o] * e.eps[o])
				}
				dlv *= 0.5 * e.sd[r*K+k] // exp(lv/2)
				dE[r*eo+k] = T(dmu + bn*mu*ip)
				dE[r*eo+K+k] = T(dlv + bn*0.5*(e.sd[r*K+k]*e.sd[r*K+k]*ip-1))
				for j, l := range off {
					var dl float64
					for s := 0; s < L; s++ {
						dl += float64(e.dz[(s*n+r)*K+k] * e.eps[(s*n+r)*K+j])
					}
					dE[r*eo+2*K+k*(k-1)/2+j] = T(dl + bn*float64(l)*ip)
				}
				if e.priTerm != nil {
					e.priTerm[r*K+k] = T(bn * 0.5 * (1 - (ev+mu*mu)*ip))
				}
				if e.jmws {
					x := e.mw.dE[r*eo:]
					dE[r*eo+k] += T(x[k])
					dE[r*eo+K+k] += T(x[K+k])
					for j := range off {
						dE[r*eo+2*K+k*(k-1)/2+j] += T(x[2*K+k*(k-1)/2+j])
					}
					if e.priTerm != nil {
						e.priTerm[r*K+k] += T(e.mw.dp[r*K+k])
					}
				}
			}
		}
	}
	if grad {
		e.backward(w, enc, lo, hi, nil)
	}
}

// redPart runs task i of the gradient phase on worker w: the gradient elements
// that sum over rows, each summed in row order.
func (e *engine[T]) redPart(w, i int) {
	for _, t := range e.gradTasks[e.gradCut[i]:e.gradCut[i+1]] {
		switch t.kind {
		case taskDW:
			e.dW(w, t)
		case taskDB:
			nt := &e.nets[t.net]
			ln := nt.layers[t.l]
			dst := e.g[ln.b+t.lo : ln.b+t.hi]
			dA := nt.dA[t.l]
			if e.f32 {
				kernel.ColSum(any(dst).([]float32), any(dA[t.lo:]).([]float32), nt.rows, ln.out)
				continue
			}
			clear(dst)
			for r := 0; r < nt.rows; r++ {
				addTo(dst, dA[r*ln.out+t.lo:r*ln.out+t.hi])
			}
		case taskObs:
			clear(e.gobs)
			for o := 0; o < e.nets[1].rows; o++ {
				qr := e.q[o*e.dim : (o+1)*e.dim]
				if e.iw {
					w := e.iwW[o]
					for i, q := range qr {
						e.gobs[i] += 0.5 * (1 - float64(q)) * w
					}
					continue
				}
				for i, q := range qr {
					e.gobs[i] += 0.5 * (1 - float64(q))
				}
			}
			g := e.g[e.lay.obs : e.lay.obs+e.s.Channels]
			clear(g)
			scale := e.wRec / float64(e.n*e.jL)
			if e.iw {
				scale = e.wRec / float64(e.n)
			}
			for i, v := range e.gobs {
				g[i%e.s.Channels] += T(v * scale)
			}
		case taskPrior:
			K := e.s.Latent
			g := e.g[e.lay.prior : e.lay.prior+e.s.Segments*K]
			clear(g)
			for r := 0; r < e.n; r++ {
				u := e.seg[r]
				for k := 0; k < K; k++ {
					g[u*K+k] += e.priTerm[r*K+k]
				}
			}
		}
	}
}

// dW sets rows t.lo..t.hi-1 of layer t.l's weight gradient, inᵀ·dA, on
// worker w.
func (e *engine[T]) dW(w int, t task) {
	nt := &e.nets[t.net]
	ln := nt.layers[t.l]
	in := nt.in
	if t.l > 0 {
		in = nt.outs[t.l-1]
	}
	rows := nt.rows
	in = in[:rows*ln.in]
	c := e.g[ln.w+t.lo*ln.out : ln.w+t.hi*ln.out]
	if e.f32 {
		kernel.Gemm(any(c).([]float32), any(in[t.lo:]).([]float32), any(nt.dAp[t.l]).([]float32), t.hi-t.lo, rows, ln.out, 1, ln.in, &e.ks[w])
		return
	}
	// float64: the whole layer (t.lo = 0, t.hi = ln.in)
	e.sa[w] = grow(e.sa[w], ln.in*rows)
	inT := e.sa[w]
	transpose(inT, in, rows, ln.in)
	dA := nt.dA[t.l][:rows*ln.out]
	if ln.out >= wideMin {
		gemmRows(c, inT, dA, rows, ln.out)
		return
	}
	e.sb[w] = grow(e.sb[w], ln.out*rows)
	dAT := e.sb[w]
	transpose(dAT, dA, rows, ln.out)
	for i := 0; i < ln.in; i++ {
		arow := inT[i*rows : (i+1)*rows]
		for j := 0; j < ln.out; j++ {
			c[i*ln.out+j] = dot(arow, dAT[j*rows:(j+1)*rows])
		}
	}
}

func activate[T float](c []T, act Activation) {
	switch act {
	case LeakyReLU:
		if c, ok := any(c).([]float32); ok {
			kernel.Leaky(c, leakySlope) // the same bits, 8 at a time
			return
		}
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
			// d *= 1 - (1-leakySlope)·(sign bit of h), 8 at a time
			kernel.LeakyDeriv(any(d).([]float32), h, 1-float32(1-leakySlope))
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
