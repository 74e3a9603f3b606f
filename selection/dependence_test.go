package selection

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vica-dev/vica/ica/synth"
)

// The tolerance of the mutual-information estimates below is tolMI nats
// plus relMI of the true value. With 2000 points and 5 neighbours the
// estimator's scatter is about 0.015 nats (Kraskov et al. 2004, fig. 4);
// on ranks, whose density has edges, it overestimates strong dependence by
// a few per cent (0.05 nats of 1.16 at correlation 0.95), which does not
// matter near DependentMI.
const (
	tolMI = 0.04
	relMI = 0.08
)

func TestMutualInformation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2000
	gauss := func(rho float64) (x, y []float64) {
		for range n {
			a, b := rng.NormFloat64(), rng.NormFloat64()
			x = append(x, a)
			y = append(y, rho*a+math.Sqrt(1-rho*rho)*b)
		}
		return x, y
	}
	for _, rho := range []float64{0, 0.3, 0.5, 0.8, 0.95} {
		x, y := gauss(rho)
		want := -0.5 * math.Log(1-rho*rho)
		got := mutualInformation(x, y, dependenceNeighbours)
		t.Logf("rho %g: %.3f, want %.3f", rho, got, want)
		if math.Abs(got-want) > tolMI+relMI*want {
			t.Errorf("Gaussian rho %g: mutual information %.3f, want %.3f", rho, got, want)
		}
	}
	// Invariant under monotone maps of either variable, unlike correlation.
	x, y := gauss(0.8)
	for i := range x {
		x[i] = math.Exp(2 * x[i])
		y[i] = y[i] * y[i] * y[i]
	}
	if got, want := mutualInformation(x, y, dependenceNeighbours), -0.5*math.Log(1-0.64); math.Abs(got-want) > tolMI+relMI*want {
		t.Errorf("monotone maps: %.3f, want %.3f", got, want)
	}
	if got := mutualInformation(x, make([]float64, n), dependenceNeighbours); got != 0 {
		t.Errorf("constant y: %g, want 0", got)
	}
	if got := mutualInformation(x[:3], y[:3], dependenceNeighbours); got != 0 {
		t.Errorf("3 points: %g, want 0", got)
	}
}

// TestIndependentCount builds posterior means of 4 dimensions: a source
// split at zero over dimensions 0 and 2 (the L of a kinked mixing, each
// half blurred by the posterior), an independent source in dimension 1,
// and an inactive dimension 3.
func TestIndependentCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, K = 5000, 4
	mu := make([]float64, n*K)
	for i := range n {
		s := rng.NormFloat64()
		mu[i*K] = min(s, 0) + 0.1*rng.NormFloat64()
		mu[i*K+2] = max(s, 0) + 0.1*rng.NormFloat64()
		mu[i*K+1] = rng.NormFloat64()
		mu[i*K+3] = 0.01 * rng.NormFloat64()
	}
	kl := []float64{1.5, 2, 1.2, 0.001}
	count, pairs := independentCount(mu, K, kl, DefaultKLThreshold)
	if count != 2 {
		t.Errorf("count %d, want 2 (pairs %v)", count, pairs)
	}
	// byKL orders the dimensions 1, 0, 2, 3: the split pair is places 1 and 2.
	if len(pairs) != 1 || pairs[0].A != 1 || pairs[0].B != 2 || pairs[0].MI <= DependentMI {
		t.Errorf("pairs %v, want places 1 and 2 above %g nats", pairs, DependentMI)
	}
	// Without the split, three independent active dimensions.
	for i := range n {
		mu[i*K+2] = rng.NormFloat64()
	}
	if count, pairs := independentCount(mu, K, kl, DefaultKLThreshold); count != 3 || len(pairs) != 0 {
		t.Errorf("independent: count %d, pairs %v; want 3 and none", count, pairs)
	}
}

func TestLargestIndependent(t *testing.T) {
	pair := func(a, b int) DependentPair { return DependentPair{A: a, B: b, MI: 1} }
	many := make([]DependentPair, 0, 20)
	for b := 1; b < 20; b++ {
		many = append(many, pair(0, b)) // dimension 0 pairs with all others
	}
	for _, c := range []struct {
		name  string
		n     int
		pairs []DependentPair
		want  int
	}{
		{"none", 4, nil, 4},
		{"one split source", 2, []DependentPair{pair(0, 1)}, 1},
		{"a third dimension depending on two sources", 3, []DependentPair{pair(0, 2), pair(1, 2)}, 2},
		{"one source split three ways", 3, []DependentPair{pair(0, 1), pair(0, 2), pair(1, 2)}, 1},
		{"two split sources", 5, []DependentPair{pair(0, 3), pair(1, 4)}, 3},
		// The largest set leaves out dimension 0; going down the
		// dimensions in order would keep it and nothing else.
		{"exhaustive", 3, []DependentPair{pair(0, 1), pair(0, 2)}, 2},
		{"greedy beyond exhaustiveDims", 20, many, 1},
	} {
		if got := largestIndependent(c.n, c.pairs); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// TestEstimateSplitSource: one source through a 3-layer leaky-ReLU mixing
// into 2 noisy channels (the benchmark's extra/seeds=131100 dataset 8). The
// long fit spends two dimensions on it, one for each side of a kink, which
// share more than DependentMI nats; counted as two, as before the
// dependence rule, the answer was 2.
func TestEstimateSplitSource(t *testing.T) {
	ds, err := synth.Generate(&synth.Settings{Sources: 1, Channels: 2, MixingLayers: 3, Family: synth.AR1,
		SNR: 20, Segments: 20, SegmentLength: 250, Seed: 131108})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Estimate(context.Background(), ds.X, &Settings{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("K %d, KL count %d, held-out %d, KL %.3f, dependent %+v", r.K, r.KLCount, r.ELBOCount, r.PerDimKL, r.Dependent)
	if r.K != 1 || r.KLCount != 1 || len(r.Dependent) != 1 {
		t.Errorf("count %d, KL count %d, dependent pairs %+v; want 1, 1 and one pair", r.K, r.KLCount, r.Dependent)
	}
}
