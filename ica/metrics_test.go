package ica_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vica-dev/vica/ica"
	"github.com/vica-dev/vica/timeseries"
	"gonum.org/v1/gonum/mat"
)

func laplaceColumns(rng *rand.Rand, k, rows int) [][]float64 {
	cols := make([][]float64, k)
	for i := range cols {
		cols[i] = make([]float64, rows)
		for t := range cols[i] {
			v := rng.ExpFloat64()
			if rng.IntN(2) == 0 {
				v = -v
			}
			cols[i][t] = v
		}
	}
	return cols
}

func TestMCCPermutationSignScale(t *testing.T) {
	// A permuted, sign-flipped, scaled and shifted copy of the truth is a
	// perfect recovery: MCC 1 up to rounding in sums of 2000 products.
	const tol = 1e-12
	rng := rand.New(rand.NewPCG(3, 4))
	truth := laplaceColumns(rng, 5, 2000)
	perm := []int{3, 0, 4, 1, 2} // est[j] = truth[perm[j]]
	est := make([][]float64, 5)
	for j, p := range perm {
		sign := 1.0
		if j%2 == 0 {
			sign = -1
		}
		est[j] = make([]float64, 2000)
		for tt, v := range truth[p] {
			est[j][tt] = sign*float64(j+2)*v + 7
		}
	}
	for _, method := range []ica.Correlation{ica.Pearson, ica.Spearman} {
		t.Run(method.String(), func(t *testing.T) {
			res, err := ica.MCC(truth, est, method)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.MCC-1) > tol {
				t.Errorf("MCC %.15f, want 1", res.MCC)
			}
			for j, p := range perm {
				if res.Pairs[p] != j {
					t.Errorf("source %d matched to %d, want %d", p, res.Pairs[p], j)
				}
				want := 1.0
				if j%2 == 0 {
					want = -1
				}
				if math.Abs(res.Corr[p]-want) > tol {
					t.Errorf("source %d corr %g, want %g", p, res.Corr[p], want)
				}
			}
			if res.Rows != 2000 || len(res.Unmatched) != 0 {
				t.Errorf("rows %d, unmatched %v", res.Rows, res.Unmatched)
			}
		})
	}
}

func TestMCCKnownValues(t *testing.T) {
	// Values derived by hand: x = 1,2,3,4 against y = 1,3,2,4 has centred
	// cross-product 4 and sums of squares 5, so r = 0.8 (ranks are the
	// values themselves, so Spearman is also 0.8). With ties, x = 1,2,2,3
	// has ranks 1,2.5,2.5,4: r = 4.5/sqrt(4.5·5) = 0.9486832980505138, as
	// scipy.stats.spearmanr also gives.
	const tol = 1e-14
	tests := []struct {
		name   string
		x, y   []float64
		method ica.Correlation
		want   float64
	}{
		{"pearson", []float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}, ica.Pearson, 0.8},
		{"spearman", []float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}, ica.Spearman, 0.8},
		{"spearman ties", []float64{1, 2, 2, 3}, []float64{1, 2, 3, 4}, ica.Spearman, 0.9486832980505138},
		{"spearman monotone", []float64{1, 2, 3, 4}, []float64{math.Exp(1), math.Exp(2), math.Exp(3), math.Exp(4)}, ica.Spearman, 1},
		{"negative", []float64{1, 2, 3, 4}, []float64{4, 2, 3, 1}, ica.Pearson, 0.8},
		{"constant estimate", []float64{1, 2, 3, 4}, []float64{2, 2, 2, 2}, ica.Pearson, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ica.MCC([][]float64{tc.x}, [][]float64{tc.y}, tc.method)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.MCC-tc.want) > tol {
				t.Errorf("MCC %.16f, want %.16f", res.MCC, tc.want)
			}
		})
	}
	// Pearson forgives no nonlinearity: exp of a uniform ramp is below 1.
	x := make([]float64, 100)
	y := make([]float64, 100)
	for i := range x {
		x[i] = float64(i) / 20
		y[i] = math.Exp(x[i])
	}
	p, _ := ica.MCC([][]float64{x}, [][]float64{y}, ica.Pearson)
	s, _ := ica.MCC([][]float64{x}, [][]float64{y}, ica.Spearman)
	if !(p.MCC < 0.95 && s.MCC == 1) {
		t.Errorf("exp ramp: Pearson %g (want < 0.95), Spearman %g (want 1)", p.MCC, s.MCC)
	}
}

func TestMCCIndependent(t *testing.T) {
	// For independent sources the sample correlations are about N(0, 1/T)
	// with T = 5000, sd 0.014; the best matching picks the largest of 25,
	// rarely above 3.5 sd = 0.05.
	const limit = 0.05
	rng := rand.New(rand.NewPCG(5, 6))
	truth := laplaceColumns(rng, 5, 5000)
	est := laplaceColumns(rng, 5, 5000)
	for _, method := range []ica.Correlation{ica.Pearson, ica.Spearman} {
		res, err := ica.MCC(truth, est, method)
		if err != nil {
			t.Fatal(err)
		}
		if res.MCC > limit {
			t.Errorf("%v: MCC %g of independent data exceeds %g", method, res.MCC, limit)
		}
	}
}

func TestMCCMissingRows(t *testing.T) {
	const tol = 1e-12
	rng := rand.New(rand.NewPCG(7, 8))
	truth := laplaceColumns(rng, 3, 500)
	est := make([][]float64, 3)
	for i := range est {
		est[i] = slices.Clone(truth[2-i])
	}
	// A window of 10 leaves the first 9 estimated rows missing; one truth
	// value is missing and one estimate infinite. Garbage in the rows
	// dropped must not matter.
	for i := range est {
		for tt := 0; tt < 9; tt++ {
			est[i][tt] = math.NaN()
		}
	}
	truth[1][100] = math.NaN()
	est[0][100] = 1e6
	est[2][200] = math.Inf(1)
	truth[0][200] = -1e6
	res, err := ica.MCC(truth, est, ica.Pearson)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 500-9-2 {
		t.Errorf("rows %d, want %d", res.Rows, 500-9-2)
	}
	if math.Abs(res.MCC-1) > tol || !slices.Equal(res.Pairs, []int{2, 1, 0}) {
		t.Errorf("MCC %g pairs %v", res.MCC, res.Pairs)
	}
}

func TestMCCUnequalCounts(t *testing.T) {
	const tol = 1e-12
	rng := rand.New(rand.NewPCG(9, 10))
	truth := laplaceColumns(rng, 3, 1000)
	noise := laplaceColumns(rng, 2, 1000)

	// More estimates than sources: the extra (noise) ones stay unmatched.
	more := [][]float64{noise[0], truth[2], truth[0], noise[1], truth[1]}
	res, err := ica.MCC(truth, more, ica.Pearson)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.MCC-1) > tol || !slices.Equal(res.Pairs, []int{2, 4, 1}) || !slices.Equal(res.Unmatched, []int{0, 3}) {
		t.Errorf("more: MCC %g pairs %v unmatched %v", res.MCC, res.Pairs, res.Unmatched)
	}

	// Fewer: the missing source gets -1 and NaN, and MCC averages the
	// matched pairs.
	fewer := [][]float64{truth[2], truth[0]}
	res, err = ica.MCC(truth, fewer, ica.Spearman)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.MCC-1) > tol || !slices.Equal(res.Pairs, []int{1, -1, 0}) || !math.IsNaN(res.Corr[1]) {
		t.Errorf("fewer: MCC %g pairs %v corr %v", res.MCC, res.Pairs, res.Corr)
	}
}

func TestMCCErrors(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name       string
		truth, est [][]float64
		method     ica.Correlation
		want       error
	}{
		{"no truth", nil, [][]float64{{1, 2, 3}}, ica.Pearson, ica.ErrNoComponents},
		{"no estimates", [][]float64{{1, 2, 3}}, [][]float64{}, ica.Pearson, ica.ErrNoComponents},
		{"lengths", [][]float64{{1, 2, 3}}, [][]float64{{1, 2}}, ica.Pearson, ica.ErrShape},
		{"ragged truth", [][]float64{{1, 2, 3}, {1, 2}}, [][]float64{{1, 2, 3}}, ica.Pearson, ica.ErrShape},
		{"too few rows", [][]float64{{1, 2, 3, 4}}, [][]float64{{nan, 2, 3, nan}}, ica.Pearson, ica.ErrTooFewRows},
		{"method", [][]float64{{1, 2, 3}}, [][]float64{{1, 2, 3}}, ica.Correlation(7), ica.ErrSettings},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ica.MCC(tc.truth, tc.est, tc.method); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMCCFrames(t *testing.T) {
	truth, _ := timeseries.New([]string{"s1", "s2"}, []float64{1, 4, 2, 3, 3, 2, 4, 1.5}, nil)
	est, _ := timeseries.New([]string{"a", "b"}, []float64{-4, 1, -3, 3, -2, 2, -1.5, 4}, nil)
	// est a = -s2, est b = s1 with rows 2 and 3 swapped: r = 0.8 (see
	// TestMCCKnownValues), so MCC = (1 + 0.8)/2.
	res, err := ica.MCCFrames(truth, est, ica.Pearson)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.MCC-0.9) > 1e-14 || !slices.Equal(res.Pairs, []int{1, 0}) {
		t.Errorf("MCC %g pairs %v", res.MCC, res.Pairs)
	}
	short, _ := timeseries.New([]string{"a"}, []float64{1, 2, 3}, nil)
	if _, err := ica.MCCFrames(truth, short, ica.Pearson); !errors.Is(err, ica.ErrShape) {
		t.Errorf("rows differ: %v", err)
	}
}

func TestAmari(t *testing.T) {
	// Expected values: 0 for any scaled permutation (definition); for
	// P = [[1 1] [0 1]] the row terms are 1 and 0, the column terms 0 and
	// 1, so the distance is 2/(2·2·1) = 0.5 (derived by hand).
	const tol = 1e-12
	a := mat.NewDense(3, 3, []float64{0.2, 1, -0.5, 0.7, 0.1, 0.3, -1, 0.4, 0.9})
	var ainv mat.Dense
	if err := ainv.Inverse(a); err != nil {
		t.Fatal(err)
	}
	scaledPerm := mat.NewDense(3, 3, []float64{0, -2, 0, 0, 0, 0.5, 3, 0, 0})
	var wPerm mat.Dense
	wPerm.Mul(scaledPerm, &ainv)
	eye := mat.NewDense(3, 3, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1})
	tests := []struct {
		name string
		w, a *mat.Dense
		want float64
	}{
		{"identity", eye, eye, 0},
		{"inverse", &ainv, a, 0},
		{"scaled permutation", &wPerm, a, 0},
		{"shear", mat.NewDense(2, 2, []float64{1, 1, 0, 1}), mat.NewDense(2, 2, []float64{1, 0, 0, 1}), 0.5},
		{"all equal", mat.NewDense(2, 2, []float64{1, 1, 1, 1}), mat.NewDense(2, 2, []float64{1, 0, 0, 1}), 1},
		{"lost source", mat.NewDense(2, 2, []float64{1, 0, 0, 0}), mat.NewDense(2, 2, []float64{1, 0, 0, 1}), 0.5},
		{"one", mat.NewDense(1, 1, []float64{3}), mat.NewDense(1, 1, []float64{2}), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ica.Amari(tc.w, tc.a); math.Abs(got-tc.want) > tol {
				t.Errorf("Amari %g, want %g", got, tc.want)
			}
		})
	}
}

func ExampleMCC() {
	truth := [][]float64{{1, 2, 3, 4, 5}, {2, -1, 0, 1, 3}}
	est := [][]float64{{-4, 2, 0, -2, -6}, {10, 20, 30, 40, 50}} // -2×s2, 10×s1
	res, err := ica.MCC(truth, est, ica.Pearson)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("MCC %.3f, pairs %v, signs %+.0f\n", res.MCC, res.Pairs, res.Corr)
	// Output: MCC 1.000, pairs [1 0], signs [+1 -1]
}
