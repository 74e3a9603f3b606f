package ica

import (
	"context"
	"math"
	"math/cmplx"
	"os"
	"testing"

	"github.com/vica-dev/vica/io/csvio"
	"gonum.org/v1/gonum/dsp/fourier"
)

const foetalECG = "../../shared/data/foetal_ecg/foetal_ecg.csv"

// heartRate returns the fundamental frequency in [lo, hi] Hz of x sampled
// at fs Hz by harmonic summation: the candidate f whose first 5 harmonics
// carry the most periodogram power. A plain peak search would often pick a
// harmonic, since the sharp QRS complex puts much of an ECG's power above
// its fundamental.
func heartRate(x []float64, fs, lo, hi float64) float64 {
	n := len(x)
	mean, _ := meanStd(x)
	y := make([]float64, n)
	for i, v := range x {
		y[i] = v - mean
	}
	c := fourier.NewFFT(n).Coefficients(nil, y)
	p := make([]float64, len(c))
	for i, v := range c {
		p[i] = cmplx.Abs(v) * cmplx.Abs(v)
	}
	df := fs / float64(n)
	best, bestF := -1.0, math.NaN()
	for k := int(math.Ceil(lo / df)); float64(k)*df <= hi; k++ {
		var s float64
		for h := 1; h <= 5; h++ {
			if b := h * k; b < len(p) {
				s += p[b]
			}
		}
		if s > best {
			best, bestF = s, float64(k)*df
		}
	}
	return bestF
}

// TestFoetalECG checks, on the DaISy foetal ECG recording (8 leads, 250 Hz,
// 10 s), that some source beats at the foetal heart rate (2.1-2.4 Hz) and
// another at the maternal one (1.2-1.5 Hz), over fits with seeds 1 to 5. The
// maternal source must appear in every fit; the foetal one, weak in all
// leads, in at least minFoetal of the 5 (with the default settings it does
// for seeds 2, 3 and 4; the other fits give it a harmonic, 2.6 or 3.4 Hz,
// or mix it in). It skips when the file is absent.
func TestFoetalECG(t *testing.T) {
	const seeds, minFoetal = 5, 3
	if _, err := os.Stat(foetalECG); err != nil {
		t.Skip("foetal ECG data not present:", err)
	}
	f, _, err := csvio.ReadFile(foetalECG)
	if err != nil {
		t.Fatal(err)
	}
	nFoetal := 0
	for seed := range uint64(seeds) {
		m, err := Fit(context.Background(), f, &Settings{Seed: seed + 1})
		if err != nil {
			t.Fatal(err)
		}
		src := m.Sources()
		var foetal, maternal bool
		hrs := make([]float64, src.Channels())
		for c := range src.Channels() {
			hr := heartRate(src.Column(c, nil), 250, 0.5, 4)
			hrs[c] = hr
			foetal = foetal || hr >= 2.1 && hr <= 2.4
			maternal = maternal || hr >= 1.2 && hr <= 1.5
		}
		t.Logf("seed %d: fundamentals of s1..s%d: %.2f Hz", seed+1, len(hrs), hrs)
		if !maternal {
			t.Errorf("seed %d: no maternal source", seed+1)
		}
		if foetal {
			nFoetal++
		}
	}
	if nFoetal < minFoetal {
		t.Errorf("foetal source found in %d of %d fits, want at least %d", nFoetal, seeds, minFoetal)
	}
}
