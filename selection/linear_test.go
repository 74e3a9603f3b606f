package selection

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vica-dev/vica/timeseries"
)

// lowRank returns n rows of d channels x = A·s + e with k standard normal
// sources, a random d×k mixing A and Gaussian noise of standard deviation
// sd per channel.
func lowRank(t *testing.T, n, d, k int, sd float64, seed uint64) *timeseries.Frame {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	a := make([]float64, d*k)
	for c := range d {
		row := a[c*k : (c+1)*k]
		var ss float64
		for j := range row {
			row[j] = rng.NormFloat64()
			ss += row[j] * row[j]
		}
		for j := range row {
			row[j] /= math.Sqrt(ss)
		}
	}
	data := make([]float64, n*d)
	s := make([]float64, k)
	for r := range n {
		for j := range s {
			s[j] = rng.NormFloat64()
		}
		for c := range d {
			v := sd * rng.NormFloat64()
			for j := range k {
				v += a[c*k+j] * s[j]
			}
			data[r*d+c] = v
		}
	}
	names := make([]string, d)
	for c := range names {
		names[c] = string(rune('a' + c))
	}
	f, err := timeseries.New(names, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestLinearBaselines checks both baselines on linear Gaussian data of
// known rank, where probabilistic PCA is the true model (isotropic noise): Minka's evidence
// and the eigenvalue gap must both find the rank. The noise (sd 0.1 against
// a signal of variance 1 per channel) puts the signal
// eigenvalues two orders of magnitude above the noise floor.
func TestLinearBaselines(t *testing.T) {
	tests := []struct {
		n, d, k int
	}{
		{2000, 6, 1},
		{2000, 6, 3},
		{2000, 8, 5},
		{500, 10, 2},
	}
	for _, tc := range tests {
		f := lowRank(t, tc.n, tc.d, tc.k, 0.1, uint64(tc.d*10+tc.k))
		spec, err := Spectrum(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(spec) != tc.d {
			t.Fatalf("%d eigenvalues for %d channels", len(spec), tc.d)
		}
		// The eigenvalues of a correlation matrix sum to its trace, d.
		const tolTrace = 1e-9
		var sum float64
		for i, v := range spec {
			sum += v
			if i > 0 && v > spec[i-1] {
				t.Errorf("spectrum %v not in decreasing order", spec)
			}
		}
		if math.Abs(sum-float64(tc.d)) > tolTrace {
			t.Errorf("eigenvalues sum to %g, want %d", sum, tc.d)
		}
		if got, err := Minka(spec, tc.n); err != nil || got != tc.k {
			t.Errorf("n=%d d=%d k=%d: Minka %d (%v)", tc.n, tc.d, tc.k, got, err)
		}
		if got, err := EigenGap(spec); err != nil || got != tc.k {
			t.Errorf("n=%d d=%d k=%d: EigenGap %d (%v)", tc.n, tc.d, tc.k, got, err)
		}
	}
}

// TestMinkaIsotropic: on pure isotropic noise the evidence prefers the
// smallest model Minka allows (k = 1), since every added component pays
// the Laplace penalty and gains almost nothing; the eigengap, which has no
// penalty, answers anything.
func TestMinkaIsotropic(t *testing.T) {
	f := lowRank(t, 5000, 6, 0, 1, 9)
	spec, err := Spectrum(f)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Minka(spec, f.Rows()); err != nil || got != 1 {
		t.Errorf("isotropic noise: Minka %d (%v), want 1", got, err)
	}
}

func TestLinearErrors(t *testing.T) {
	if _, err := Spectrum(nil); !errors.Is(err, ErrLinear) {
		t.Errorf("nil frame: %v", err)
	}
	constant, err := timeseries.New([]string{"a", "b"}, []float64{1, 2, 1, 2, 1, 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Spectrum(constant); !errors.Is(err, ErrLinear) {
		t.Errorf("constant channels: %v", err)
	}
	missing, err := timeseries.New([]string{"a"}, []float64{1, math.NaN(), 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Spectrum(missing); !errors.Is(err, ErrLinear) {
		t.Errorf("missing value: %v", err)
	}
	if _, err := Minka(nil, 10); !errors.Is(err, ErrLinear) {
		t.Errorf("empty spectrum: %v", err)
	}
	if _, err := EigenGap([]float64{0, 0}); !errors.Is(err, ErrLinear) {
		t.Errorf("zero spectrum: %v", err)
	}
	if k, err := Minka([]float64{1}, 10); k != 1 || err != nil {
		t.Errorf("one channel: Minka %d (%v), want 1", k, err)
	}
	if k, err := EigenGap([]float64{1}); k != 1 || err != nil {
		t.Errorf("one channel: EigenGap %d (%v), want 1", k, err)
	}
}

// TestMinkaLogEvidence compares the log evidence with values computed by
// an independent transcription, in plain Python with math.lgamma, of
// scikit-learn's _assess_dimension (sklearn/decomposition/_pca.py), for a
// made-up spectrum and 100 samples.
func TestMinkaLogEvidence(t *testing.T) {
	const tol = 1e-9 // relative; both sum the same terms in float64
	spec := []float64{3.1, 1.7, 0.6, 0.3, 0.2, 0.1}
	want := []float64{64.80880665022528, 129.33073887818767, 146.07456996724005, 148.41296386390383, 149.8737199773052}
	for k := 1; k <= 5; k++ {
		got := minkaLogEvidence(spec, k, 100)
		if math.Abs(got-want[k-1]) > tol*math.Abs(want[k-1]) {
			t.Errorf("k=%d: log evidence %.15g, want %.15g", k, got, want[k-1])
		}
	}
	if k, err := Minka(spec, 100); err != nil || k != 5 {
		t.Errorf("Minka %d (%v), want 5 (the largest evidence above)", k, err)
	}
}
