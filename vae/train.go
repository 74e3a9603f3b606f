package vae

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/vica-dev/vica/vae/internal/kernel"
)

// Adam's constants (Kingma and Ba 2015, the PyTorch defaults).
const (
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
	// normBlock is the block size of the gradient-norm reduction: block
	// sums are computed in parallel and added in block order, so the norm
	// does not depend on the number of threads.
	normBlock = 4096
	// maxRecoveries bounds the NaN/Inf roll-backs before giving up.
	maxRecoveries = 20
)

// trainer runs minibatch steps of Adam on an engine.
type trainer[T float] struct {
	e      *engine[T]
	s      *Settings
	m, v   []T
	t      int     // Adam steps taken
	lr     float64 // current learning rate
	blocks []float64
	idx    []int

	// the current Adam step
	gscale, lrT, bc2 float64
	normFn, adamFn   func(w, i int)
	normCut, adamCut []int               // bounds of the tasks of the norm and Adam phases
	adamK            []kernel.AdamConsts // per worker

	// last good state, for NaN/Inf roll-back: a snapshot taken at the end
	// of an epoch becomes good once a loss evaluated at it is finite.
	goodP, goodM, goodV []T
	goodT               int
	candP, candM, candV []T
	candT               int
	pending             bool
}

func newTrainer[T float](s *Settings, lay *layout, dim int, params []T, threads int) *trainer[T] {
	pl := newPool(threads)
	e := newEngine(s, lay, dim, params, pl, s.BatchSize, s.Samples)
	e.iw = s.ImportanceWeighted
	e.dreg = s.DoublyReparameterized
	t := &trainer[T]{e: e, s: s, lr: s.LearningRate}
	t.m = make([]T, len(params))
	t.v = make([]T, len(params))
	t.blocks = make([]float64, (len(params)+normBlock-1)/normBlock)
	t.idx = make([]int, 0, s.BatchSize)
	t.normFn = t.normPart
	t.adamFn = t.adamPart
	t.adamK = make([]kernel.AdamConsts, pl.n)
	t.normCut = guided(nil, len(t.blocks), pl.n, 1)
	t.adamCut = guided(nil, len(params), pl.n, adamBlock)
	t.goodP = append([]T(nil), params...)
	t.goodM = make([]T, len(params))
	t.goodV = make([]T, len(params))
	t.candP = make([]T, len(params))
	t.candM = make([]T, len(params))
	t.candV = make([]T, len(params))
	return t
}

func (t *trainer[T]) close() { t.e.pool.close() }

func (t *trainer[T]) normPart(_, i int) {
	lo, hi := t.normCut[i], t.normCut[i+1]
	g := t.e.g
	for b := lo; b < hi; b++ {
		blk := g[b*normBlock : min(len(g), (b+1)*normBlock)]
		t.blocks[b] = float64(dot(blk, blk))
	}
}

// adamBlock aligns the workers' parts of the Adam update.
const adamBlock = 64

func (t *trainer[T]) adamPart(w, i int) {
	lo, hi := t.adamCut[i], t.adamCut[i+1]
	p, g, m, v := t.e.p[lo:hi], t.e.g[lo:hi], t.m[lo:hi], t.v[lo:hi]
	gs, lr, bc2 := T(t.gscale), T(t.lrT), T(t.bc2)
	if p32, ok := any(p).([]float32); ok {
		// the same operations in the same order, 8 at a time
		k := &t.adamK[w]
		*k = kernel.AdamConsts{GradScale: float32(gs), Beta1: adamBeta1, C1: 1 - adamBeta1, Beta2: adamBeta2,
			C2: 1 - adamBeta2, LR: float32(lr), BiasCorr2: float32(bc2), Eps: adamEps}
		kernel.Adam(p32, any(g).([]float32), any(m).([]float32), any(v).([]float32), k)
		return
	}
	for i := range p {
		gi := g[i] * gs
		mi := adamBeta1*m[i] + (1-adamBeta1)*gi
		vi := adamBeta2*v[i] + (1-adamBeta2)*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= lr * mi / (T(math.Sqrt(float64(vi)))/bc2 + adamEps)
	}
}

// gradNorm returns the Euclidean norm of the gradient.
func (t *trainer[T]) gradNorm() float64 {
	t.e.pool.run(len(t.normCut)-1, t.normFn)
	var s float64
	for _, b := range t.blocks {
		s += b
	}
	return math.Sqrt(s)
}

// update takes one clipped Adam step (the PyTorch form of the bias
// correction).
func (t *trainer[T]) update(norm float64) {
	t.t++
	t.gscale = 1
	if t.s.ClipNorm > 0 && norm > t.s.ClipNorm {
		t.gscale = t.s.ClipNorm / norm
	}
	t.lrT = t.lr / (1 - math.Pow(adamBeta1, float64(t.t)))
	t.bc2 = math.Sqrt(1 - math.Pow(adamBeta2, float64(t.t)))
	t.e.pool.run(len(t.adamCut)-1, t.adamFn)
}

func (t *trainer[T]) snapshot() {
	copy(t.candP, t.e.p)
	copy(t.candM, t.m)
	copy(t.candV, t.v)
	t.candT = t.t
	t.pending = true
}

// confirm makes a pending snapshot the good state.
func (t *trainer[T]) confirm() {
	if t.pending {
		t.goodP, t.candP = t.candP, t.goodP
		t.goodM, t.candM = t.candM, t.goodM
		t.goodV, t.candV = t.candV, t.goodV
		t.goodT = t.candT
		t.pending = false
	}
}

func (t *trainer[T]) rollback() {
	t.pending = false
	copy(t.e.p, t.goodP)
	copy(t.m, t.goodM)
	copy(t.v, t.goodV)
	t.t = t.goodT
	t.lr /= 2
}

// batchStep loads rows idx, computes the loss and its gradient and updates
// the parameters. It returns the ELBO sum over the rows (beta = 1) and
// false, without updating, if the loss or gradient is not finite.
func (t *trainer[T]) batchStep(d Data, idx []int, beta float64, rng *rand.Rand) (float64, bool) {
	start := time.Now()
	t.e.loadLater(d, idx)
	t.e.N = d.X.Len()
	t.e.setWeights(true, beta)
	rec, kl := t.e.step(t.s.Samples, beta, rng, true)
	norm := t.gradNorm()
	if v := rec + kl + t.e.extra + norm; math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	t.confirm()
	t.update(norm)
	t.e.pool.observe(time.Since(start))
	return -(rec + kl), true
}

// elbo returns the mean ELBO per row of d (beta = 1), evaluated with this
// trainer's engine and rng.
func (t *trainer[T]) elbo(d Data, rng *rand.Rand) float64 {
	N := d.X.Len()
	var sum float64
	t.e.setWeights(false, 1)
	for lo := 0; lo < N; lo += t.e.cap {
		hi := min(N, lo+t.e.cap)
		t.e.loadRange(d, lo, hi, t.idx)
		rec, kl := t.e.step(t.s.Samples, 1, rng, false)
		sum -= rec + kl
	}
	return sum / float64(N)
}

// validate returns the mean ELBO per row of d and, with Settings.Weights,
// minus the mean weighted loss per row (else NaN), over minibatches of the
// training size taken in the order perm.
func (t *trainer[T]) validate(d Data, perm []int, rng *rand.Rand) (elbo, obj float64) {
	if t.s.Weights == (Weights{}) {
		return t.elbo(d, rng), math.NaN()
	}
	N := d.X.Len()
	e := t.e
	for lo := 0; lo < N; lo += t.s.BatchSize {
		hi := min(N, lo+t.s.BatchSize)
		e.load(d, perm[lo:hi])
		e.N = N
		e.setWeights(true, t.s.Beta)
		rec, kl := e.step(t.s.Samples, t.s.Beta, rng, false)
		elbo -= rec + kl
		obj -= e.wRec*rec + e.klWeight(t.s.Beta)*kl + e.extra
	}
	return elbo / float64(N), obj / float64(N)
}

// checkFinite returns an error if a value of d is NaN or infinite.
func checkFinite(d Dataset) error {
	for i := range d.Len() {
		for j, v := range d.Row(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: row %d, column %d is %g", ErrNonFinite, i, j, v)
			}
		}
	}
	return nil
}

// Train fits a model to train by maximising the ELBO with Adam on shuffled
// minibatches, and returns it with the history of the run.
//
// valid.X may be nil: then there is no early stopping and the final
// parameters are kept; otherwise the parameters of the epoch with the best
// validation ELBO are restored. progress, if not nil, is called after each
// epoch and on events, on the calling goroutine. rng drives the
// initialisation, the shuffling and the noise: the same rng state and
// settings give the same model bit for bit, whatever s.Threads or
// GOMAXPROCS. Cancelling ctx stops training within one minibatch and
// returns ctx.Err().
func Train(ctx context.Context, train, valid Data, s *Settings, rng *rand.Rand, progress func(Progress)) (*Model, *History, error) {
	if train.X == nil || train.X.Len() == 0 {
		return nil, nil, ErrEmpty
	}
	dim := train.X.Dim()
	rs, err := resolve(s, dim)
	if err != nil {
		return nil, nil, err
	}
	if err := train.check(dim, &rs); err != nil {
		return nil, nil, fmt.Errorf("training data: %w", err)
	}
	if err := checkFinite(train.X); err != nil {
		return nil, nil, fmt.Errorf("training data: %w", err)
	}
	if valid.X != nil {
		if err := valid.check(dim, &rs); err != nil {
			return nil, nil, fmt.Errorf("validation data: %w", err)
		}
		if err := checkFinite(valid.X); err != nil {
			return nil, nil, fmt.Errorf("validation data: %w", err)
		}
	}
	rs.BatchSize = min(rs.BatchSize, train.X.Len())
	lay := newLayout(&rs, dim)
	p64 := initParams(&lay, rng)
	m := &Model{s: rs, dim: dim, lay: lay}
	var h *History
	if rs.Float64 {
		h, err = fit(ctx, m, p64, train, valid, rng, progress)
	} else {
		h, err = fit(ctx, m, convert[float32](p64), train, valid, rng, progress)
	}
	if err != nil {
		return nil, h, err
	}
	return m, h, nil
}

func convert[T, U float](x []U) []T {
	y := make([]T, len(x))
	for i, v := range x {
		y[i] = T(v)
	}
	return y
}

func fit[T float](ctx context.Context, m *Model, params []T, train, valid Data, rng *rand.Rand, progress func(Progress)) (*History, error) {
	s := &m.s
	start := time.Now()
	t := newTrainer(s, &m.lay, m.dim, params, s.Threads)
	defer t.close()
	N := train.X.Len()
	perm := make([]int, N)
	for i := range perm {
		perm[i] = i
	}
	validSeed1, validSeed2 := rng.Uint64(), rng.Uint64()
	h := &History{BestValidELBO: math.NaN()}
	bestScore := math.NaN()
	weighted := s.Weights != (Weights{})
	var vperm []int
	if weighted && valid.X != nil {
		// the weighted objective's minibatch estimates want mixed
		// minibatches: a fixed random order of the validation rows
		vperm = rand.New(rand.NewPCG(validSeed1, validSeed2)).Perm(valid.X.Len())
	}
	best := append([]T(nil), params...)
	bad := 0
	// the plateau schedule's best score and epochs without improvement
	plateauBest, plateauBad := math.Inf(-1), 0
	stepsPerEpoch := (N + s.BatchSize - 1) / s.BatchSize
	step := 0
	report := func(p Progress) {
		if progress != nil {
			progress(p)
		}
	}
	h.Stopped = "max epochs"
	for epoch := 1; epoch <= s.Epochs; epoch++ {
		rng.Shuffle(N, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		lr := t.lr
		recoveries := h.Recoveries
		var sum float64
		var rows int
		for lo := 0; lo < N; lo += s.BatchSize {
			if err := ctx.Err(); err != nil {
				return h, err
			}
			beta := s.Beta
			if s.WarmupEpochs > 0 {
				beta *= min(1, float64(step+1)/float64(s.WarmupEpochs*stepsPerEpoch))
			}
			hi := min(N, lo+s.BatchSize)
			elbo, ok := t.batchStep(train, perm[lo:hi], beta, rng)
			step++
			if !ok {
				if err := t.recover(h, epoch, start, report); err != nil {
					return h, err
				}
				continue
			}
			sum += elbo
			rows += hi - lo
		}
		p := Progress{Epoch: epoch, TrainELBO: sum / float64(max(rows, 1)), ValidELBO: math.NaN(), ValidObjective: math.NaN(), LearningRate: lr}
		score := p.ValidELBO // what early stopping and the plateau schedule follow
		if valid.X != nil {
			p.ValidELBO, p.ValidObjective = t.validate(valid, vperm, rand.New(rand.NewPCG(validSeed1, validSeed2)))
			score = p.ValidELBO
			if weighted {
				score = p.ValidObjective
			}
			if math.IsNaN(score) || math.IsInf(score, 0) {
				if err := t.recover(h, epoch, start, report); err != nil {
					return h, err
				}
				p.ValidELBO, p.ValidObjective, score = math.NaN(), math.NaN(), math.NaN()
			}
		}
		p.Elapsed = time.Since(start)
		h.Epochs = append(h.Epochs, p)
		report(p)
		// Only an epoch without incident is a state to come back to: one
		// with roll-backs may have ended finite but absurd.
		if !finite(t.e.p) {
			if err := t.recover(h, epoch, start, report); err != nil {
				return h, err
			}
		} else if h.Recoveries == recoveries {
			t.snapshot()
		}
		if valid.X != nil {
			if !math.IsNaN(score) && (math.IsNaN(bestScore) || score > bestScore) {
				bestScore, h.BestValidELBO, h.BestEpoch = score, p.ValidELBO, epoch
				copy(best, t.e.p)
				bad = 0
			} else {
				bad++
				if s.Patience > 0 && bad >= s.Patience {
					h.Stopped = "early stopping"
					break
				}
			}
		} else {
			h.BestEpoch = epoch
			copy(best, t.e.p)
		}
		t.lr *= s.LRDecay
		if s.PlateauPatience > 0 {
			if valid.X == nil {
				score = p.TrainELBO
			}
			if score > plateauBest {
				plateauBest, plateauBad = score, 0
			} else if plateauBad++; plateauBad >= s.PlateauPatience {
				t.lr *= s.PlateauFactor
				plateauBad = 0
			}
		}
	}
	if h.BestEpoch == 0 {
		return h, fmt.Errorf("%w: no finite epoch", ErrDiverged)
	}
	m.setParams(best)
	return h, nil
}

func (t *trainer[T]) recover(h *History, epoch int, start time.Time, report func(Progress)) error {
	h.Recoveries++
	if h.Recoveries > maxRecoveries {
		return fmt.Errorf("%w: %d roll-backs after NaN or Inf", ErrDiverged, h.Recoveries-1)
	}
	t.rollback()
	report(Progress{Epoch: epoch, TrainELBO: math.NaN(), ValidELBO: math.NaN(), ValidObjective: math.NaN(), Elapsed: time.Since(start),
		LearningRate: t.lr, Event: fmt.Sprintf("nan: rolled back, lr halved to %g", t.lr)})
	return nil
}

func finite[T float](x []T) bool {
	for _, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}
