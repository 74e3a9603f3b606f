package ica

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vica-dev/vica/ica/synth"
	"github.com/vica-dev/vica/timeseries"
	"github.com/vica-dev/vica/vae"
)

// heldOutFit fits 4 latent dimensions to 2 sources mixed linearly into 4
// channels (20 segments of 250 rows), briefly, without whitening (which
// would spread the channel noise over every direction).
func heldOutFit(t *testing.T) (*Model, *timeseries.Frame) {
	t.Helper()
	ds, err := synth.Generate(&synth.Settings{Sources: 2, Channels: 4, Segments: 20, SegmentLength: 250, MixingLayers: 1, SNR: 30, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Fit(context.Background(), ds.X, &Settings{Sources: 4, NoWhiten: true, Seed: 2, VAE: &vae.Settings{Epochs: 15}})
	if err != nil {
		t.Fatal(err)
	}
	return m, ds.X
}

// TestHeldOut checks that the held-out bound is evaluated on the blocks
// Fit validated on, scaled and whitened as in training: the
// importance-weighted bound is at least the ELBO (Burda et al. 2016,
// Thm. 1), so it must not fall below the validation ELBO Fit recorded for
// the kept restart by more than the Monte Carlo error of that one-sample
// ELBO. tolELBO = 0.05 nats per window is about five of its standard errors
// here (1000 windows, per-window spread near 1.5 nats); data scaled or
// whitened differently, or other rows, move the bound by whole nats.
func TestHeldOut(t *testing.T) {
	const tolELBO = 0.05
	m, f := heldOutFit(t)
	h, err := m.HeldOut(f, 50, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	s := m.Summary()
	valid := s.Restarts[s.Best].ValidELBO
	if h.Bound < valid-tolELBO {
		t.Errorf("held-out bound %.4f below the validation ELBO %.4f of training", h.Bound, valid)
	}
	// An upper guard: the IWAE gap over the ELBO with 50 samples is a
	// fraction of a nat per window for such a model.
	if h.Bound > valid+1 {
		t.Errorf("held-out bound %.4f far above the validation ELBO %.4f: other data?", h.Bound, valid)
	}
	// 5000 rows in 40 default segments of 125 rows, the last 25 of each held out.
	if len(h.Blocks) != 40 || h.Windows != 40*25 || h.Windows != s.ValidRows {
		t.Errorf("%d blocks, %d windows; want 40 and %d", len(h.Blocks), h.Windows, s.ValidRows)
	}
	var sum float64
	for _, b := range h.Blocks {
		sum += b.Bound * float64(b.Windows)
		if b.To-b.From != 25 {
			t.Errorf("block %+v is not 25 rows", b)
		}
	}
	const tolMean = 1e-9 // float summation order
	if math.Abs(sum/float64(h.Windows)-h.Bound) > tolMean {
		t.Errorf("bound %g is not the window-weighted mean of the blocks' %g", h.Bound, sum/float64(h.Windows))
	}
	again, err := m.HeldOut(f, 50, rand.New(rand.NewPCG(1, 2)))
	if err != nil || again.Bound != h.Bound {
		t.Errorf("same generator, bound %g then %g (%v)", h.Bound, again.Bound, err)
	}

	// The activity statistic separates the two sources from the two unused
	// dimensions: collapsed posteriors have means that do not move. Measured
	// here (seed 3, 15 epochs): about 0.6 against 0.006 and 0.001; a factor
	// of 10 leaves room for other summation orders and fails when an unused
	// dimension encodes the noise (as it does with whitening and the
	// fixed observation variance of DefaultVAE: all four near 0.6).
	av, err := m.ActiveVariance(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(av) != 4 {
		t.Fatalf("%d variances, want 4", len(av))
	}
	comps := m.Components()
	for j, c := range comps {
		t.Logf("%s KL %.4f active variance %.4g", c.Name, c.KL, av[j])
	}
	if !(math.Min(av[0], av[1]) > 10*math.Max(av[2], av[3])) {
		t.Errorf("active variances %v do not separate two sources from two unused dimensions", av)
	}

	other, err := timeseries.New([]string{"a"}, []float64{1, 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.HeldOut(other, 10, rand.New(rand.NewPCG(1, 2))); !errors.Is(err, ErrChannels) {
		t.Errorf("other channels: %v, want ErrChannels", err)
	}
}

// TestPrepare checks that Prepare gives the data Fit trains on: a network
// trained on them with the generator of Fit's first restart reaches the
// same validation ELBO bit for bit.
func TestPrepare(t *testing.T) {
	ds, err := synth.Generate(&synth.Settings{Sources: 2, Channels: 3, Segments: 10, SegmentLength: 200, MixingLayers: 2, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, white := range []bool{false, true} {
		s := &Settings{Sources: 2, NoWhiten: !white, Seed: 4, Threads: 1, VAE: &vae.Settings{Epochs: 3}}
		m, err := Fit(context.Background(), ds.X, s)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Prepare(ds.X, s)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(s.Seed, restartStream))
		_, h, err := vae.Train(context.Background(), p.Train, p.Valid, &p.VAE, rng, nil)
		if err != nil {
			t.Fatal(err)
		}
		sum := m.Summary()
		if got, want := h.BestValidELBO, sum.Restarts[0].ValidELBO; got != want {
			t.Errorf("whiten %v: validation ELBO %g on Prepare's data, %g in Fit", white, got, want)
		}
		var n int
		for _, b := range p.Blocks {
			n += b.X.Len()
		}
		if n != p.Valid.X.Len() || n != sum.ValidRows || p.All.X.Len() != ds.X.Rows() {
			t.Errorf("whiten %v: %d block windows, %d valid, %d valid rows in Fit; %d windows in all for %d rows",
				white, n, p.Valid.X.Len(), sum.ValidRows, p.All.X.Len(), ds.X.Rows())
		}
	}
}
