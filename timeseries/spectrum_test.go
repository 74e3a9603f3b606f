package timeseries

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPeriodogramPeak checks that the peak of a noisy sine is found at its
// frequency, to within the resolution 1/(seg·dt) of the estimate.
func TestPeriodogramPeak(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name     string
		n, seg   int
		dt, freq float64
	}{
		{"hourly daily cycle", 9000, 24 * 14, 3600, 1.0 / 86400},
		{"ecg-like 250 Hz", 2500, 1024, 1.0 / 250, 2.2},
		{"whole series", 1000, 0, 1, 0.1},
	}
	for _, c := range cases {
		x := make([]float64, c.n)
		for i := range x {
			x[i] = math.Sin(2*math.Pi*c.freq*float64(i)*c.dt) + 0.5*rng.NormFloat64()
		}
		s, err := Periodogram(x, c.dt, c.seg)
		if err != nil {
			t.Fatal(err)
		}
		seg := c.seg
		if seg == 0 {
			seg = c.n
		}
		res := 1 / (float64(seg) * c.dt) // frequency resolution
		if got := s.Peak(0); math.Abs(got-c.freq) > res {
			t.Errorf("%s: peak at %g, want %g ± %g", c.name, got, c.freq, res)
		}
	}
}

func TestPeriodogramErrors(t *testing.T) {
	if _, err := Periodogram([]float64{1, 2}, 1, 0); err == nil {
		t.Error("2 values: no error")
	}
	if _, err := Periodogram(make([]float64, 10), 0, 0); err == nil {
		t.Error("dt 0: no error")
	}
	nan := make([]float64, 10)
	for i := range nan {
		nan[i] = math.NaN()
	}
	if _, err := Periodogram(nan, 1, 0); err == nil {
		t.Error("all missing: no error")
	}
}
