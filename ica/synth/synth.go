package synth

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/vica-dev/vica/timeseries"
)

// Errors returned by [Generate].
var (
	ErrSettings = errors.New("synth: invalid settings")
	ErrTooLarge = errors.New("synth: dataset too large")
)

// Family is the distribution of the sources.
type Family int

const (
	// SegmentGaussian sources are independent Gaussian samples whose standard
	// deviation changes from segment to segment (the iVAE paper's setting).
	SegmentGaussian Family = iota
	// SegmentLaplace sources are like SegmentGaussian with Laplace samples.
	SegmentLaplace
	// AR1 sources follow s[t] = a·s[t-1] + e[t] with Laplace innovations
	// whose variance changes from segment to segment, so that the stationary
	// standard deviation within segment m is the segment's scale.
	AR1
	// AR1Stationary sources are AR(1) with Laplace innovations of constant
	// variance (unit stationary variance): temporally dependent but not
	// nonstationary, so segments carry no information.
	AR1Stationary
)

var familyNames = [...]string{"segment-gaussian", "segment-laplace", "ar1", "ar1-stationary"}

// String returns the family's name as written in JSON.
func (f Family) String() string {
	if f >= 0 && int(f) < len(familyNames) {
		return familyNames[f]
	}
	return "Family(" + strconv.Itoa(int(f)) + ")"
}

// MarshalText writes the family's name.
func (f Family) MarshalText() ([]byte, error) {
	if f < 0 || int(f) >= len(familyNames) {
		return nil, fmt.Errorf("%w: unknown family %d", ErrSettings, int(f))
	}
	return []byte(familyNames[f]), nil
}

// UnmarshalText reads a family's name.
func (f *Family) UnmarshalText(b []byte) error {
	for i, n := range familyNames {
		if string(b) == n {
			*f = Family(i)
			return nil
		}
	}
	return fmt.Errorf("%w: unknown family %q", ErrSettings, b)
}

// Nonlinearity is the elementwise invertible function between mixing layers.
type Nonlinearity int

const (
	// LeakyReLU is x for x > 0 and slope·x otherwise.
	LeakyReLU Nonlinearity = iota
	// TanhLike is tanh(x) + slope·x: smooth, strictly increasing, and
	// invertible ("xtanh" in the iVAE reference code).
	TanhLike
)

var nonlinearityNames = [...]string{"leaky-relu", "tanh-like"}

// String returns the nonlinearity's name as written in JSON.
func (n Nonlinearity) String() string {
	if n >= 0 && int(n) < len(nonlinearityNames) {
		return nonlinearityNames[n]
	}
	return "Nonlinearity(" + strconv.Itoa(int(n)) + ")"
}

// MarshalText writes the nonlinearity's name.
func (n Nonlinearity) MarshalText() ([]byte, error) {
	if n < 0 || int(n) >= len(nonlinearityNames) {
		return nil, fmt.Errorf("%w: unknown nonlinearity %d", ErrSettings, int(n))
	}
	return []byte(nonlinearityNames[n]), nil
}

// UnmarshalText reads a nonlinearity's name.
func (n *Nonlinearity) UnmarshalText(b []byte) error {
	for i, s := range nonlinearityNames {
		if string(b) == s {
			*n = Nonlinearity(i)
			return nil
		}
	}
	return fmt.Errorf("%w: unknown nonlinearity %q", ErrSettings, b)
}

// Settings describe a simulated dataset. The zero value is the iVAE paper's
// setting: 5 Gaussian sources, 5 channels, 40 segments of 1000 samples with
// scales uniform on [0.5, 3], a 3-layer leaky-ReLU mixing, no noise, seed 0.
type Settings struct {
	// Sources is the number of sources K. Default 5.
	Sources int `json:"sources"`
	// Channels is the number of observed channels D >= K. Default K.
	Channels int `json:"channels"`
	// Segments is the number of segments M. Default 40.
	Segments int `json:"segments"`
	// SegmentLength is the number of samples N per segment. Default 1000.
	SegmentLength int `json:"segment_length"`
	// Family is the distribution of the sources. Default SegmentGaussian.
	Family Family `json:"family"`
	// ARCoefficient is a in s[t] = a·s[t-1] + e[t] for the AR families;
	// it must lie in (-1, 1). Default 0.7 (0 means the default).
	ARCoefficient float64 `json:"ar_coefficient"`
	// ScaleMin and ScaleMax bound the per-segment standard deviation of each
	// source, drawn uniformly from [ScaleMin, ScaleMax] for each source and
	// segment. Defaults 0.5 and 3, the bounds of the iVAE reference code.
	ScaleMin float64 `json:"scale_min"`
	ScaleMax float64 `json:"scale_max"`
	// MixingLayers is the number L of layers of the mixing MLP. Each layer
	// multiplies by a random well-conditioned matrix; all but the last are
	// followed by the nonlinearity, so L = 1 is a linear mixing. The first
	// layer maps K to D channels, the others D to D. Default 3.
	MixingLayers int `json:"mixing_layers"`
	// DistinctLayers draws a new matrix for every layer. By default the
	// D×D layers all reuse one matrix, which is also the first layer's when
	// D = K: this is what the iVAE reference code's datasets do (its
	// SyntheticDataset sets repeat_linearity), and the setting in which the
	// published baselines were measured.
	DistinctLayers bool `json:"distinct_layers"`
	// Nonlinearity is the function between layers. Default LeakyReLU.
	Nonlinearity Nonlinearity `json:"nonlinearity"`
	// Slope is the negative-side slope of LeakyReLU, or the linear term of
	// TanhLike; it must be positive for the mixing to be invertible.
	// Default 0.2, the slope of Hyvärinen and Morioka's TCL simulations; the
	// iVAE Python code defaults to 0.1, but with 0.2 linear FastICA scores
	// MCC 0.68 (2 layers) and 0.56 (3 layers) over 10 seeds, matching the
	// baseline figures measured with the reference setup (0.68 and 0.58).
	Slope float64 `json:"slope"`
	// SNR is the signal-to-noise ratio in dB of Gaussian noise added to each
	// channel (noise variance = channel variance / 10^(SNR/10)). 0 or +Inf
	// means no noise; for equal signal and noise power use a tiny value such
	// as 1e-9.
	SNR float64 `json:"snr_db"`
	// Seed determines every random draw.
	Seed uint64 `json:"seed"`
}

// resolved returns a copy of s with defaults filled in, or an error.
func (s *Settings) resolved() (Settings, error) {
	var r Settings
	if s != nil {
		r = *s
	}
	bad := func(format string, args ...any) (Settings, error) {
		return Settings{}, fmt.Errorf("%w: "+format, append([]any{ErrSettings}, args...)...)
	}
	if r.Sources < 0 || r.Channels < 0 || r.Segments < 0 || r.SegmentLength < 0 || r.MixingLayers < 0 {
		return bad("negative count")
	}
	if r.Sources == 0 {
		r.Sources = 5
	}
	if r.Channels == 0 {
		r.Channels = r.Sources
	}
	if r.Channels < r.Sources {
		return bad("%d channels are fewer than %d sources; the mixing would not be invertible", r.Channels, r.Sources)
	}
	if r.Segments == 0 {
		r.Segments = 40
	}
	if r.SegmentLength == 0 {
		r.SegmentLength = 1000
	}
	if r.Family < SegmentGaussian || r.Family > AR1Stationary {
		return bad("unknown family %d", int(r.Family))
	}
	if r.ARCoefficient == 0 {
		r.ARCoefficient = 0.7
	}
	if !(math.Abs(r.ARCoefficient) < 1) {
		return bad("AR coefficient %g is not in (-1, 1)", r.ARCoefficient)
	}
	if r.ScaleMin == 0 {
		r.ScaleMin = 0.5
	}
	if r.ScaleMax == 0 {
		r.ScaleMax = 3
	}
	if !(r.ScaleMin > 0 && r.ScaleMax >= r.ScaleMin && !math.IsInf(r.ScaleMax, 0)) {
		return bad("scale bounds [%g, %g] must be positive, finite and ordered", r.ScaleMin, r.ScaleMax)
	}
	if r.MixingLayers == 0 {
		r.MixingLayers = 3
	}
	if r.Nonlinearity < LeakyReLU || r.Nonlinearity > TanhLike {
		return bad("unknown nonlinearity %d", int(r.Nonlinearity))
	}
	if r.Slope == 0 {
		r.Slope = 0.2
	}
	if !(r.Slope > 0) || math.IsInf(r.Slope, 0) {
		return bad("slope %g must be positive and finite", r.Slope)
	}
	if math.IsInf(r.SNR, 1) {
		r.SNR = 0
	}
	if math.IsNaN(r.SNR) || math.IsInf(r.SNR, -1) {
		return bad("SNR %g dB", r.SNR)
	}
	const maxValues = 1 << 31
	rows := int64(r.Segments) * int64(r.SegmentLength)
	if rows > maxValues || rows*int64(r.Channels+r.Sources+1) > maxValues {
		return Settings{}, fmt.Errorf("%w: %d rows of %d channels and %d sources", ErrTooLarge, rows, r.Channels, r.Sources)
	}
	return r, nil
}

// Dataset is a simulated dataset with its ground truth.
type Dataset struct {
	// X holds the observed channels x1..xD, indexed by time t = 0..T-1.
	X *timeseries.Frame
	// Sources holds the true sources s1..sK on the same index.
	Sources *timeseries.Frame
	// Segment is the segment label (0..M-1) of each time step.
	Segment []int
	// Scales[m][k] is the standard deviation of source k in segment m
	// (before the AR recursion for the AR families).
	Scales [][]float64
	// Mixing is the map from sources to noise-free channels.
	Mixing *Mixing
	// Settings are the settings used, with defaults filled in.
	Settings Settings
}

// Generate simulates a dataset. s may be nil for the defaults.
func Generate(s *Settings) (*Dataset, error) {
	r, err := s.resolved()
	if err != nil {
		return nil, err
	}
	k, d, m, n := r.Sources, r.Channels, r.Segments, r.SegmentLength
	t := m * n
	// The order of the draws (scales, sources, mixing, noise) is part of the
	// format: changing it changes every dataset made from a seed.
	rng := rand.New(rand.NewPCG(r.Seed, 0x76696361)) // "vica"

	scales := make([][]float64, m)
	for i := range scales {
		scales[i] = make([]float64, k)
		for j := range scales[i] {
			if r.Family == AR1Stationary {
				scales[i][j] = 1
			} else {
				scales[i][j] = r.ScaleMin + (r.ScaleMax-r.ScaleMin)*rng.Float64()
			}
		}
	}
	seg := make([]int, t)
	for i := range seg {
		seg[i] = i / n
	}
	src := make([]float64, t*k)
	switch r.Family {
	case SegmentGaussian, SegmentLaplace:
		draw := rng.NormFloat64
		if r.Family == SegmentLaplace {
			draw = func() float64 { return laplace(rng) }
		}
		for i := 0; i < t; i++ {
			for j := 0; j < k; j++ {
				src[i*k+j] = scales[seg[i]][j] * draw()
			}
		}
	case AR1, AR1Stationary:
		a := r.ARCoefficient
		innov := math.Sqrt(1 - a*a)
		for j := 0; j < k; j++ {
			src[j] = scales[0][j] * laplace(rng) // roughly stationary start
		}
		for i := 1; i < t; i++ {
			for j := 0; j < k; j++ {
				src[i*k+j] = a*src[(i-1)*k+j] + innov*scales[seg[i]][j]*laplace(rng)
			}
		}
	}

	mix, err := newMixing(k, d, r.MixingLayers, r.Nonlinearity, r.Slope, r.DistinctLayers, rng)
	if err != nil {
		return nil, err
	}
	x := make([]float64, t*d)
	mix.forwardRows(src, x, t)

	if r.SNR != 0 {
		addNoise(x, t, d, r.SNR, rng)
	}

	xf, err := timeseries.New(names("x", d), x, timeIndex(t))
	if err != nil {
		return nil, err
	}
	sf, err := timeseries.New(names("s", k), src, timeIndex(t))
	if err != nil {
		return nil, err
	}
	return &Dataset{X: xf, Sources: sf, Segment: seg, Scales: scales, Mixing: mix, Settings: r}, nil
}

// Combined returns one frame with the channels x1..xD, the sources s1..sK and
// a "segment" column, on the same time index, for writing to one file.
func (ds *Dataset) Combined() *timeseries.Frame {
	d, k, t := ds.X.Channels(), ds.Sources.Channels(), ds.X.Rows()
	w := d + k + 1
	data := make([]float64, t*w)
	for i := 0; i < t; i++ {
		row := data[i*w : (i+1)*w]
		copy(row, ds.X.Row(i))
		copy(row[d:], ds.Sources.Row(i))
		row[d+k] = float64(ds.Segment[i])
	}
	cols := append(append(append([]string(nil), ds.X.Names()...), ds.Sources.Names()...), "segment")
	f, err := timeseries.New(cols, data, timeIndex(t))
	if err != nil {
		panic("synth: combined frame: " + err.Error()) // names are unique by construction
	}
	return f
}

// laplace returns a zero-mean Laplace sample of unit variance.
func laplace(rng *rand.Rand) float64 {
	v := rng.ExpFloat64() / math.Sqrt2
	if rng.Uint64()&1 == 0 {
		return -v
	}
	return v
}

// addNoise adds Gaussian noise to each channel at the given SNR in dB,
// relative to that channel's variance over all rows.
func addNoise(x []float64, t, d int, snr float64, rng *rand.Rand) {
	sd := noiseSD(x, t, d, snr)
	for i := 0; i < t; i++ {
		for c := 0; c < d; c++ {
			x[i*d+c] += sd[c] * rng.NormFloat64()
		}
	}
}

// noiseSD returns the standard deviation of the noise at the given SNR in
// dB for each of the d channels of x (t rows), relative to that channel's
// variance over all rows.
func noiseSD(x []float64, t, d int, snr float64) []float64 {
	sd := make([]float64, d)
	for c := 0; c < d; c++ {
		var mean, ss float64
		for i := 0; i < t; i++ {
			mean += x[i*d+c]
		}
		mean /= float64(t)
		for i := 0; i < t; i++ {
			v := x[i*d+c] - mean
			ss += v * v
		}
		sd[c] = math.Sqrt(ss / float64(t) / math.Pow(10, snr/10))
	}
	return sd
}

func names(prefix string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = prefix + strconv.Itoa(i+1)
	}
	return s
}

func timeIndex(t int) *timeseries.Index {
	nums := make([]float64, t)
	for i := range nums {
		nums[i] = float64(i)
	}
	return &timeseries.Index{Name: "t", Kind: timeseries.NumberIndex, Numbers: nums}
}
