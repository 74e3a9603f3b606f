package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// actInput returns n values with both signs, zeros of both signs and
// subnormals.
func actInput(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch i % 7 {
		case 3:
			x[i] = float32(math.Copysign(0, rng.NormFloat64()))
		case 5:
			x[i] = float32(rng.NormFloat64() * 1e-39)
		default:
			x[i] = float32(rng.NormFloat64())
		}
	}
	return x
}

// TestLeaky checks the vector leaky ReLU and its derivative against the
// scalar formulas of the training code, bit for bit.
func TestLeaky(t *testing.T) {
	const slope = 0.2
	f := 1 - float32(1-slope) // the training code's factor for h <= -0
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 8, 13, 100} {
		c := actInput(rng, n)
		want := make([]float32, n)
		for i, v := range c {
			want[i] = max(v, v*slope)
		}
		Leaky(c, slope)
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: Leaky element %d is %g, want %g", n, i, c[i], want[i])
			}
		}
		h := actInput(rng, n)
		d := actInput(rng, n)
		want = make([]float32, n)
		for i, v := range h {
			neg := float32(math.Float32bits(v) >> 31)
			want[i] = d[i] * (1 - (1-slope)*neg)
		}
		LeakyDeriv(d, h, f)
		for i := range d {
			if math.Float32bits(d[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: LeakyDeriv element %d is %g, want %g", n, i, d[i], want[i])
			}
		}
	}
}
