package ica

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/vica-dev/vica/internal/parallel"
	"github.com/vica-dev/vica/timeseries"
	"github.com/vica-dev/vica/vae"
	"gonum.org/v1/gonum/mat"
)

// restartStream is the second word of the PCG seed of restart r:
// rand.NewPCG(Settings.Seed, restartStream+r).
const restartStream = 0x69636130 // "ica0"

// Fit finds the independent sources of the channels of f with an
// identifiable VAE (iVAE, Khemakhem et al. 2020): it drops channels that are
// exact linear combinations of others, scales the channels on the training
// rows, cuts the series into windows and segments, keeps the end of every
// segment for validation, trains Settings.Restarts VAEs and keeps the one
// with the best validation ELBO. s may be nil for the defaults.
//
// f must have no missing values (apply a policy with
// [timeseries.Frame.HandleMissing] first) and at least two windows' worth
// of rows. Cancelling ctx stops training and returns ctx.Err().
func Fit(ctx context.Context, f *timeseries.Frame, s *Settings) (*Model, error) {
	d, err := prepareFit(f, s)
	if err != nil {
		return nil, err
	}
	rs, vs, train, valid, all := d.rs, d.vs, d.train, d.valid, d.all
	allW := all.X.(*timeseries.Windows)
	xs, trainB, validB := d.xs, d.trainB, d.validB

	m := &Model{
		channels:  d.names,
		dropped:   d.dropped,
		scaler:    d.scaler,
		whiten:    d.white,
		settings:  rs,
		segments:  vs.Segments,
		labels:    d.labels,
		trainRows: sumLen(trainB),
		validRows: sumLen(validB),
	}
	// The restarts run side by side, one per core (a fit's minibatches are
	// too small to keep several cores busy), each with its own generator,
	// so the model does not depend on how they are scheduled.
	K, R := rs.Sources, rs.Restarts
	P := min(R, rs.Threads)
	vs.Threads = max(1, rs.Threads/P)
	nets := make([]*vae.Model, R)
	hists := make([]*vae.History, R)
	mus := make([][]float64, R)
	err = parallel.Run(ctx, R, P, rs.Progress, func(ctx context.Context, r int, progress func(Progress)) error {
		rng := rand.New(rand.NewPCG(rs.Seed, restartStream+uint64(r)))
		var report func(vae.Progress)
		if progress != nil {
			report = func(p vae.Progress) {
				progress(Progress{Restart: r + 1, Restarts: R, Progress: p})
			}
		}
		v := vs
		net, h, err := vae.Train(ctx, train, valid, &v, rng, report)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("ica: restart %d of %d: %w", r+1, R, err)
		}
		mus[r] = make([]float64, allW.Len()*K)
		net.Encode(all, mus[r], make([]float64, allW.Len()*K))
		nets[r], hists[r] = net, h
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, net := range nets {
		net.SetThreads(rs.Threads) // every core for what follows, and in the saved model
	}
	var best int
	for r, h := range hists {
		score := h.BestValidELBO
		if valid.X == nil {
			score = h.Epochs[len(h.Epochs)-1].TrainELBO
		}
		m.restarts = append(m.restarts, Restart{Seed: r, ValidELBO: score, Epochs: len(h.Epochs), BestEpoch: h.BestEpoch, Stopped: h.Stopped})
		if r == 0 || score > m.restarts[best].ValidELBO || math.IsNaN(m.restarts[best].ValidELBO) {
			best, m.net = r, nets[r]
		}
	}
	m.best = best
	m.finish(train, xs, allW, mus, best)
	if m.active == 0 {
		return nil, fmt.Errorf("%w: the mean KL of every dimension is below %g nats; the channels may be noise, or try fewer sources", ErrCollapsed, ActiveKL)
	}
	m.sources = m.sourceFrame(mus[best], allW, f)
	return m, nil
}

// fitData is the data of a fit, prepared as Fit trains on it.
type fitData struct {
	names          []string  // channels kept
	dropped        []Dropped // exact linear combinations left out
	labels         []string  // segment labels from Settings.SegmentColumn
	rowSeg         []int     // segment of every row
	rs             Settings  // resolved
	vs             vae.Settings
	scaler         *timeseries.Scaler
	white          []float64
	xs             *timeseries.Frame // scaled and whitened channels
	trainB, validB []timeseries.Block
	train, valid   vae.Data // windows with stride Settings.Stride
	all            vae.Data // every window, stride 1
}

// prepareFit drops exact linear combinations, resolves the settings,
// scales and whitens the channels on the training rows, and cuts the series
// into windows, segments and the training and validation blocks.
func prepareFit(f *timeseries.Frame, s *Settings) (*fitData, error) {
	if f == nil || f.Rows() == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrTooShort)
	}
	d := &fitData{}
	x := f
	if s != nil && s.SegmentColumn != "" {
		var err error
		if d.rowSeg, d.labels, err = timeseries.LabelSegments(f, s.SegmentColumn); err != nil {
			return nil, fmt.Errorf("ica: segment column: %w", err)
		}
		if x, err = f.Exclude(s.SegmentColumn); err != nil {
			return nil, fmt.Errorf("ica: segment column: %w", err)
		}
	}
	if err := checkComplete(x); err != nil {
		return nil, err
	}
	tol := DefaultCollinearTol
	if s != nil && s.CollinearTol != 0 {
		tol = s.CollinearTol
	}
	keep := make([]int, x.Channels())
	for i := range keep {
		keep[i] = i
	}
	if tol > 0 {
		keep, d.dropped = collinear(x, tol)
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%w: every channel is constant", ErrTooManySources)
	}
	d.names = make([]string, len(keep))
	for i, c := range keep {
		d.names[i] = x.Names()[c]
	}
	var err error
	d.rs, d.vs, err = s.resolve(x.Rows(), len(d.names))
	if err != nil {
		if len(d.dropped) > 0 && errors.Is(err, ErrTooManySources) {
			err = fmt.Errorf("%w (%d of the %d channels are linear combinations of others: %s)",
				err, len(d.dropped), x.Channels(), droppedNames(d.dropped))
		}
		return nil, err
	}
	if len(d.dropped) > 0 {
		if x, err = x.Select(d.names...); err != nil {
			return nil, fmt.Errorf("ica: %w", err)
		}
	}
	rs := d.rs
	W := rs.Window
	if x.Rows() < 2*W {
		return nil, fmt.Errorf("%w: %d rows for a window of %d; need at least %d", ErrTooShort, x.Rows(), W, 2*W)
	}
	if d.rowSeg == nil {
		d.rowSeg = timeseries.FixedSegments(x.Rows(), rs.SegmentLength)
	}
	d.trainB, d.validB = splitSegments(d.rowSeg, W, rs.ValidFraction)
	if len(d.trainB) == 0 {
		return nil, fmt.Errorf("%w: no segment holds a window of %d rows", ErrTooShort, W)
	}
	if d.scaler, err = timeseries.FitScaler(rowsOf(x, d.trainB), rs.Scale); err != nil {
		return nil, fmt.Errorf("ica: scaling: %w", err)
	}
	if d.xs, err = d.scaler.Transform(x); err != nil {
		return nil, fmt.Errorf("ica: scaling: %w", err)
	}
	if !rs.NoWhiten {
		if d.white, err = zca(rowsOf(d.xs, d.trainB), rs.Sources); err != nil {
			return nil, err
		}
		applyWhiten(d.xs.Data(), d.xs.Channels(), d.white)
	}
	if d.train, err = d.windows(d.trainB, rs.Stride); err != nil {
		return nil, err
	}
	if len(d.validB) > 0 {
		if d.valid, err = d.windows(d.validB, rs.Stride); err != nil {
			return nil, err
		}
	}
	if d.all, err = d.windows([]timeseries.Block{{From: 0, To: x.Rows()}}, 1); err != nil {
		return nil, err
	}
	d.vs.Segments = slices.Max(d.rowSeg) + 1
	d.vs.Channels = len(d.names)
	return d, nil
}

// windows returns the windows of the prepared channels within blocks, with
// their segments.
func (d *fitData) windows(blocks []timeseries.Block, stride int) (vae.Data, error) {
	ws, err := d.xs.WindowsIn(blocks, d.rs.Window, stride)
	if err != nil {
		return vae.Data{}, fmt.Errorf("ica: %w", err)
	}
	return vae.Data{X: ws, Segment: ws.Segments(d.rowSeg)}, nil
}

// finish orders, scales and signs the components of restart best and
// measures their stability against the other restarts.
func (m *Model) finish(train vae.Data, xs *timeseries.Frame, allW *timeseries.Windows, mus [][]float64, best int) {
	K := m.settings.Sources
	n := allW.Len()
	kl := m.net.KLPerDim(train)
	order := make([]int, K)
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(kl[b], kl[a]) })
	mu := mus[best]
	col := func(mu []float64, k int) []float64 {
		c := make([]float64, n)
		for i := range c {
			c[i] = mu[i*K+k]
		}
		return c
	}
	D := xs.Channels()
	// The input channel at the time step each window labels.
	inputs := make([][]float64, D)
	for c := range inputs {
		inputs[c] = make([]float64, n)
		for i := range n {
			inputs[c][i] = xs.At(allW.End(i), c)
		}
	}
	items := make([]struct {
		comp          Component
		center, scale float64
	}, K)
	for j, k := range order {
		c := col(mu, k)
		mean, sd := meanStd(c)
		comp := Component{Latent: k, KL: kl[k], Active: kl[k] >= ActiveKL && sd > 0, Stability: math.NaN()}
		scale := 1.0
		if sd > 0 {
			scale = sd
		}
		// Sign: the input channel most correlated with the component
		// correlates positively with it.
		bestAbs, sign := -1.0, 1.0
		for ch := range D {
			r := pearson(c, inputs[ch])
			if math.Abs(r) > bestAbs {
				bestAbs, comp.Channel, sign = math.Abs(r), m.channels[ch], 1
				if r < 0 {
					sign = -1
				}
			}
		}
		comp.Correlation = bestAbs
		if len(mus) > 1 {
			var sum float64
			for r, other := range mus {
				if r == best {
					continue
				}
				var mx float64
				for l := range K {
					mx = max(mx, math.Abs(pearson(c, col(other, l))))
				}
				sum += mx
			}
			comp.Stability = sum / float64(len(mus)-1)
		}
		items[j].comp, items[j].center, items[j].scale = comp, mean, sign*scale
	}
	// Inactive components go last, whatever their KL (a dimension whose
	// posterior mean does not move).
	slices.SortStableFunc(items, func(a, b struct {
		comp          Component
		center, scale float64
	}) int {
		return cmp.Compare(b2i(!a.comp.Active), b2i(!b.comp.Active))
	})
	m.comps = make([]Component, K)
	m.center = make([]float64, K)
	m.scale = make([]float64, K)
	m.active = 0
	for j, it := range items {
		it.comp.Name = fmt.Sprintf("s%d", j+1)
		m.comps[j], m.center[j], m.scale[j] = it.comp, it.center, it.scale
		if it.comp.Active {
			m.active++
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func meanStd(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		sd += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sd / float64(len(x)))
}

// pearson is the correlation of x and y, 0 if either is constant.
func pearson(x, y []float64) float64 {
	mx, sx := meanStd(x)
	my, sy := meanStd(y)
	if sx == 0 || sy == 0 {
		return 0
	}
	var s float64
	for i := range x {
		s += (x[i] - mx) * (y[i] - my)
	}
	return s / (float64(len(x)) * sx * sy)
}

// checkComplete returns an error naming the first missing or infinite value.
func checkComplete(f *timeseries.Frame) error {
	if err := f.CheckFinite(); err != nil {
		return fmt.Errorf("ica: %w", err)
	}
	D := f.Channels()
	var n, first int = 0, -1
	for i, v := range f.Data() {
		if math.IsNaN(v) {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if n > 0 {
		return fmt.Errorf("%w: %d values, the first in channel %q at row %d; apply a missing-value policy first (timeseries.Frame.HandleMissing, --missing)",
			ErrMissing, n, f.Names()[first%D], first/D+1)
	}
	return nil
}

// splitSegments divides the rows into training and validation blocks: the
// last frac of every run of rows with one segment label is a validation
// block, the rest a training block. A run whose parts would not both hold a
// window of w rows is used for training whole; one shorter than w is left
// out.
func splitSegments(rowSeg []int, w int, frac float64) (train, valid []timeseries.Block) {
	for from := 0; from < len(rowSeg); {
		to := from + 1
		for to < len(rowSeg) && rowSeg[to] == rowSeg[from] {
			to++
		}
		n := to - from
		nv := int(math.Round(float64(n) * frac))
		switch {
		case nv >= w && n-nv >= w:
			train = append(train, timeseries.Block{From: from, To: to - nv})
			valid = append(valid, timeseries.Block{From: to - nv, To: to})
		case n >= w:
			train = append(train, timeseries.Block{From: from, To: to})
		}
		from = to
	}
	return train, valid
}

// rowsOf returns a frame of the rows of f in the blocks (a copy).
func rowsOf(f *timeseries.Frame, blocks []timeseries.Block) *timeseries.Frame {
	D := f.Channels()
	data := make([]float64, 0, sumLen(blocks)*D)
	for _, b := range blocks {
		data = append(data, f.Data()[b.From*D:b.To*D]...)
	}
	g, err := timeseries.New(f.Names(), data, nil)
	if err != nil {
		panic("ica: rows of a valid frame: " + err.Error())
	}
	return g
}

func sumLen(blocks []timeseries.Block) int {
	var n int
	for _, b := range blocks {
		n += b.Len()
	}
	return n
}

func droppedNames(d []Dropped) string {
	q := make([]string, len(d))
	for i, x := range d {
		q[i] = fmt.Sprintf("%q", x.Channel)
	}
	return strings.Join(q, ", ")
}

// zca returns the ZCA whitening matrix Σ^(-1/2) (D×D, row-major) of the
// rows of f, whose channels have mean 0, for k sources: the eigenvalues of
// Σ below its k-th largest are raised to it before inverting. With k = D
// this is plain ZCA whitening. With fewer sources than channels, the
// smallest principal directions hold little but noise and the curvature of
// the mixing; scaling them up to unit variance would make the encoder and
// the fixed observation variance treat that noise as signal (on 3 sources
// mixed into 5 channels by 2 layers, MCC fell from 0.99 without whitening
// to 0.74 with full whitening), while equalising only the k leading
// directions keeps the benefit whitening has when k = D.
func zca(f *timeseries.Frame, k int) ([]float64, error) {
	D := f.Channels()
	x := mat.NewDense(f.Rows(), D, f.Data())
	var cov mat.SymDense
	cov.SymOuterK(1/float64(f.Rows()), x.T())
	var eig mat.EigenSym
	if !eig.Factorize(&cov, true) {
		return nil, fmt.Errorf("ica: whitening: eigendecomposition of the covariance failed")
	}
	var e mat.Dense
	eig.VectorsTo(&e)
	vals := eig.Values(nil)
	for i, v := range vals {
		if !(v > 1e-12*vals[len(vals)-1]) {
			return nil, fmt.Errorf("%w: whitening: the covariance of the channels is singular (eigenvalue %d is %g)", ErrRankDeficient, i+1, v)
		}
	}
	floor := vals[max(D-k, 0)] // vals are in increasing order
	w := make([]float64, D*D)
	for i := range D {
		for j := range D {
			var s float64
			for k := range D {
				s += e.At(i, k) * e.At(j, k) / math.Sqrt(max(vals[k], floor))
			}
			w[i*D+j] = s
		}
	}
	return w, nil
}
