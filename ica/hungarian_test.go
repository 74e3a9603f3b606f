package ica_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vica-dev/vica/ica"
)

// bruteForce returns the largest total weight of a one-to-one matching of
// min(rows, cols) pairs, by trying every injection of the smaller side.
func bruteForce(w [][]float64) float64 {
	rows, cols := len(w), len(w[0])
	at := func(i, j int) float64 { return w[i][j] }
	if rows > cols {
		rows, cols = cols, rows
		at = func(i, j int) float64 { return w[j][i] }
	}
	best := math.Inf(-1)
	used := make([]bool, cols)
	var rec func(i int, sum float64)
	rec = func(i int, sum float64) {
		if i == rows {
			best = max(best, sum)
			return
		}
		for j := 0; j < cols; j++ {
			if !used[j] {
				used[j] = true
				rec(i+1, sum+at(i, j))
				used[j] = false
			}
		}
	}
	rec(0, 0)
	return best
}

func TestHungarianBruteForce(t *testing.T) {
	// Totals are sums of at most 6 weights in [-5, 5]: agreement to 1e-12 is
	// rounding only.
	const tol = 1e-12
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][2]int{{1, 1}, {2, 2}, {6, 6}, {6, 6}, {6, 6}, {4, 6}, {6, 4}, {1, 5}, {5, 1}, {3, 7}}
	for trial, sh := range shapes {
		for rep := 0; rep < 20; rep++ {
			w := make([][]float64, sh[0])
			for i := range w {
				w[i] = make([]float64, sh[1])
				for j := range w[i] {
					w[i][j] = 10*rng.Float64() - 5
					if rep%4 == 0 { // many ties
						w[i][j] = math.Round(w[i][j])
					}
				}
			}
			match, err := ica.Hungarian(w)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int]bool{}
			var total float64
			matched := 0
			for i, j := range match {
				if j < 0 {
					continue
				}
				if seen[j] || j >= sh[1] {
					t.Fatalf("shape %v: invalid matching %v", sh, match)
				}
				seen[j] = true
				total += w[i][j]
				matched++
			}
			if matched != min(sh[0], sh[1]) {
				t.Fatalf("shape %v: %d pairs matched", sh, matched)
			}
			if want := bruteForce(w); math.Abs(total-want) > tol {
				t.Errorf("trial %d shape %v: total %g, brute force %g", trial, sh, total, want)
			}
		}
	}
}

func TestHungarianErrors(t *testing.T) {
	if _, err := ica.Hungarian([][]float64{{1, 2}, {3}}); !errors.Is(err, ica.ErrShape) {
		t.Errorf("ragged: %v", err)
	}
	if _, err := ica.Hungarian([][]float64{{1, math.NaN()}}); !errors.Is(err, ica.ErrNonFinite) {
		t.Errorf("NaN: %v", err)
	}
	if m, err := ica.Hungarian(nil); err != nil || len(m) != 0 {
		t.Errorf("empty: %v %v", m, err)
	}
}

func ExampleHungarian() {
	w := [][]float64{
		{0.1, 0.9, 0.2},
		{0.8, 0.7, 0.1},
		{0.3, 0.2, 0.6},
	}
	match, _ := ica.Hungarian(w)
	fmt.Println(match)
	// Output: [1 0 2]
}

func BenchmarkHungarian(b *testing.B) {
	for _, n := range []int{10, 100} {
		rng := rand.New(rand.NewPCG(1, 1))
		w := make([][]float64, n)
		for i := range w {
			w[i] = make([]float64, n)
			for j := range w[i] {
				w[i][j] = rng.Float64()
			}
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := ica.Hungarian(w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
