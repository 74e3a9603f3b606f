package selection

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vica-dev/vica/ica"
	"github.com/vica-dev/vica/ica/synth"
	"github.com/vica-dev/vica/timeseries"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// easy returns 2 Laplace sources with segment-varying scales, mixed by a
// 2-layer MLP into 4 channels with 20 dB of noise: 20 segments of 150 rows.
func easy(t testing.TB) *timeseries.Frame {
	t.Helper()
	ds, err := synth.Generate(&synth.Settings{Sources: 2, Channels: 4, Segments: 20, SegmentLength: 150,
		MixingLayers: 2, Family: synth.SegmentLaplace, SNR: 20, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	return ds.X
}

// TestEstimateEasy: on an easy case both rules must find the 2 sources
// among 4 channels, where the linear baselines see more (the nonlinear
// mixing spreads 2 sources over more principal components).
func TestEstimateEasy(t *testing.T) {
	r, err := Estimate(context.Background(), easy(t), &Settings{Steps: 2000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("K %d kl %d elbo %d votes %v minka %d gap %d, KL %.3f, spread %.3f", r.K, r.KLCount, r.ELBOCount, r.Votes, r.Minka, r.EigenGap, r.PerDimKL, r.PerDimSpread)
	if r.K != 2 || r.KLCount != 2 || r.ELBOCount != 2 || !r.Agree {
		t.Errorf("estimate %d, KL count %d, ELBO count %d; want 2", r.K, r.KLCount, r.ELBOCount)
	}
	if r.MaxSources != 4 || len(r.Sweep) != 4 || len(r.PerDimKL) != 4 || len(r.ActiveVariance) != 4 {
		t.Fatalf("Kmax %d, %d sweep rows, %d KL, %d variances; want 4", r.MaxSources, len(r.Sweep), len(r.PerDimKL), len(r.ActiveVariance))
	}
	// The two unused dimensions collapse towards their prior: KL and
	// activity at least an order of magnitude below the sources'. Measured
	// (seed 3, 2000 steps): KL 2.17, 2.13 against 0.002, 0.001; with 30
	// epochs of early-stopped training the third dimension kept 0.032,
	// which a factor of 10 still separates.
	if !(r.PerDimKL[1] > 10*r.PerDimKL[2] && r.ActiveVariance[1] > 10*r.ActiveVariance[2]) {
		t.Errorf("KL %v, activity %v: the sources do not stand out", r.PerDimKL, r.ActiveVariance)
	}
	// The sources' variances change across segments and the collapsed
	// dimensions' priors do not: the principal check's StationarySpread
	// separates them here too.
	if len(r.PerDimSpread) != 4 || !(r.PerDimSpread[1] >= StationarySpread && r.PerDimSpread[2] < StationarySpread && r.PerDimSpread[3] < StationarySpread) {
		t.Errorf("spread %v: want the sources' at least %g, the others' under", r.PerDimSpread, StationarySpread)
	}
	// The one-SE rule: the chosen row is within its standard error of the
	// best, the row before it is not.
	best := math.Inf(-1)
	for _, row := range r.Sweep {
		best = math.Max(best, row.Bound)
	}
	if row := r.Sweep[1]; best-row.Bound > row.StdErr {
		t.Errorf("chosen row %+v is more than its standard error below the best %g", row, best)
	}
	if row := r.Sweep[0]; best-row.Bound <= row.StdErr {
		t.Errorf("row %+v is within its standard error of the best %g but was not chosen", row, best)
	}
	if r.Confidence != 1 || len(r.Votes) != 2*DefaultRestarts {
		t.Errorf("votes %v, confidence %g", r.Votes, r.Confidence)
	}
}

// sameJSON reports whether a and b encode to the same JSON: equal values,
// since encoding/json writes each float64 in the shortest form that reads
// back to the same bits, with NaN (which DeepEqual finds unequal to
// itself) as null.
func sameJSON(t *testing.T, a, b *Result) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// TestEstimateDeterministic: one seed gives one result, bit for bit, and
// another seed other fits.
func TestEstimateDeterministic(t *testing.T) {
	f := easy(t)
	s := &Settings{MaxSources: 3, Epochs: 3, Samples: 10, Seed: 5}
	a, err := Estimate(context.Background(), f, s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Estimate(context.Background(), f, s)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, a, b) {
		t.Errorf("same seed, different results:\n%+v\n%+v", a, b)
	}
	// One fit at a time with all the threads, and three at a time: the
	// same result as the default (one fit per core).
	for _, par := range []int{1, 3} {
		p := *s
		p.Parallel = par
		c2, err := Estimate(context.Background(), f, &p)
		if err != nil {
			t.Fatal(err)
		}
		if !sameJSON(t, a, c2) {
			t.Errorf("Parallel %d changed the result:\n%+v\n%+v", par, a, c2)
		}
	}
	s.Seed = 6
	c, err := Estimate(context.Background(), f, s)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.Sweep, c.Sweep) {
		t.Errorf("seeds 5 and 6 gave the same sweep")
	}
}

// TestEstimateProgressAndCancel checks the progress reports and that a
// cancelled context stops Estimate with ctx.Err(), one fit at a time so
// that no other fit reports after the cancel (TestEstimateParallelCancel
// covers fits run at once).
func TestEstimateProgressAndCancel(t *testing.T) {
	f := easy(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last Progress
	calls := 0
	_, err := Estimate(ctx, f, &Settings{MaxSources: 3, Epochs: 2, Seed: 1, Parallel: 1, Progress: func(p Progress) {
		calls++
		last = p
		if p.Fit == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if calls == 0 || last.Fit != 2 || last.Fits != 4*DefaultRestarts || last.Sources != 1 || last.Restart != 2 {
		t.Errorf("%d progress calls, last %+v", calls, last)
	}
}

func TestEstimateErrors(t *testing.T) {
	f := easy(t)
	ctx := context.Background()
	tests := []struct {
		name string
		f    *timeseries.Frame
		s    *Settings
		want error
	}{
		{"nil frame", nil, nil, ica.ErrTooShort},
		{"negative max", f, &Settings{MaxSources: -1}, ErrSettings},
		{"too many sources", f, &Settings{MaxSources: 5}, ica.ErrTooManySources},
		{"negative restarts", f, &Settings{Restarts: -2}, ErrSettings},
		{"negative samples", f, &Settings{Samples: -1}, ErrSettings},
		{"negative epochs", f, &Settings{Epochs: -1}, ErrSettings},
		{"negative steps", f, &Settings{Steps: -1}, ErrSettings},
		{"negative train samples", f, &Settings{TrainSamples: -1}, ErrSettings},
		{"negative principal samples", f, &Settings{PrincipalSamples: -1}, ErrSettings},
		{"negative parallel", f, &Settings{Parallel: -1}, ErrSettings},
		{"NaN threshold", f, &Settings{KLThreshold: math.NaN()}, ErrSettings},
		{"unknown rule", f, &Settings{Rule: 7}, ErrSettings},
		{"sources set", f, &Settings{ICA: &ica.Settings{Sources: 2}}, ErrSettings},
		{"restarts set", f, &Settings{ICA: &ica.Settings{Restarts: 2}}, ErrSettings},
	}
	for _, tc := range tests {
		if _, err := Estimate(ctx, tc.f, tc.s); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// 60 rows make one default segment: one validation block, no spread
	// to compare bounds by and no change of variance for the prior (a
	// count of 0 was returned before this was refused)
	short := make([]float64, 60*2)
	for i := range short {
		short[i] = math.Sin(float64(i) * 0.7)
	}
	one, err := timeseries.New([]string{"a", "b"}, short, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Estimate(ctx, one, nil); !errors.Is(err, ica.ErrTooShort) || !strings.Contains(err.Error(), "60 rows") {
		t.Errorf("one segment: %v, want ErrTooShort naming the 60 rows", err)
	}
	missing, err := timeseries.New([]string{"a", "b"}, []float64{1, 2, math.NaN(), 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Estimate(ctx, missing, nil); !errors.Is(err, ica.ErrMissing) {
		t.Errorf("missing value: %v", err)
	}
}

// TestOneSE checks the rule on per-block bounds built by hand.
func TestOneSE(t *testing.T) {
	// Four blocks; size 3 is best by 0.1 over size 2 with per-block
	// differences {0.1, 0.1, 0.1, 0.1} (standard error 0), so without
	// optimiser noise size 3 wins; with optimiser variance 0.01 (SD 0.1)
	// size 2 is within one standard error.
	rows := [][]float64{
		{-5, -5, -5, -5},
		{-1.1, -1.2, -1.0, -1.3},
		{-1.0, -1.1, -0.9, -1.2},
		nil, // a failed size
	}
	const tol = 1e-12
	k, se := oneSE(rows, 0)
	if k != 3 || se[2] != 0 || se[1] > tol || !math.IsNaN(se[3]) {
		t.Errorf("no optimiser noise: K %d, SE %v; want 3, [.. 0 0 NaN]", k, se)
	}
	if k, _ := oneSE(rows, 0.01); k != 2 {
		t.Errorf("optimiser variance 0.01: K %d, want 2", k)
	}
	if k, _ := oneSE([][]float64{nil, nil}, 0); k != 0 {
		t.Errorf("all failed: K %d, want 0", k)
	}
	// The held-out count is the dimensions the chosen size's best fit
	// uses, when fewer: size 3 chosen, its fit using 2 (or none, which
	// leaves the size: a fit with no active dimension says nothing).
	for _, c := range []struct {
		active      []int
		count, want int
	}{
		{[]int{1, 2, 3, 3}, 3, 3},
		{[]int{1, 2, 2, 3}, 3, 2},
		{[]int{1, 1, 0, 0}, 3, 3},
		{[]int{1, 2, 3, 3}, 1, 1},
	} {
		if got := usedCount(c.count, c.active); got != c.want {
			t.Errorf("usedCount(%d, active %v) = %d, want %d", c.count, c.active, got, c.want)
		}
	}
	// Restart variance: sizes with bounds {1, 3} and {2, 2}, and a NaN
	// restart: the sample variances 2 and 0 pool to 1.
	if v := restartVariance([][]float64{{1, 3}, {2, 2}, {5, math.NaN()}}); math.Abs(v-1) > tol {
		t.Errorf("restart variance %g, want 1", v)
	}
}

// TestRestartVotes: restart 0's sweep prefers size 2, whose fit uses one
// dimension, so it votes 1; restart 1's prefers size 2 using both; restart
// 2's fits all failed.
func TestRestartVotes(t *testing.T) {
	fit := func(blocks, kl []float64) outcome { return outcome{blocks: blocks, kl: kl} }
	out := [][]outcome{
		nil,
		{fit([]float64{-2, -2.1, -1.9}, []float64{1}), fit([]float64{-2, -2.1, -1.9}, []float64{1}), {}},
		{fit([]float64{-1, -1.1, -0.9}, []float64{1.5, 0.01}), fit([]float64{-1, -1.1, -0.9}, []float64{1.5, 0.8}), {}},
	}
	if got, want := restartVotes(out, 0, DefaultKLThreshold), []int{1, 2, 0}; !slices.Equal(got, want) {
		t.Errorf("votes %v, want %v", got, want)
	}
}

func TestVote(t *testing.T) {
	tests := []struct {
		votes []int
		tie   int
		want  int
	}{
		{[]int{2, 2, 2, 2}, 2, 2},
		{[]int{2, 2, 3, 4}, 3, 2},
		{[]int{2, 3, 3, 2}, 3, 3}, // tie, to the KL count
		{[]int{4, 5, 2, 3}, 9, 2}, // tie without the KL count: smallest
	}
	for _, tc := range tests {
		if got := vote(tc.votes, tc.tie); got != tc.want {
			t.Errorf("vote(%v, %d) = %d, want %d", tc.votes, tc.tie, got, tc.want)
		}
	}
}

// TestResultJSON checks the stable field names, and that NaN becomes null.
func TestResultJSON(t *testing.T) {
	r := Result{K: 2, Rule: "vote", Sweep: []SweepRow{{K: 1, Bound: math.NaN(), StdErr: math.NaN(), PerRestart: []float64{math.NaN(), -3}}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"sources":2`, `"rule":"vote"`, `"kl_count"`, `"elbo_count"`, `"agree"`, `"votes"`, `"confidence"`,
		`"max_sources"`, `"kl_threshold"`, `"per_dim_kl"`, `"active_variance"`, `"minka"`, `"eigen_gap"`,
		`"sweep":[{"k":1,"bound":null,"stderr":null,"per_restart":[null,-3],"best_restart":0,"active":0}]`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
}

func TestParseRule(t *testing.T) {
	for _, r := range []Rule{Min, Vote, KLRule, ELBORule} {
		if got, err := ParseRule(r.String()); err != nil || got != r {
			t.Errorf("ParseRule(%q) = %v, %v", r.String(), got, err)
		}
	}
	if _, err := ParseRule("bic"); !errors.Is(err, ErrSettings) {
		t.Errorf("ParseRule(bic): %v", err)
	}
}

// TestEstimateParallelCancel: with fits run at once, progress still
// arrives on the caller's goroutine and cancelling stops every fit.
func TestEstimateParallelCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0 // not synchronised: the race detector checks the goroutine claim
	// Epochs is large so that no fit can end before the cancel is seen: the
	// first progress call cancels, long before the first fit's last epoch.
	_, err := Estimate(ctx, easy(t), &Settings{MaxSources: 3, Epochs: 500, Seed: 1, Parallel: 2, Progress: func(p Progress) {
		calls++
		cancel()
	}})
	if !errors.Is(err, context.Canceled) || calls == 0 {
		t.Errorf("cancelled after %d progress calls: %v", calls, err)
	}
}

// TestEstimateOneSource: a single source seen through a linear mixing in 2
// noisy channels must give 1 (synth needs K >= 1, and the sweep starts at
// K = 1), with the segments taken from a label column.
func TestEstimateOneSource(t *testing.T) {
	ds, err := synth.Generate(&synth.Settings{Sources: 1, Channels: 2, Segments: 20, SegmentLength: 150,
		MixingLayers: 1, Family: synth.SegmentLaplace, SNR: 20, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	f := ds.Combined() // x1, x2, s1 and "segment"
	f, err = f.Exclude("s1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Estimate(context.Background(), f, &Settings{Steps: 1500, Seed: 1, ICA: &ica.Settings{SegmentColumn: "segment"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("K %d kl %d elbo %d votes %v KL %.3f", r.K, r.KLCount, r.ELBOCount, r.Votes, r.PerDimKL)
	if r.K != 1 || r.MaxSources != 2 {
		t.Errorf("estimate %d of at most %d; want 1 of 2", r.K, r.MaxSources)
	}
}

// TestPrincipalComponents checks the whitening of the principal fits: the
// components have identity covariance, and the log-determinant returned is
// that of the map, -½ log det Σ of the channels' covariance (computed here
// independently by gonum's LU-based LogDet).
func TestPrincipalComponents(t *testing.T) {
	// tol: both sides are sums of a few hundred thousand products in
	// float64; agreement to 1e-9 leaves room for rounding, while an error
	// in the map (a transposed eigenvector matrix, a missing scale) is of
	// order one.
	const tol = 1e-9
	p, err := ica.Prepare(easy(t), &ica.Settings{Sources: 4, NoWhiten: true})
	if err != nil {
		t.Fatal(err)
	}
	f := p.All.X.(*timeseries.Windows).Frame()
	n, D := f.Rows(), f.Channels()
	cov := func() *mat.SymDense {
		x := mat.NewDense(n, D, slices.Clone(f.Data()))
		for c := range D {
			col := mat.Col(nil, c, x)
			m := stat.Mean(col, nil)
			for i := range col {
				x.Set(i, c, col[i]-m)
			}
		}
		var s mat.SymDense
		s.SymOuterK(1/float64(n), x.T())
		return &s
	}
	want, _ := mat.LogDet(cov())
	want *= -0.5
	sp, err := channelSpectrum(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sp.whiten(p)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > tol {
		t.Errorf("log-determinant %.12g, want %.12g", got, want)
	}
	after := cov()
	for i := range D {
		for j := range D {
			if w := b2f(i == j); math.Abs(after.At(i, j)-w) > tol {
				t.Fatalf("covariance of the components [%d][%d] = %g, want %g", i, j, after.At(i, j), w)
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestEstimatePrincipal checks the wiring of the principal fits: with
// NoPrincipal none are reported; without it the rule's count is the one
// Estimate gives without it, the fits are made exactly when that count is
// at least 2, leaves at most PrincipalSlack usable channels unexplained
// and the channel fits put at least PrincipalNoiseShare of the weakest
// principal direction into their noise, and the final count is theirs
// exactly when their gain beats the margin. easy has 2 sources in 4 noisy
// channels, where the principal fits count 4 but do not fit better; square
// 2 in 2, both strong, so that the channel fits hide nothing in their
// noise; noise 2 sources in 3 noisy channels, linear, so that the weakest
// principal direction is noise, which one dimension of the principal fits
// encodes: its variance does not change across segments, so it must not
// count; one 1 source in 2 noisy channels, where the check is not made.
func TestEstimatePrincipal(t *testing.T) {
	square, err := synth.Generate(&synth.Settings{Sources: 2, Channels: 2, Segments: 20, SegmentLength: 150,
		MixingLayers: 2, Family: synth.SegmentLaplace, SNR: 20, Seed: 12})
	if err != nil {
		t.Fatal(err)
	}
	noise, err := synth.Generate(&synth.Settings{Sources: 2, Channels: 3, Segments: 20, SegmentLength: 150,
		MixingLayers: 1, Family: synth.SegmentGaussian, SNR: 20, Seed: 12})
	if err != nil {
		t.Fatal(err)
	}
	one, err := synth.Generate(&synth.Settings{Sources: 1, Channels: 2, Segments: 20, SegmentLength: 150,
		MixingLayers: 1, Family: synth.SegmentGaussian, SNR: 20, Seed: 12})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		f       *timeseries.Frame
		consult bool
		want    int // the true count
		still   int // dimensions of the principal fits not counted as stationary
	}{
		{"easy", easy(t), true, 2, 0},
		{"square", square.X, false, 2, 0},
		{"noise", noise.X, true, 2, 1},
		{"one", one.X, false, 1, 0},
	} {
		plain, err := Estimate(context.Background(), tt.f, &Settings{Steps: 2000, Seed: 3, NoPrincipal: true})
		if err != nil {
			t.Fatal(err)
		}
		if plain.Principal != nil {
			t.Errorf("%s with NoPrincipal: %+v", tt.name, plain.Principal)
		}
		r, err := Estimate(context.Background(), tt.f, &Settings{Steps: 2000, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		p := r.Principal
		if p == nil {
			t.Fatalf("%s: no principal fits reported", tt.name)
		}
		t.Logf("%s: rule %d, %+v", tt.name, plain.K, *p)
		if p.RuleCount != plain.K {
			t.Errorf("%s: rule count %d, %d with NoPrincipal", tt.name, p.RuleCount, plain.K)
		}
		near := p.RuleCount >= 2 && p.RuleCount >= r.MaxSources-PrincipalSlack
		if near == math.IsNaN(p.NoiseShare) || p.Consulted != (near && p.NoiseShare >= PrincipalNoiseShare) || p.Consulted != tt.consult {
			t.Errorf("%s: consulted %v with rule count %d of %d channels and noise share %g", tt.name, p.Consulted, p.RuleCount, r.MaxSources, p.NoiseShare)
		}
		if r.K != tt.want || p.Stationary != tt.still {
			t.Errorf("%s: count %d with %d stationary dimensions, want %d and %d", tt.name, r.K, p.Stationary, tt.want, tt.still)
		}
		if !p.Consulted {
			if !math.IsNaN(p.Bound) || p.Chosen || r.K != plain.K || p.Skipped == "" {
				t.Errorf("%s: not consulted, yet %+v, count %d", tt.name, p, r.K)
			}
			continue
		}
		if math.IsNaN(p.Bound) || math.IsNaN(p.ChannelsBound) || !(p.Margin >= 0) || len(p.PerDimKL) != r.MaxSources || len(p.PerDimSpread) != r.MaxSources {
			t.Fatalf("%s: principal fits not reported: %+v", tt.name, p)
		}
		if c := principalCount(p.PerDimKL, p.PerDimSpread, DefaultKLThreshold); c != p.KLCount || principalCount(p.PerDimKL, nil, DefaultKLThreshold)-c != p.Stationary {
			t.Errorf("%s: count %d and %d stationary reported for %+v", tt.name, p.KLCount, p.Stationary, p)
		}
		want := p.RuleCount
		if p.Chosen {
			want = p.KLCount
		}
		if r.K != want || p.Chosen != (p.Gain > p.Margin && p.KLCount > 0) {
			t.Errorf("%s: count %d, principal %+v", tt.name, r.K, p)
		}
	}
}

// TestPrincipalCount: dimensions count when their KL exceeds the threshold
// and PrincipalKLShare of the median of those, and, given spreads, when
// their variance changes across segments by StationarySpread.
func TestPrincipalCount(t *testing.T) {
	for _, tt := range []struct {
		kl, spread []float64
		want       int
	}{
		{[]float64{0.90, 0.87, 0.85, 0.83, 0.79, 0.113}, nil, 5}, // a whitened noise direction
		{[]float64{2.94, 2.04, 1.82, 0.513}, nil, 3},             // a curvature direction
		{[]float64{1.02, 0.95, 0.94, 0.92, 0.88}, nil, 5},        // five sources
		{[]float64{1.25, 1.09, 1.03, 0.90, 0.44}, nil, 5},        // a weak source, 0.43 of the median
		{[]float64{1.2, 0.01, 0.002}, nil, 1},                    // collapsed dimensions
		{[]float64{0.01, 0.002}, nil, 0},
		// a stationary direction, encoded as strongly as the sources
		{[]float64{1.19, 1.19, 1.15, 1.08}, []float64{0.55, 0.69, 0.86, 0.08}, 3},
		{[]float64{1.19, 1.19, 1.15, 1.08}, []float64{0.55, 0.69, 0.86, StationarySpread}, 4},
		// the spread of a dimension that does not count on KL does not matter
		{[]float64{1.2, 0.01}, []float64{0.5, 0.9}, 1},
	} {
		if got := principalCount(tt.kl, tt.spread, DefaultKLThreshold); got != tt.want {
			t.Errorf("principalCount(%v, %v) = %d, want %d", tt.kl, tt.spread, got, tt.want)
		}
	}
}

// TestEstimateTrainSamples checks the wiring of Settings.TrainSamples: with
// 5 the fits train on the importance-weighted bound, which changes the
// bounds of the sweep, and the same seed still gives the same result.
func TestEstimateTrainSamples(t *testing.T) {
	f := easy(t)
	s := Settings{MaxSources: 2, Steps: 300, Seed: 3, NoPrincipal: true}
	elbo, err := Estimate(context.Background(), f, &s)
	if err != nil {
		t.Fatal(err)
	}
	s.TrainSamples = 5
	a, err := Estimate(context.Background(), f, &s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Estimate(context.Background(), f, &s)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, a, b) {
		t.Errorf("TrainSamples 5: two runs with one seed differ")
	}
	for k, row := range a.Sweep {
		if row.Bound == elbo.Sweep[k].Bound {
			t.Errorf("K = %d: bound %v with TrainSamples 5, the same as with the ELBO", row.K, row.Bound)
		}
	}
	t.Logf("bounds with 5 samples %v %v, with the ELBO %v %v", a.Sweep[0].Bound, a.Sweep[1].Bound, elbo.Sweep[0].Bound, elbo.Sweep[1].Bound)
}

// TestSpread: a dimension whose log-variance is the same in every segment
// has spread 0; one whose log-variances scatter exactly as much as
// sampling alone gives (standard deviation sqrt(2/n) with n rows per
// segment) also 0; one that changes by ±0.5 has sqrt(0.5² - 2/n).
// Segments with fewer than two rows are left out.
func TestSpread(t *testing.T) {
	const n = 100
	s := math.Sqrt(2.0 / n)
	logVar := [][]float64{{0, s, 0.5}, {0, -s, -0.5}, {0, s, 0.5}, {0, -s, -0.5}, {0, 9, 9}}
	got := spread(logVar, []int{n, n, n, n, 1})
	want := []float64{0, 0, math.Sqrt(0.25 - 2.0/n)}
	if len(got) != len(want) {
		t.Fatalf("spread %v, want %v", got, want)
	}
	for k := range want {
		if math.Abs(got[k]-want[k]) > 1e-12 {
			t.Errorf("spread of dimension %d = %g, want %g", k, got[k], want[k])
		}
	}
	if got := spread(logVar, []int{n, 1, 0, 0, 0}); got != nil {
		t.Errorf("spread over one segment = %v, want nil", got)
	}
}

// TestNoiseShare: the share of the weakest principal direction's variance
// that a per-channel noise accounts for, along an axis and along a
// diagonal.
func TestNoiseShare(t *testing.T) {
	logVar := []float64{math.Log(0.25), math.Log(0.5), 7} // the last is not a channel
	for _, tt := range []struct {
		v    []float64 // weakest direction
		want float64
	}{
		{[]float64{1, 0}, 0.25 / 2},
		{[]float64{math.Sqrt(0.5), -math.Sqrt(0.5)}, (0.5*0.25 + 0.5*0.5) / 2},
	} {
		sp := &spectrum{mean: make([]float64, 2), vals: []float64{2, 8}}
		sp.vecs = *mat.NewDense(2, 2, []float64{tt.v[0], -tt.v[1], tt.v[1], tt.v[0]})
		if got := sp.noiseShare(logVar); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("noise share along %v = %g, want %g", tt.v, got, tt.want)
		}
	}
}
