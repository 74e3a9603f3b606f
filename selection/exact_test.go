package selection

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vica-dev/vica/ica/synth"
	"github.com/vica-dev/vica/timeseries"
)

// deep returns 3 Laplace sources mixed by a 2-layer leaky-ReLU MLP into 6
// channels with the given SNR (0: none): 20 segments of 150 rows.
func deep(t testing.TB, snr float64) *timeseries.Frame {
	t.Helper()
	ds, err := synth.Generate(&synth.Settings{Sources: 3, Channels: 6, Segments: 20, SegmentLength: 150,
		MixingLayers: 2, Family: synth.SegmentLaplace, SNR: snr, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	return ds.X
}

// TestExactStructure: noise-free channels of a piecewise-linear mixing
// show their dimension, from most of the searched rows; the same with 20
// dB of noise, or through a smooth mixing, show none; and rounded values
// are not searched.
func TestExactStructure(t *testing.T) {
	ex, err := exactStructure(context.Background(), deep(t, 0), 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("noise-free: %+v", ex)
	// 3 sources in 6 channels through 2 layers: most neighbourhoods hold
	// 5 or more points of one linear piece (measured with 500 rows: 490 on
	// the suites' 3-in-6 datasets).
	if !ex.Searched || ex.Dimension != 3 || ex.Support < ex.Points/2 || ex.Direct < ex.Support/2 {
		t.Errorf("noise-free: dimension %d from %d of %d rows, %d directly (searched %v); want 3 from most, most directly", ex.Dimension, ex.Support, ex.Points, ex.Direct, ex.Searched)
	}
	for d := range ex.Dimension {
		if ex.Found[d] != 0 {
			t.Errorf("noise-free: %d rows found dimension %d, below the least", ex.Found[d], d)
		}
	}
	// each row's random subsets have their own seed: the same result with
	// any number of workers
	if one, _ := exactStructure(context.Background(), deep(t, 0), 1, 1); !reflect.DeepEqual(one, ex) {
		t.Errorf("noise-free with one worker: %+v; with two: %+v", one, ex)
	}

	ex, _ = exactStructure(context.Background(), deep(t, 20), 1, 2)
	if !ex.Searched || ex.Dimension != 0 || ex.Support != 0 {
		t.Errorf("20 dB: %+v; want searched, no dimension", ex)
	}

	// A smooth mixing has no flat pieces: its neighbourhoods curve away
	// from every flat by far more than the tolerance.
	ds, err := synth.Generate(&synth.Settings{Sources: 3, Channels: 6, Segments: 20, SegmentLength: 150,
		MixingLayers: 2, Nonlinearity: synth.TanhLike, Family: synth.SegmentLaplace, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	ex, _ = exactStructure(context.Background(), ds.X, 1, 2)
	if !ex.Searched || ex.Dimension != 0 {
		t.Errorf("smooth mixing: %+v; want searched, no dimension", ex)
	}

	f := deep(t, 0)
	for i, v := range f.Data() {
		f.Data()[i] = math.Round(v*100) / 100
	}
	ex, _ = exactStructure(context.Background(), f, 1, 2)
	if ex.Searched || !strings.Contains(ex.Skipped, "repeats values") {
		t.Errorf("rounded: %+v; want skipped for repeated values", ex)
	}
}

// TestLocalDimensionLinear: points of a plane in 4 dimensions are found
// in 2 dimensions by every row, and points of a union of two planes that
// share a line (a kink) as well, by the search within their common span.
func TestLocalDimensionLinear(t *testing.T) {
	const n = 300
	data := make([]float64, 0, 4*n)
	for i := range n {
		a, b := math.Sin(float64(i)*1.7), math.Cos(float64(i)*2.3+0.1*float64(i%7))
		// the second plane where a > 0: it shares the line a = 0
		c := 0.0
		if a > 0 {
			c = a
		}
		data = append(data, a+0.5*b, b-0.2*a, 0.3*a+b+c, 2*c-b)
	}
	f, err := timeseries.New([]string{"w", "x", "y", "z"}, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := exactStructure(context.Background(), f, 7, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", ex)
	if ex.Dimension != 2 || ex.Direct < ExactSupport {
		t.Errorf("dimension %d from %d rows, %d directly; want 2 directly from at least %d", ex.Dimension, ex.Support, ex.Direct, ExactSupport)
	}
}

// TestLocalDimensionInSpan: a neighbour that lies on the line through
// the row and its nearest neighbour adds no direction to the span, and
// the row finds the plane its neighbours lie in. When such a neighbour's
// residual (rounding, or exactly zero here) was taken as the next
// direction, the search spanned the line and that residual, found no
// point in the span, and ran out of directions.
func TestLocalDimensionInSpan(t *testing.T) {
	// points of the plane z = 0.5x - 0.25y + 0.1: the row, its nearest
	// neighbour at distance about 0.02, the point twice as far along the
	// same line, and others at least 0.1 away
	plane := func(x, y float64) []float64 { return []float64{x, y, 0.5*x - 0.25*y + 0.1} }
	data := slices.Concat(plane(0, 0), plane(0.01, 0.02), plane(0.02, 0.04))
	for i := range 27 {
		a := float64(i) * 2.39996 // the golden angle: spread directions
		r := 0.1 + 0.02*float64(i)
		data = append(data, plane(r*math.Cos(a), r*math.Sin(a))...)
	}
	f, err := timeseries.New([]string{"x", "y", "z"}, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := newLocal(f, rand.New(rand.NewPCG(1, 2)))
	if d, c := l.dimension(0); d != 2 || c != 2 {
		t.Errorf("dimension %d from a span of %d; want 2 from 2", d, c)
	}
}

// TestEstimateExact: on noise-free channels the exact structure sets the
// count and the principal fits are not made. The dataset is #10 of
// BenchmarkCount's suite plus2/seeds=31100 with shorter segments, where the
// fits alone count 4 (measured with 1500 steps: both rules 4).
func TestEstimateExact(t *testing.T) {
	ds, err := synth.Generate(&synth.Settings{Sources: 3, Channels: 5, Segments: 20, SegmentLength: 150,
		MixingLayers: 2, Family: synth.SegmentGaussian, Seed: 31110})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Estimate(context.Background(), ds.X, &Settings{Steps: 1500, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("K %d kl %d elbo %d votes %v exact %+v principal %+v", r.K, r.KLCount, r.ELBOCount, r.Votes, r.Exact, r.Principal)
	if r.K != 3 || !r.Exact.Chosen || r.Confidence != 1 {
		t.Errorf("estimate %d (exact %+v, confidence %g); want 3 from the exact structure", r.K, r.Exact, r.Confidence)
	}
	if p := r.Principal; p == nil || p.Consulted || !strings.Contains(p.Skipped, "exactly") || p.RuleCount != min(r.KLCount, r.ELBOCount) {
		t.Errorf("principal %+v; want skipped for the exact structure, with the rule's count", r.Principal)
	}
}

// BenchmarkExactStructure times the search on the speed benchmark's shape,
// 10,000 rows of 10 channels: 5 sources through 2 layers with 20 dB of
// noise (no structure: every row's search runs to the end) and without
// (the search stops at the first flat).
func BenchmarkExactStructure(b *testing.B) {
	for _, snr := range []float64{20, 0} {
		ds, err := synth.Generate(&synth.Settings{Sources: 5, Channels: 10, Segments: 40, SegmentLength: 250, MixingLayers: 2, SNR: snr, Seed: 7})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("rows=10000/cols=10/snr=%g", snr), func(b *testing.B) {
			for b.Loop() {
				ex, err := exactStructure(context.Background(), ds.X, 1, 2)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(ex.Dimension), "dimension")
			}
		})
	}
}

func TestExactDecide(t *testing.T) {
	// The bound's cases, by hand: a count above it falls to it, a count
	// below it rises only when the KL count reaches it through dimensions
	// whose prior variance changes across segments.
	varying := []float64{0.5, 0.4, 0.4, 0.3, 0.3, 0.3, 0.2, 0.2, 0, 0}
	flat7 := slices.Clone(varying)
	flat7[6] = StationarySpread - 0.01 // the seventh dimension, which reaches 7
	flat5 := slices.Clone(varying)
	flat5[4] = StationarySpread - 0.01 // within the count: not asked
	for _, c := range []struct {
		dim, count, kl  int
		spread          []float64
		want            int
		chosen, reached bool
	}{
		{dim: 0, count: 5, kl: 6, spread: varying, want: 5},
		{dim: 7, count: 9, kl: 9, spread: varying, want: 7, chosen: true},
		{dim: 7, count: 8, kl: 6, spread: varying, want: 7, chosen: true},
		{dim: 7, count: 6, kl: 7, spread: varying, want: 7, chosen: true, reached: true},
		{dim: 7, count: 5, kl: 7, spread: varying, want: 7, chosen: true, reached: true},
		{dim: 7, count: 6, kl: 7, spread: flat7, want: 6},
		{dim: 7, count: 5, kl: 7, spread: flat7, want: 5},
		{dim: 7, count: 6, kl: 7, spread: flat5, want: 7, chosen: true, reached: true},
		{dim: 7, count: 6, kl: 7, spread: nil, want: 7, chosen: true, reached: true},
		{dim: 7, count: 6, kl: 7, spread: varying[:5], want: 6},
		{dim: 7, count: 6, kl: 8, spread: varying, want: 6},
		{dim: 7, count: 6, kl: 6, spread: varying, want: 6},
		{dim: 7, count: 7, kl: 7, spread: varying, want: 7},
	} {
		ex := &Exact{Dimension: c.dim}
		got := ex.decide(c.count, c.kl, c.spread)
		if got != c.want || ex.Chosen != c.chosen || ex.Reached != c.reached {
			t.Errorf("bound %d, count %d, KL count %d, spread %v: %d (chosen %v, reached %v), want %d (%v, %v)",
				c.dim, c.count, c.kl, c.spread, got, ex.Chosen, ex.Reached, c.want, c.chosen, c.reached)
		}
	}
}
