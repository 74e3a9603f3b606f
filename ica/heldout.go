package ica

import (
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
	d, err := prepareFit(f, s)
	if err != nil {
		return nil, err
	}
	p := &Prepared{Channels: d.names, VAE: d.vs, Train: d.train, Valid: d.valid, All: d.all}
	for _, b := range d.validB {
		w, err := d.windows([]timeseries.Block{b}, d.rs.Stride)
		if err != nil {
			return nil, err
		}
		p.Blocks = append(p.Blocks, w)
	}
	return p, nil
}
