package ica

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/vica-dev/vica/timeseries"
	"github.com/vica-dev/vica/vae"
)

// HeldOut is the importance-weighted bound of a model on the validation
// blocks of a frame, as returned by [Model.HeldOut].
type HeldOut struct {
	// Bound is the mean over all validation windows of the
	// importance-weighted bound on log p(x|u), in nats per window.
	Bound float64 `json:"bound"`
	// Windows is the number of validation windows.
	Windows int `json:"windows"`
	// Blocks holds the bound of each contiguous validation block (one per
	// segment long enough to split), in time order: the natural units for
	// a standard error, since windows within a block overlap and are
	// correlated while blocks are separated by training rows.
	Blocks []BlockBound `json:"blocks"`
}

// BlockBound is the bound on one validation block.
type BlockBound struct {
	From    int     `json:"from"` // first row, 0-based
	To      int     `json:"to"`   // one past the last row
	Windows int     `json:"windows"`
	Bound   float64 `json:"bound"` // mean per window
}

// HeldOut evaluates the importance-weighted bound (Burda et al. 2016, eq. 8)
// with the given number of samples per window on the validation blocks of
// f: the blocks Fit held out when it was given f (the last ValidFraction of
// every segment), scaled and whitened as in training. Called with the frame
// Fit was given, the result measures how well the model predicts data it
// was not trained on. The error wraps ErrChannels if f lacks a channel of
// the model and ErrTooShort if f has no validation block. It panics if
// samples < 1.
func (m *Model) HeldOut(f *timeseries.Frame, samples int, rng *rand.Rand) (HeldOut, error) {
	if samples < 1 {
		panic("ica: HeldOut needs samples >= 1")
	}
	xs, rowSeg, err := m.prepare(f)
	if err != nil {
		return HeldOut{}, err
	}
	W := m.settings.Window
	_, validB := splitSegments(rowSeg, W, m.settings.ValidFraction)
	if len(validB) == 0 {
		return HeldOut{}, fmt.Errorf("%w: no segment is long enough for a validation block", ErrTooShort)
	}
	var h HeldOut
	var sum float64
	for _, b := range validB {
		ws, err := xs.WindowsIn([]timeseries.Block{b}, W, m.settings.Stride)
		if err != nil {
			return HeldOut{}, fmt.Errorf("ica: %w", err)
		}
		d := vae.Data{X: ws, Segment: ws.Segments(rowSeg)}
		bound := m.net.IWAE(d, samples, rng)
		h.Blocks = append(h.Blocks, BlockBound{From: b.From, To: b.To, Windows: ws.Len(), Bound: bound})
		h.Windows += ws.Len()
		sum += bound * float64(ws.Len())
	}
	h.Bound = sum / float64(h.Windows)
	return h, nil
}

// ActiveVariance returns, for each component in the order of Components,
// the variance over all windows of f of the posterior mean of its latent
// dimension: the activity statistic A_u = Cov_x(E_q[u|x]) of Burda et al.
// (2016, §5.2), in the units of the latent (whose scale the prior sets).
func (m *Model) ActiveVariance(f *timeseries.Frame) ([]float64, error) {
	xs, _, err := m.prepare(f)
	if err != nil {
		return nil, err
	}
	ws, err := xs.Windows(m.settings.Window, 1)
	if err != nil {
		return nil, fmt.Errorf("ica: %w", err)
	}
	K := m.net.Latent()
	n := ws.Len()
	mu := make([]float64, n*K)
	m.net.Encode(vae.Data{X: ws, Segment: make([]int, n)}, mu, make([]float64, n*K))
	out := make([]float64, len(m.comps))
	col := make([]float64, n)
	for j, c := range m.comps {
		for i := range col {
			col[i] = mu[i*K+c.Latent]
		}
		_, sd := meanStd(col)
		out[j] = sd * sd
	}
	return out, nil
}

// prepare returns the model's channels of f scaled and whitened as in
// training, and the segment of every row, derived as Fit derives them.
func (m *Model) prepare(f *timeseries.Frame) (*timeseries.Frame, []int, error) {
	if f == nil || f.Rows() == 0 {
		return nil, nil, fmt.Errorf("%w: no rows", ErrTooShort)
	}
	var rowSeg []int
	if col := m.settings.SegmentColumn; col != "" {
		seg, labels, err := timeseries.LabelSegments(f, col)
		if err != nil {
			return nil, nil, fmt.Errorf("ica: segment column: %w", err)
		}
		if !slices.Equal(labels, m.labels) {
			return nil, nil, fmt.Errorf("%w: the segment column %q holds other labels than the training data's", ErrChannels, col)
		}
		rowSeg = seg
	}
	for _, n := range m.channels {
		if f.Lookup(n) < 0 {
			return nil, nil, fmt.Errorf("%w: the data lack %q", ErrChannels, n)
		}
	}
	x, err := f.Select(m.channels...)
	if err != nil {
		return nil, nil, fmt.Errorf("ica: %w", err)
	}
	if err := checkComplete(x); err != nil {
		return nil, nil, err
	}
	if x.Rows() < m.settings.Window {
		return nil, nil, fmt.Errorf("%w: %d rows, the window is %d", ErrTooShort, x.Rows(), m.settings.Window)
	}
	xs, err := m.scaler.Transform(x)
	if err != nil {
		return nil, nil, fmt.Errorf("ica: scaling: %w", err)
	}
	applyWhiten(xs.Data(), xs.Channels(), m.whiten)
	if rowSeg == nil {
		rowSeg = timeseries.FixedSegments(x.Rows(), m.settings.SegmentLength)
	}
	if s := slices.Max(rowSeg); s >= m.segments {
		return nil, nil, fmt.Errorf("ica: the data span %d segments, the model was fitted on %d", s+1, m.segments)
	}
	return xs, rowSeg, nil
}

// Prepared holds the data of a fit as [Fit] prepares them, for callers that
// train several networks on one preparation (package selection fits many
// latent sizes with network settings Fit does not offer, such as a learned
// observation variance).
type Prepared struct {
	// Channels are the channels kept (without exact linear combinations).
	Channels []string
	// Train and Valid are the training and validation windows with their
	// segments, exactly as Fit trains and validates on them.
	Train, Valid vae.Data
	// Blocks holds the validation windows of each contiguous validation
	// block, in time order (Valid is their union).
	Blocks []vae.Data
	// All holds every window of the series (stride 1).
	All vae.Data
	// VAE holds the network and training settings Fit would train with,
	// for Settings.Sources latent dimensions.
	VAE vae.Settings
}

// Prepare scales, whitens, windows, segments and splits f as Fit does with
// the same settings, without training. s may be nil for the defaults; its
// Restarts, Progress and Seed play no part.
func Prepare(f *timeseries.Frame, s *Settings) (*Prepared, error) {
	if f == nil || f.Rows() == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrTooShort)
	}
	x := f
	var rowSeg []int
	if s != nil && s.SegmentColumn != "" {
		var err error
		if rowSeg, _, err = timeseries.LabelSegments(f, s.SegmentColumn); err != nil {
			return nil, fmt.Errorf("ica: segment column: %w", err)
		}
		if x, err = f.Exclude(s.SegmentColumn); err != nil {
			return nil, fmt.Errorf("ica: segment column: %w", err)
		}
	}
	if err := checkComplete(x); err != nil {
		return nil, err
	}
	keep := make([]int, x.Channels())
	for i := range keep {
		keep[i] = i
	}
	tol := DefaultCollinearTol
	if s != nil && s.CollinearTol != 0 {
		tol = s.CollinearTol
	}
	var dropped []Dropped
	if tol > 0 {
		keep, dropped = collinear(x, tol)
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%w: every channel is constant", ErrTooManySources)
	}
	names := make([]string, len(keep))
	for i, c := range keep {
		names[i] = x.Names()[c]
	}
	rs, vs, err := s.resolve(x.Rows(), len(names))
	if err != nil {
		if len(dropped) > 0 && errors.Is(err, ErrTooManySources) {
			err = fmt.Errorf("%w (%d of the %d channels are linear combinations of others: %s)",
				err, len(dropped), x.Channels(), droppedNames(dropped))
		}
		return nil, err
	}
	if x, err = x.Select(names...); err != nil {
		return nil, fmt.Errorf("ica: %w", err)
	}
	W := rs.Window
	if x.Rows() < 2*W {
		return nil, fmt.Errorf("%w: %d rows for a window of %d; need at least %d", ErrTooShort, x.Rows(), W, 2*W)
	}
	if rowSeg == nil {
		rowSeg = timeseries.FixedSegments(x.Rows(), rs.SegmentLength)
	}
	trainB, validB := splitSegments(rowSeg, W, rs.ValidFraction)
	if len(trainB) == 0 {
		return nil, fmt.Errorf("%w: no segment holds a window of %d rows", ErrTooShort, W)
	}
	scaler, err := timeseries.FitScaler(rowsOf(x, trainB), rs.Scale)
	if err != nil {
		return nil, fmt.Errorf("ica: scaling: %w", err)
	}
	xs, err := scaler.Transform(x)
	if err != nil {
		return nil, fmt.Errorf("ica: scaling: %w", err)
	}
	if !rs.NoWhiten {
		white, err := zca(rowsOf(xs, trainB), rs.Sources)
		if err != nil {
			return nil, err
		}
		applyWhiten(xs.Data(), xs.Channels(), white)
	}
	data := func(blocks []timeseries.Block, stride int) (vae.Data, error) {
		ws, err := xs.WindowsIn(blocks, W, stride)
		if err != nil {
			return vae.Data{}, fmt.Errorf("ica: %w", err)
		}
		return vae.Data{X: ws, Segment: ws.Segments(rowSeg)}, nil
	}
	p := &Prepared{Channels: names, VAE: vs}
	p.VAE.Segments = slices.Max(rowSeg) + 1
	p.VAE.Channels = len(names)
	if p.Train, err = data(trainB, rs.Stride); err != nil {
		return nil, err
	}
	if len(validB) > 0 {
		if p.Valid, err = data(validB, rs.Stride); err != nil {
			return nil, err
		}
	}
	for _, b := range validB {
		d, err := data([]timeseries.Block{b}, rs.Stride)
		if err != nil {
			return nil, err
		}
		p.Blocks = append(p.Blocks, d)
	}
	if p.All, err = data([]timeseries.Block{{From: 0, To: x.Rows()}}, 1); err != nil {
		return nil, err
	}
	return p, nil
}
