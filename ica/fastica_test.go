package ica_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vica-dev/vica/ica"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// linearMixture returns rows×k non-Gaussian sources (alternately Laplace and
// uniform, unit variance), a d×k mixing with entries uniform on [-1, 1], and
// the mixed data X = S·Aᵀ + offset.
func linearMixture(rng *rand.Rand, rows, k, d int) (src, a, x *mat.Dense) {
	src = mat.NewDense(rows, k, nil)
	for t := 0; t < rows; t++ {
		for j := 0; j < k; j++ {
			var v float64
			if j%2 == 0 {
				v = rng.ExpFloat64() / math.Sqrt2
				if rng.IntN(2) == 0 {
					v = -v
				}
			} else {
				v = (2*rng.Float64() - 1) * math.Sqrt(3)
			}
			src.Set(t, j, v)
		}
	}
	a = mat.NewDense(d, k, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < k; j++ {
			a.Set(i, j, 2*rng.Float64()-1)
		}
	}
	x = mat.NewDense(rows, d, nil)
	x.Mul(src, a.T())
	for t := 0; t < rows; t++ {
		for i := 0; i < d; i++ {
			x.Set(t, i, x.At(t, i)+float64(i+1))
		}
	}
	return src, a, x
}

func columns(m *mat.Dense) [][]float64 {
	_, c := m.Dims()
	out := make([][]float64, c)
	for j := range out {
		out[j] = mat.Col(nil, j, m)
	}
	return out
}

func TestFastICARecovers(t *testing.T) {
	// With 5000 samples of Laplace and uniform sources, FastICA's error is
	// of order 1/sqrt(T): MCC above 0.99 and Amari below 0.05 leave a wide
	// margin (typical values: MCC 0.999, Amari 0.01).
	const minMCC, maxAmari = 0.99, 0.05
	tests := []struct {
		name    string
		k, d, n int
		seed    uint64
	}{
		{"3 sources 3 channels", 3, 3, 0, 1},
		{"3 sources 3 channels seed 2", 3, 3, 3, 2},
		{"3 sources 5 channels", 3, 5, 3, 3},
		{"4 sources 4 channels", 4, 4, 0, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(tc.seed, 99))
			src, a, x := linearMixture(rng, 5000, tc.k, tc.d)
			res, err := ica.FastICA(x, tc.n, nil, rng)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Converged {
				t.Errorf("not converged in %d iterations", res.Iterations)
			}
			if r, c := res.Sources.Dims(); r != 5000 || c != tc.k {
				t.Fatalf("sources %dx%d", r, c)
			}
			if res.Rank != tc.k {
				t.Errorf("rank %d, want %d", res.Rank, tc.k)
			}
			m, err := ica.MCC(columns(src), columns(res.Sources), ica.Pearson)
			if err != nil {
				t.Fatal(err)
			}
			if m.MCC < minMCC {
				t.Errorf("MCC %g < %g", m.MCC, minMCC)
			}
			if am := ica.Amari(res.Unmixing, a); am > maxAmari {
				t.Errorf("Amari %g > %g", am, maxAmari)
			}
			// Sources have mean 0 and variance 1 (population), and are the
			// stated function of X.
			const tol = 1e-9
			for j, col := range columns(res.Sources) {
				mean, sd := stat.PopMeanStdDev(col, nil)
				if math.Abs(mean) > tol || math.Abs(sd-1) > 1e-6 {
					t.Errorf("source %d mean %g sd %g", j+1, mean, sd)
				}
			}
			var xc, s mat.Dense
			xc.Apply(func(_, j int, v float64) float64 { return v - res.Mean[j] }, x)
			s.Mul(&xc, res.Unmixing.T())
			if !mat.EqualApprox(&s, res.Sources, tol) {
				t.Error("Sources != (X - Mean)·Unmixingᵀ")
			}
			// X is rank k, so the k components reconstruct it exactly.
			var back mat.Dense
			back.Mul(res.Sources, res.Mixing.T())
			back.Apply(func(_, j int, v float64) float64 { return v + res.Mean[j] }, &back)
			if !mat.EqualApprox(&back, x, 1e-8) {
				t.Error("Sources·Mixingᵀ + Mean != X")
			}
		})
	}
}

func TestFastICADeterministic(t *testing.T) {
	_, _, x := linearMixture(rand.New(rand.NewPCG(1, 1)), 1000, 3, 3)
	r1, err := ica.FastICA(x, 0, nil, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := ica.FastICA(x, 0, nil, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(r1.Unmixing, r2.Unmixing) || r1.Iterations != r2.Iterations {
		t.Error("same rng state gave different results")
	}
}

func TestFastICARankDeficient(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	_, _, x3 := linearMixture(rng, 2000, 3, 3)
	// A fourth channel that is the sum of the first two (a derived lead).
	x := mat.NewDense(2000, 4, nil)
	for t := 0; t < 2000; t++ {
		for j := 0; j < 3; j++ {
			x.Set(t, j, x3.At(t, j))
		}
		x.Set(t, 3, x3.At(t, 0)+x3.At(t, 1))
	}
	res, err := ica.FastICA(x, 0, nil, rng)
	if err != nil {
		t.Fatal(err)
	}
	if _, c := res.Sources.Dims(); res.Rank != 3 || c != 3 {
		t.Errorf("rank %d, %d components; want 3 and 3", res.Rank, c)
	}
	if _, err := ica.FastICA(x, 4, nil, rng); !errors.Is(err, ica.ErrRankDeficient) {
		t.Errorf("4 components of rank-3 data: %v", err)
	}
	constant := mat.NewDense(10, 2, nil)
	if _, err := ica.FastICA(constant, 0, nil, rng); !errors.Is(err, ica.ErrRankDeficient) {
		t.Errorf("constant data: %v", err)
	}
}

func TestFastICAErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	_, _, x := linearMixture(rng, 100, 2, 2)
	withNaN := mat.DenseCopyOf(x)
	withNaN.Set(5, 1, math.NaN())
	tests := []struct {
		name string
		x    *mat.Dense
		n    int
		s    *ica.FastICASettings
		want error
	}{
		{"NaN", withNaN, 0, nil, ica.ErrNonFinite},
		{"too many components", x, 3, nil, ica.ErrSettings},
		{"negative components", x, -1, nil, ica.ErrSettings},
		{"too few rows", mat.NewDense(2, 2, []float64{1, 2, 3, 4}), 0, nil, ica.ErrTooFewRows},
		{"bad tolerance", x, 0, &ica.FastICASettings{Tol: -1}, ica.ErrSettings},
		{"nil data", nil, 0, nil, ica.ErrShape},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ica.FastICA(tc.x, tc.n, tc.s, rng); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func ExampleFastICA() {
	rng := rand.New(rand.NewPCG(1, 2))
	// Two independent non-Gaussian sources: a uniform one and a square wave
	// with jitter, mixed linearly.
	const rows = 2000
	src := mat.NewDense(rows, 2, nil)
	for t := 0; t < rows; t++ {
		src.Set(t, 0, 2*rng.Float64()-1)
		sq := 1.0
		if (t/50)%2 == 0 {
			sq = -1
		}
		src.Set(t, 1, sq+0.1*rng.NormFloat64())
	}
	a := mat.NewDense(2, 2, []float64{1, 0.6, 0.4, 1})
	var x mat.Dense
	x.Mul(src, a.T())

	res, err := ica.FastICA(&x, 0, nil, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := ica.MCC([][]float64{mat.Col(nil, 0, src), mat.Col(nil, 1, src)},
		[][]float64{mat.Col(nil, 0, res.Sources), mat.Col(nil, 1, res.Sources)}, ica.Pearson)
	fmt.Printf("converged %v, MCC > 0.99: %v, Amari < 0.05: %v\n", res.Converged, m.MCC > 0.99, ica.Amari(res.Unmixing, a) < 0.05)
	// Output: converged true, MCC > 0.99: true, Amari < 0.05: true
}

func BenchmarkFastICA(b *testing.B) {
	for _, sz := range []struct{ rows, d int }{{10000, 5}, {40000, 5}} {
		rng := rand.New(rand.NewPCG(1, 1))
		_, _, x := linearMixture(rng, sz.rows, sz.d, sz.d)
		b.Run(fmt.Sprintf("rows=%d/cols=%d", sz.rows, sz.d), func(b *testing.B) {
			for b.Loop() {
				if _, err := ica.FastICA(x, 0, nil, rand.New(rand.NewPCG(2, 2))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
