package vae

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestPlateau checks the plateau schedule against the rule recomputed from
// the recorded validation ELBOs: the learning rate of epoch e+1 is that of
// epoch e times PlateauFactor exactly when e is the PlateauPatience-th epoch
// without a new best since the best epoch or the last reduction.
func TestPlateau(t *testing.T) {
	const (
		patience = 2
		factor   = 0.5
		rel      = 1e-12 // learning rates are products of a few factors
	)
	rng := rand.New(rand.NewPCG(5, 6))
	train, valid := randData(rng, 200, 3, 0), randData(rng, 100, 3, 0)
	_, h, err := Train(context.Background(), train, valid, &Settings{Latent: 2, Hidden: []int{6}, Epochs: 25,
		BatchSize: 50, LearningRate: 0.05, Patience: -1, PlateauPatience: patience, PlateauFactor: factor}, rng, nil)
	if err != nil {
		t.Fatal(err)
	}
	best, bad, reductions := math.Inf(-1), 0, 0
	for e := 0; e+1 < len(h.Epochs); e++ {
		want := h.Epochs[e].LearningRate
		if v := h.Epochs[e].ValidELBO; v > best {
			best, bad = v, 0
		} else if bad++; bad >= patience {
			want *= factor
			bad = 0
			reductions++
		}
		if got := h.Epochs[e+1].LearningRate; math.Abs(got-want) > rel*want {
			t.Fatalf("epoch %d: learning rate %g, want %g", e+2, got, want)
		}
	}
	if reductions == 0 {
		t.Fatalf("no plateau in %d epochs: the test checks nothing; make the data harder", len(h.Epochs))
	}
}

func TestPlateauSettings(t *testing.T) {
	d := randData(rand.New(rand.NewPCG(1, 2)), 20, 2, 0)
	for _, s := range []Settings{{PlateauPatience: -1}, {PlateauFactor: 1}, {PlateauFactor: -0.5}, {PlateauFactor: math.NaN()}} {
		if _, _, err := Train(context.Background(), d, Data{}, &s, rand.New(rand.NewPCG(1, 1)), nil); !errors.Is(err, ErrSettings) {
			t.Errorf("%+v: error %v, want ErrSettings", s, err)
		}
	}
}
