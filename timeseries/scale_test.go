package timeseries

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"
)

func TestFitScalerByHand(t *testing.T) {
	const tol = 1e-12 // a few roundings of values of order 1..100
	// Channel a: 1, 2, 3, 4 and one missing: mean 2.5, population variance
	// (2.25+0.25+0.25+2.25)/4 = 1.25; median 2.5, deviations 1.5, 0.5, 0.5,
	// 1.5 so MAD 1. Channel b: 1, 2, 3, 4, 100: median 3, deviations
	// 2, 1, 0, 1, 97 so MAD 1 whatever the outlier.
	f, _ := New([]string{"a", "b"}, []float64{1, 1, 2, 2, 3, 3, 4, 4, nan, 100}, nil)
	tests := []struct {
		m             ScaleMethod
		center, scale []float64
	}{
		{ZScore, []float64{2.5, 22}, []float64{math.Sqrt(1.25), math.Sqrt((21*21 + 20*20 + 19*19 + 18*18 + 78*78) / 5.0)}},
		{Robust, []float64{2.5, 3}, []float64{madNormal, madNormal}},
	}
	for _, tt := range tests {
		s, err := FitScaler(f, tt.m)
		if err != nil {
			t.Fatal(err)
		}
		if !sameFloats(s.Center, tt.center, tol) || !sameFloats(s.Scale, tt.scale, tol) {
			t.Errorf("%v: center %v scale %v, want %v %v", tt.m, s.Center, s.Scale, tt.center, tt.scale)
		}
	}
}

func TestFitScalerAgainstGonum(t *testing.T) {
	// gonum's stat.Mean and stat.PopStdDev are an independent implementation.
	const tol = 1e-9 // relative; sums of 10000 values lose a few digits
	rng := rand.New(rand.NewPCG(1, 2))
	f := randomFrame(rng, 10000, 4, 1e3)
	s, err := FitScaler(f, ZScore)
	if err != nil {
		t.Fatal(err)
	}
	for c := range f.Channels() {
		col := f.Column(c, nil)
		m, sd := stat.Mean(col, nil), stat.PopStdDev(col, nil)
		if math.Abs(s.Center[c]-m) > tol*math.Abs(m) || math.Abs(s.Scale[c]-sd) > tol*sd {
			t.Errorf("channel %d: %g %g, gonum %g %g", c, s.Center[c], s.Scale[c], m, sd)
		}
	}
}

// randomFrame returns rows × cols normal values with channel c centred at
// offset·c and with standard deviation c+1.
func randomFrame(rng *rand.Rand, rows, cols int, offset float64) *Frame {
	names := make([]string, cols)
	for c := range names {
		names[c] = string(rune('a' + c%26))
		if c >= 26 {
			names[c] += string(rune('0' + c/26))
		}
	}
	data := make([]float64, rows*cols)
	for i := range data {
		c := i % cols
		data[i] = offset*float64(c) + float64(c+1)*rng.NormFloat64()
	}
	f, err := New(names, data, nil)
	if err != nil {
		panic(err)
	}
	return f
}

func TestScalerRoundTrip(t *testing.T) {
	const tol = 1e-12 // relative to max(1, |x|): a subtraction, a multiply and their inverses
	rng := rand.New(rand.NewPCG(3, 4))
	for _, m := range []ScaleMethod{ZScore, Robust} {
		f := randomFrame(rng, 500, 3, 1e4)
		f.Data()[7] = nan
		s, err := FitScaler(f, m)
		if err != nil {
			t.Fatal(err)
		}
		z, err := s.Transform(f)
		if err != nil {
			t.Fatal(err)
		}
		back, err := s.Inverse(z)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range f.Data() {
			y := back.Data()[i]
			if math.IsNaN(x) != math.IsNaN(y) || math.Abs(x-y) > tol*math.Max(1, math.Abs(x)) {
				t.Fatalf("%v: value %d: %g came back as %g", m, i, x, y)
			}
		}
		// After a z-score, each channel has mean 0 and standard deviation 1,
		// up to the rounding of the fitted mean: about offset·ε·√rows / sd
		// = 2e4 · 2.2e-16 · 22 / 3 ≈ 3e-11 for the last channel.
		const momentTol = 1e-10
		if m == ZScore {
			s2, _ := FitScaler(z, ZScore)
			for c := range s2.Center {
				if math.Abs(s2.Center[c]) > momentTol || math.Abs(s2.Scale[c]-1) > momentTol {
					t.Errorf("scaled channel %d: mean %g sd %g", c, s2.Center[c], s2.Scale[c])
				}
			}
		}
		// In place gives the same values.
		g := &Frame{names: f.names, data: append([]float64(nil), f.data...), rows: f.rows}
		if err := s.TransformInPlace(g); err != nil || !sameFloats(g.Data(), z.Data(), 0) {
			t.Errorf("%v: TransformInPlace differs from Transform (%v)", m, err)
		}
		if err := s.InverseInPlace(g); err != nil || !sameFloats(g.Data(), back.Data(), 0) {
			t.Errorf("%v: InverseInPlace differs from Inverse (%v)", m, err)
		}
	}
}

func TestScalerErrors(t *testing.T) {
	flat, _ := New([]string{"ok", "flat"}, []float64{1, 5, 2, 5, 3, 5}, nil)
	mostly, _ := New([]string{"ok", "spiky"}, []float64{1, 0, 2, 0, 3, 9}, nil)
	dead, _ := New([]string{"ok", "dead"}, []float64{1, nan, 2, nan}, nil)
	inf, _ := New([]string{"ok", "hot"}, []float64{1, 2, 2, math.Inf(1), 3, 4}, nil)
	infs, _ := New([]string{"ok", "hot"}, []float64{1, math.Inf(-1), 2, math.Inf(1), 3, 4}, nil)
	tests := []struct {
		name  string
		f     *Frame
		m     ScaleMethod
		err   error
		words []string
	}{
		{"constant zscore", flat, ZScore, ErrConstant, []string{`"flat"`, "5", "--exclude flat"}},
		{"constant robust", flat, Robust, ErrConstant, []string{`"flat"`}},
		{"MAD zero", mostly, Robust, ErrConstant, []string{`"spiky"`, "more than half", "zscore"}},
		{"MAD zero is fine for zscore", mostly, ZScore, nil, nil},
		{"all missing", dead, ZScore, ErrAllMissing, []string{`"dead"`}},
		{"all missing robust", dead, Robust, ErrAllMissing, []string{`"dead"`}},
		{"bad method", flat, ScaleMethod(7), ErrMethod, nil},
		{"infinite", inf, ZScore, ErrNonFinite, []string{`"hot"`}},
		{"both infinities", infs, ZScore, ErrNonFinite, []string{`"hot"`}},
		{"infinite is an outlier for robust", inf, Robust, nil, nil}, // median 2, MAD 1
	}
	for _, tt := range tests {
		_, err := FitScaler(tt.f, tt.m)
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
			continue
		}
		for _, w := range tt.words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tt.name, err, w)
			}
		}
	}
}

func TestScalerMismatch(t *testing.T) {
	f := frame3(t)
	s, err := FitScaler(f, ZScore)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := f.Select("c", "b", "a")
	if _, err := s.Transform(g); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), `"c", "b", "a"`) {
		t.Errorf("reordered channels: error %v", err)
	}
	s.Scale[1] = 0
	if _, err := s.Transform(f); err == nil || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("a zero scale: error %v", err)
	}
	s.Scale = s.Scale[:1]
	if _, err := s.Inverse(f); err == nil {
		t.Error("a scaler with too few scales was accepted")
	}
	if m, err := ParseScaleMethod("robust"); m != Robust || err != nil {
		t.Errorf("ParseScaleMethod(robust) = %v, %v", m, err)
	}
	if _, err := ParseScaleMethod("minmax"); !errors.Is(err, ErrMethod) {
		t.Errorf("ParseScaleMethod(minmax) error %v", err)
	}
}
