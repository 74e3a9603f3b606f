package synth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/vica-dev/vica/ica/synth"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// small keeps the tests fast: 4 sources, 8 segments of 250 samples.
func small(mod func(*synth.Settings)) *synth.Settings {
	s := &synth.Settings{Sources: 4, Segments: 8, SegmentLength: 250, Seed: 1}
	if mod != nil {
		mod(s)
	}
	return s
}

func TestGenerateShapes(t *testing.T) {
	tests := []struct {
		name             string
		s                *synth.Settings
		rows, d, k, segs int
	}{
		{"defaults", nil, 40000, 5, 5, 40},
		{"more channels", small(func(s *synth.Settings) { s.Channels = 7 }), 2000, 7, 4, 8},
		{"laplace linear", small(func(s *synth.Settings) { s.Family = synth.SegmentLaplace; s.MixingLayers = 1 }), 2000, 4, 4, 8},
		{"ar1 tanh", small(func(s *synth.Settings) { s.Family = synth.AR1; s.Nonlinearity = synth.TanhLike }), 2000, 4, 4, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := synth.Generate(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if ds.X.Rows() != tc.rows || ds.X.Channels() != tc.d || ds.Sources.Rows() != tc.rows || ds.Sources.Channels() != tc.k {
				t.Fatalf("X %dx%d, sources %dx%d; want %dx%d and %dx%d", ds.X.Rows(), ds.X.Channels(),
					ds.Sources.Rows(), ds.Sources.Channels(), tc.rows, tc.d, tc.rows, tc.k)
			}
			if len(ds.Segment) != tc.rows || ds.Segment[tc.rows-1] != tc.segs-1 || len(ds.Scales) != tc.segs {
				t.Errorf("segments: %d labels, last %d, %d scale rows; want %d segments", len(ds.Segment), ds.Segment[tc.rows-1], len(ds.Scales), tc.segs)
			}
			if ds.X.Names()[0] != "x1" || ds.Sources.Names()[tc.k-1] != fmt.Sprintf("s%d", tc.k) {
				t.Errorf("names %v %v", ds.X.Names(), ds.Sources.Names())
			}
			ix := ds.X.Index()
			if ix.Name != "t" || ix.Len() != tc.rows || ix.Float(tc.rows-1) != float64(tc.rows-1) {
				t.Errorf("index %q of %d entries", ix.Name, ix.Len())
			}
			for _, v := range ds.X.Data() {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatal("non-finite value in X")
				}
			}
			c := ds.Combined()
			if c.Channels() != tc.d+tc.k+1 || c.Rows() != tc.rows || c.Names()[c.Channels()-1] != "segment" {
				t.Errorf("combined %dx%d %v", c.Rows(), c.Channels(), c.Names())
			}
			if got := c.At(tc.rows-1, tc.d+tc.k); got != float64(tc.segs-1) {
				t.Errorf("combined last segment %g", got)
			}
			if c.At(3, tc.d) != ds.Sources.At(3, 0) || c.At(3, 1) != ds.X.At(3, 1) {
				t.Error("combined values differ from X and sources")
			}
		})
	}
}

func TestGenerateDeterministic(t *testing.T) {
	for _, fam := range []synth.Family{synth.SegmentGaussian, synth.SegmentLaplace, synth.AR1, synth.AR1Stationary} {
		t.Run(fam.String(), func(t *testing.T) {
			s := small(func(s *synth.Settings) { s.Family = fam; s.SNR = 20; s.Seed = 42 })
			a, err := synth.Generate(s)
			if err != nil {
				t.Fatal(err)
			}
			b, err := synth.Generate(s)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.X.Data(), b.X.Data()) || !slices.Equal(a.Sources.Data(), b.Sources.Data()) {
				t.Error("same seed gave different data")
			}
			s.Seed = 43
			c, err := synth.Generate(s)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Equal(a.X.Data(), c.X.Data()) || slices.Equal(a.Sources.Data(), c.Sources.Data()) {
				t.Error("different seeds gave the same data")
			}
		})
	}
}

func TestSettingsJSONRoundTrip(t *testing.T) {
	a, err := synth.Generate(small(func(s *synth.Settings) {
		s.Family = synth.AR1
		s.Nonlinearity = synth.TanhLike
		s.Channels = 6
		s.SNR = 15
		s.Seed = 9
	}))
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(a.Settings)
	if err != nil {
		t.Fatal(err)
	}
	var back synth.Settings
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("%v in %s", err, js)
	}
	if back != a.Settings {
		t.Fatalf("round trip %+v != %+v", back, a.Settings)
	}
	b, err := synth.Generate(&back)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.X.Data(), b.X.Data()) {
		t.Error("dataset made from its JSON settings differs")
	}
	if err := json.Unmarshal([]byte(`{"family":"cauchy"}`), &back); !errors.Is(err, synth.ErrSettings) {
		t.Errorf("unknown family: got %v", err)
	}
}

func TestMixingInvertible(t *testing.T) {
	// Noise-free channels mapped back through the explicit inverse must give
	// the sources up to rounding; the mixing is well-conditioned (cond of
	// each layer about 10 or less), so errors stay far below this.
	const tol = 1e-8
	for _, nl := range []synth.Nonlinearity{synth.LeakyReLU, synth.TanhLike} {
		for _, layers := range []int{1, 2, 3, 5} {
			for _, d := range []int{4, 7} {
				name := fmt.Sprintf("%v/L=%d/D=%d", nl, layers, d)
				t.Run(name, func(t *testing.T) {
					ds, err := synth.Generate(small(func(s *synth.Settings) {
						s.Nonlinearity = nl
						s.MixingLayers = layers
						s.Channels = d
					}))
					if err != nil {
						t.Fatal(err)
					}
					if ds.Mixing.Layers() != layers {
						t.Fatalf("%d layers", ds.Mixing.Layers())
					}
					x := mat.NewDense(ds.X.Rows(), ds.X.Channels(), ds.X.Data())
					s := ds.Mixing.Inverse(x)
					var maxErr float64
					for i := 0; i < ds.Sources.Rows(); i++ {
						for j := 0; j < ds.Sources.Channels(); j++ {
							maxErr = math.Max(maxErr, math.Abs(s.At(i, j)-ds.Sources.At(i, j)))
						}
					}
					if maxErr > tol {
						t.Errorf("max |inverse(x) - s| = %g > %g", maxErr, tol)
					}
					// The mixing is nonlinear for L > 1: the best linear fit of
					// the sources from the channels leaves a visible residual.
					if layers > 1 && nl == synth.LeakyReLU {
						if r := linearResidual(x, mat.NewDense(ds.Sources.Rows(), ds.Sources.Channels(), ds.Sources.Data())); r < 1e-3 {
							t.Errorf("linear fit residual %g: mixing looks linear", r)
						}
					}
				})
			}
		}
	}
}

// linearResidual returns the relative squared residual of the least-squares
// fit of s from x (with intercept).
func linearResidual(x, s *mat.Dense) float64 {
	r, c := x.Dims()
	xa := mat.NewDense(r, c+1, nil)
	for i := 0; i < r; i++ {
		xa.Set(i, c, 1)
		for j := 0; j < c; j++ {
			xa.Set(i, j, x.At(i, j))
		}
	}
	var b, fit, res mat.Dense
	if err := b.Solve(xa, s); err != nil {
		return math.NaN()
	}
	fit.Mul(xa, &b)
	res.Sub(s, &fit)
	return mat.Norm(&res, 2) * mat.Norm(&res, 2) / (mat.Norm(s, 2) * mat.Norm(s, 2))
}

func TestLayerSharing(t *testing.T) {
	tests := []struct {
		name     string
		d        int
		distinct bool
		// same[l] says whether layer l+1 reuses layer l's matrix.
		same []bool
	}{
		{"repeat D=K", 4, false, []bool{true, true, true}},
		{"repeat D>K", 6, false, []bool{false, true, true}},
		{"distinct", 4, true, []bool{false, false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := synth.Generate(small(func(s *synth.Settings) {
				s.Channels = tc.d
				s.MixingLayers = 4
				s.DistinctLayers = tc.distinct
			}))
			if err != nil {
				t.Fatal(err)
			}
			for l, want := range tc.same {
				a, b := ds.Mixing.Weight(l), ds.Mixing.Weight(l+1)
				if got := a.RawMatrix().Rows == b.RawMatrix().Rows && mat.Equal(a, b); got != want {
					t.Errorf("layers %d and %d equal: %v, want %v", l, l+1, got, want)
				}
			}
			// Every matrix has unit-norm columns.
			for l := 0; l < 4; l++ {
				w := ds.Mixing.Weight(l)
				for j := 0; j < tc.d; j++ {
					if n := mat.Norm(w.ColView(j), 2); math.Abs(n-1) > 1e-12 {
						t.Errorf("layer %d column %d norm %g", l, j, n)
					}
				}
			}
		})
	}
}

func TestSNR(t *testing.T) {
	// With 8×250 = 2000 samples per channel the sample variances have
	// relative standard error about sqrt(2/2000) = 3%, i.e. 0.14 dB for the
	// ratio; 0.5 dB is over three standard errors.
	const tolDB = 0.5
	for _, snr := range []float64{0.001, 10, 30} {
		t.Run(fmt.Sprint(snr), func(t *testing.T) {
			clean, err := synth.Generate(small(func(s *synth.Settings) { s.Channels = 6 }))
			if err != nil {
				t.Fatal(err)
			}
			noisy, err := synth.Generate(small(func(s *synth.Settings) { s.Channels = 6; s.SNR = snr }))
			if err != nil {
				t.Fatal(err)
			}
			d := clean.X.Channels()
			for c := 0; c < d; c++ {
				x := clean.X.Column(c, nil)
				y := noisy.X.Column(c, nil)
				for i := range y {
					y[i] -= x[i]
				}
				got := 10 * math.Log10(stat.Variance(x, nil)/stat.Variance(y, nil))
				if math.Abs(got-snr) > tolDB {
					t.Errorf("channel %d: SNR %.2f dB, want %g", c+1, got, snr)
				}
			}
		})
	}
}

func TestSegmentScales(t *testing.T) {
	// Each segment has 1000 samples, so a sample standard deviation is
	// within about 1/sqrt(2·1000) = 2.2% of the true one for Gaussian data
	// (about 3.5% for Laplace, whose kurtosis is 6); 12% is over 3 standard
	// errors. The AR(1) families have fewer effective samples (a = 0.7
	// gives n(1-a²)/(1+a²) ≈ 340), hence their wider tolerance.
	tests := []struct {
		fam    synth.Family
		relTol float64
	}{
		{synth.SegmentGaussian, 0.12},
		{synth.SegmentLaplace, 0.15},
		{synth.AR1, 0.25},
	}
	for _, tc := range tests {
		t.Run(tc.fam.String(), func(t *testing.T) {
			ds, err := synth.Generate(&synth.Settings{Sources: 3, Segments: 10, SegmentLength: 1000, Family: tc.fam, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			for k := 0; k < 3; k++ {
				col := ds.Sources.Column(k, nil)
				lo, hi := math.Inf(1), math.Inf(-1)
				for m := 0; m < 10; m++ {
					sd := stat.PopStdDev(col[m*1000:(m+1)*1000], nil)
					want := ds.Scales[m][k]
					if want < 0.5 || want > 3 {
						t.Errorf("scale %g outside [0.5, 3]", want)
					}
					if math.Abs(sd/want-1) > tc.relTol {
						t.Errorf("source %d segment %d: sd %.3f, want %.3f", k+1, m, sd, want)
					}
					lo, hi = min(lo, sd), max(hi, sd)
				}
				// Ten uniform draws on [0.5, 3] spread by a factor of 2 or more
				// except with tiny probability.
				if hi/lo < 2 {
					t.Errorf("source %d: segment sds span only %.2f to %.2f", k+1, lo, hi)
				}
			}
		})
	}
}

func TestAR1(t *testing.T) {
	// Lag-1 autocorrelation of an AR(1) process is its coefficient; 20000
	// samples give a standard error about sqrt((1-a²)/n) = 0.005.
	const tol = 0.03
	for _, fam := range []synth.Family{synth.AR1, synth.AR1Stationary} {
		t.Run(fam.String(), func(t *testing.T) {
			ds, err := synth.Generate(&synth.Settings{Sources: 2, Segments: 20, Family: fam, ARCoefficient: 0.5, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			col := ds.Sources.Column(0, nil)
			if r := stat.Correlation(col[1:], col[:len(col)-1], nil); math.Abs(r-0.5) > tol {
				t.Errorf("lag-1 autocorrelation %.3f, want 0.5", r)
			}
			if fam == synth.AR1Stationary {
				if sd := stat.StdDev(col, nil); math.Abs(sd-1) > 0.05 {
					t.Errorf("stationary sd %.3f, want 1", sd)
				}
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name string
		s    synth.Settings
		want error
	}{
		{"fewer channels", synth.Settings{Sources: 5, Channels: 3}, synth.ErrSettings},
		{"negative sources", synth.Settings{Sources: -1}, synth.ErrSettings},
		{"explosive AR", synth.Settings{Family: synth.AR1, ARCoefficient: 1}, synth.ErrSettings},
		{"negative slope", synth.Settings{Slope: -0.1}, synth.ErrSettings},
		{"bad scales", synth.Settings{ScaleMin: 3, ScaleMax: 1}, synth.ErrSettings},
		{"NaN SNR", synth.Settings{SNR: math.NaN()}, synth.ErrSettings},
		{"unknown family", synth.Settings{Family: 9}, synth.ErrSettings},
		{"too large", synth.Settings{Segments: 1 << 20, SegmentLength: 1 << 20}, synth.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := synth.Generate(&tc.s); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func ExampleGenerate() {
	ds, err := synth.Generate(&synth.Settings{Sources: 3, Channels: 4, Segments: 10, SegmentLength: 100, Seed: 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	js, _ := json.Marshal(ds.Settings)
	fmt.Println(ds.X.Rows(), ds.X.Names(), ds.Sources.Names())
	fmt.Println(string(js))
	// Output:
	// 1000 [x1 x2 x3 x4] [s1 s2 s3]
	// {"sources":3,"channels":4,"segments":10,"segment_length":100,"family":"segment-gaussian","ar_coefficient":0.7,"scale_min":0.5,"scale_max":3,"mixing_layers":3,"distinct_layers":false,"nonlinearity":"leaky-relu","slope":0.2,"snr_db":0,"seed":7}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("K=5/M=40/N=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := synth.Generate(&synth.Settings{SegmentLength: n}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
