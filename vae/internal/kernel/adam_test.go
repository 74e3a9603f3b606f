package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdam checks the vector Adam step against the scalar formula, bit for
// bit, on lengths with and without a tail, with gradients spanning many
// orders of magnitude (and zeros, and a zero second moment).
func TestAdam(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	k := &AdamConsts{GradScale: 0.7, Beta1: 0.9, C1: 0.1, Beta2: 0.999, C2: 0.001, LR: 1e-3 / 0.1, BiasCorr2: float32(math.Sqrt(0.001)), Eps: 1e-8}
	for _, n := range []int{0, 1, 7, 8, 9, 64, 1001} {
		p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range p {
			p[i] = float32(rng.NormFloat64())
			g[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(16)-8)))
			m[i] = float32(rng.NormFloat64() * 1e-3)
			v[i] = float32(rng.Float64() * 1e-4)
		}
		if n > 2 {
			g[1], v[1], m[1] = 0, 0, 0
		}
		wp, wm, wv := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		for i := range wp {
			gi := g[i] * k.GradScale
			mi := float32(k.Beta1*wm[i]) + float32(k.C1*gi)
			vi := float32(k.Beta2*wv[i]) + float32(float32(k.C2*gi)*gi)
			wm[i], wv[i] = mi, vi
			wp[i] -= float32(k.LR*mi) / (float32(math.Sqrt(float64(vi)))/k.BiasCorr2 + k.Eps)
		}
		Adam(p, g, m, v, k)
		for i := range p {
			if math.Float32bits(p[i]) != math.Float32bits(wp[i]) || math.Float32bits(m[i]) != math.Float32bits(wm[i]) ||
				math.Float32bits(v[i]) != math.Float32bits(wv[i]) {
				t.Fatalf("n=%d, element %d: p, m, v = %g, %g, %g, want %g, %g, %g", n, i, p[i], m[i], v[i], wp[i], wm[i], wv[i])
			}
		}
	}
}

// TestColSum checks the column sums against sums in row order, bit for bit.
func TestColSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sh := range [][3]int{{1, 1, 1}, {5, 32, 40}, {17, 70, 70}, {3, 31, 100}, {0, 5, 5}} {
		rows, cols, stride := sh[0], sh[1], sh[2]
		a := make([]float32, rows*stride+cols)
		for i := range a {
			a[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(10)-5)))
		}
		dst := make([]float32, cols)
		for i := range dst {
			dst[i] = float32(math.NaN()) // must be overwritten
		}
		ColSum(dst, a, rows, stride)
		for j := range dst {
			var want float32
			for r := 0; r < rows; r++ {
				want += a[r*stride+j]
			}
			if math.Float32bits(dst[j]) != math.Float32bits(want) {
				t.Fatalf("%v: column %d sums to %g, want %g", sh, j, dst[j], want)
			}
		}
	}
}
