package ica

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/vica-dev/vica/timeseries"
	"github.com/vica-dev/vica/vae"
)

// Model is a fitted unmixing: the scaling and whitening of the channels,
// the window and segment settings, the trained VAE, and the order, scale
// and sign of the sources. It is immutable after Fit or Load, and its
// methods are safe for concurrent use.
type Model struct {
	channels  []string
	dropped   []Dropped
	scaler    *timeseries.Scaler
	whiten    []float64 // D×D row-major, applied to scaled rows: x_w = W·x_s; nil for none
	settings  Settings  // resolved; Progress and VAE are nil
	segments  int
	labels    []string // segment labels from SegmentColumn, nil for fixed segments
	net       *vae.Model
	comps     []Component
	center    []float64 // per component, in comps order: mean of the posterior mean
	scale     []float64 // per component: signed standard deviation
	active    int       // the first active components of comps are active
	restarts  []Restart
	best      int
	trainRows int
	validRows int
	sources   *timeseries.Frame // nil after Load
}

// Component describes one fitted source.
type Component struct {
	// Name is s1, s2, ...: the order of decreasing mean KL, active
	// components first.
	Name string `json:"name"`
	// Latent is the VAE latent dimension behind the component.
	Latent int `json:"latent"`
	// KL is the mean over the training windows of KL(q(z|x) || p(z|u)) for
	// this dimension, in nats: the information the component carries.
	KL float64 `json:"kl"`
	// Active is false for a collapsed dimension (KL below ActiveKL): its
	// values are noise, and Sources and Transform leave it out.
	Active bool `json:"active"`
	// Stability is the mean over the other restarts of the best absolute
	// correlation of this component with a component of that restart; NaN
	// (null in JSON) with a single restart.
	Stability float64 `json:"-"`
	// Channel is the input channel most correlated with the component and
	// Correlation the absolute value of that correlation. The sign of the
	// component makes that correlation positive.
	Channel     string  `json:"channel"`
	Correlation float64 `json:"correlation"`
}

// MarshalJSON writes Stability as null when it is NaN.
func (c Component) MarshalJSON() ([]byte, error) {
	type plain Component
	return json.Marshal(struct {
		plain
		Stability *float64 `json:"stability"`
	}{plain(c), nanNull(c.Stability)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Component) UnmarshalJSON(b []byte) error {
	type plain Component
	var v struct {
		plain
		Stability *float64 `json:"stability"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Component(v.plain)
	c.Stability = math.NaN()
	if v.Stability != nil {
		c.Stability = *v.Stability
	}
	return nil
}

func nanNull(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// Restart is the outcome of one of the Settings.Restarts fits.
type Restart struct {
	Seed      int     `json:"seed"` // restart number r: the generator is seeded with (Settings.Seed, r)
	ValidELBO float64 `json:"-"`    // best validation ELBO per window (training ELBO without validation rows)
	Epochs    int     `json:"epochs"`
	BestEpoch int     `json:"best_epoch"`
	Stopped   string  `json:"stopped"`
}

// MarshalJSON writes ValidELBO as null when it is not finite.
func (r Restart) MarshalJSON() ([]byte, error) {
	type plain Restart
	return json.Marshal(struct {
		plain
		ValidELBO *float64 `json:"valid_elbo"`
	}{plain(r), nanNull(r.ValidELBO)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Restart) UnmarshalJSON(b []byte) error {
	type plain Restart
	var v struct {
		plain
		ValidELBO *float64 `json:"valid_elbo"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Restart(v.plain)
	r.ValidELBO = math.NaN()
	if v.ValidELBO != nil {
		r.ValidELBO = *v.ValidELBO
	}
	return nil
}

// Summary is what a user reads about a fitted model; its JSON field names
// are stable.
type Summary struct {
	Channels      []string    `json:"channels"`
	Dropped       []Dropped   `json:"dropped"`
	Components    []Component `json:"components"`
	Active        int         `json:"active"`
	Window        int         `json:"window"`
	Segments      int         `json:"segments"`
	SegmentLength int         `json:"segment_length,omitempty"` // 0 with SegmentColumn
	SegmentColumn string      `json:"segment_column,omitempty"`
	Prior         string      `json:"prior"`
	TrainRows     int         `json:"train_rows"`
	ValidRows     int         `json:"valid_rows"`
	Restarts      []Restart   `json:"restarts"`
	Best          int         `json:"best_restart"` // index into Restarts
}

// Summary returns a description of the model.
func (m *Model) Summary() Summary {
	s := Summary{
		Channels:      m.Channels(),
		Dropped:       append([]Dropped(nil), m.dropped...),
		Components:    m.Components(),
		Active:        m.active,
		Window:        m.settings.Window,
		Segments:      m.segments,
		SegmentColumn: m.settings.SegmentColumn,
		Prior:         m.net.Settings().Prior.String(),
		TrainRows:     m.trainRows,
		ValidRows:     m.validRows,
		Restarts:      append([]Restart(nil), m.restarts...),
		Best:          m.best,
	}
	if s.SegmentColumn == "" {
		s.SegmentLength = m.settings.SegmentLength
	}
	return s
}

// FewSegments reports whether the segment prior had fewer segments than
// it needs to identify the sources: Khemakhem et al. (2020, Thm. 1) need
// 2K+1 segments whose variance profiles differ for K sources, and with
// fewer any mixture of the sources may fit as well. It is false for the
// standard-normal prior, which never identifies them.
func (s *Summary) FewSegments() bool {
	return s.Prior == vae.SegmentPrior.String() && s.Segments < 2*len(s.Components)+1
}

// Channels returns the names of the channels the model reads, in its
// order (the input's channels minus the segment column and the dropped
// linear combinations).
func (m *Model) Channels() []string { return append([]string(nil), m.channels...) }

// Dropped returns the channels left out as linear combinations of others.
func (m *Model) Dropped() []Dropped { return append([]Dropped(nil), m.dropped...) }

// Components returns all K fitted components, active ones first.
func (m *Model) Components() []Component { return append([]Component(nil), m.comps...) }

// Window returns the window length W.
func (m *Model) Window() int { return m.settings.Window }

// Net returns the trained VAE.
func (m *Model) Net() *vae.Model { return m.net }

// Sources returns the active sources of the data Fit was given: channels
// s1..sA (A = the number of active components, most informative first),
// each with mean 0 and variance 1 over those data, with the input's time
// index and row count; the first W-1 rows, which end no window, are NaN.
// Collapsed components are left out (see Components). It returns nil for a
// model read by Load: use Transform on the data instead. The frame is
// shared: copy it before modifying it.
func (m *Model) Sources() *timeseries.Frame { return m.sources }

// Transform returns the active sources of new data with the model's
// channels, found by name (other channels, such as a segment column or
// dropped ones, are ignored). Rows whose window holds a missing value give
// NaN sources, as do the first W-1 rows. The error wraps ErrChannels when
// a channel is missing and ErrTooShort when f has fewer rows than the
// window.
func (m *Model) Transform(f *timeseries.Frame) (*timeseries.Frame, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: no frame", ErrTooShort)
	}
	var missing []string
	for _, n := range m.channels {
		if f.Lookup(n) < 0 {
			missing = append(missing, fmt.Sprintf("%q", n))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: the data lack %s; the model reads %s", ErrChannels,
			strings.Join(missing, ", "), strings.Join(quoteAll(m.channels), ", "))
	}
	if f.Rows() < m.settings.Window {
		return nil, fmt.Errorf("%w: %d rows, the window is %d", ErrTooShort, f.Rows(), m.settings.Window)
	}
	x, err := f.Select(m.channels...)
	if err != nil {
		return nil, fmt.Errorf("ica: %w", err)
	}
	if err := x.CheckFinite(); err != nil {
		return nil, fmt.Errorf("ica: %w", err)
	}
	if err := m.scaler.TransformInPlace(x); err != nil {
		return nil, fmt.Errorf("ica: %w", err)
	}
	D := x.Channels()
	data := x.Data()
	// Missing values become 0 (the training mean) for the encoder, and the
	// windows holding them are marked.
	bad := make([]bool, x.Rows())
	for t := range x.Rows() {
		for c := range D {
			if math.IsNaN(data[t*D+c]) {
				data[t*D+c] = 0
				bad[t] = true
			}
		}
	}
	applyWhiten(data, D, m.whiten)
	ws, err := x.Windows(m.settings.Window, 1)
	if err != nil {
		return nil, fmt.Errorf("ica: %w", err)
	}
	out := m.encode(ws, f)
	W := m.settings.Window
	A := m.active
	od := out.Data()
	last := -1 << 62
	for t := range x.Rows() {
		if bad[t] {
			last = t
		}
		if t-last < W {
			for k := range A {
				od[t*A+k] = math.NaN()
			}
		}
	}
	return out, nil
}

// encode returns the active sources for the windows ws of a scaled and
// whitened frame, on the rows and index of orig.
func (m *Model) encode(ws *timeseries.Windows, orig *timeseries.Frame) *timeseries.Frame {
	K := m.net.Latent()
	n := ws.Len()
	mu := make([]float64, n*K)
	// The encoder sees x alone; the labels only satisfy vae's check for a
	// model with the segment prior.
	seg := make([]int, n)
	m.net.Encode(vae.Data{X: ws, Segment: seg}, mu, make([]float64, n*K))
	return m.sourceFrame(mu, ws, orig)
}

// sourceFrame maps posterior means (windows × K) to the active sources on
// the rows and index of orig.
func (m *Model) sourceFrame(mu []float64, ws *timeseries.Windows, orig *timeseries.Frame) *timeseries.Frame {
	K := m.net.Latent()
	A := m.active
	rows := orig.Rows()
	data := make([]float64, rows*A)
	for i := range data {
		data[i] = math.NaN()
	}
	for i := range ws.Len() {
		t := ws.End(i)
		for j := range A {
			c := m.comps[j]
			data[t*A+j] = (mu[i*K+c.Latent] - m.center[j]) / m.scale[j]
		}
	}
	names := make([]string, A)
	for j := range names {
		names[j] = m.comps[j].Name
	}
	f, err := timeseries.New(names, data, orig.Index())
	if err != nil {
		panic("ica: source frame: " + err.Error()) // names are distinct, lengths match
	}
	return f
}

// applyWhiten replaces each row x of the row-major data (D columns) by W·x.
func applyWhiten(data []float64, D int, w []float64) {
	if w == nil {
		return
	}
	tmp := make([]float64, D)
	for t := 0; t < len(data)/D; t++ {
		row := data[t*D : (t+1)*D]
		for i := range D {
			var s float64
			for j, v := range row {
				s += w[i*D+j] * v
			}
			tmp[i] = s
		}
		copy(row, tmp)
	}
}

func quoteAll(names []string) []string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return q
}
