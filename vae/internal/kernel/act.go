package kernel

import "math"

// Leaky sets c[i] = max(c[i], c[i]·slope) (the leaky ReLU for 0 <= slope
// <= 1), with the bits of Go's max.
func Leaky(c []float32, slope float32) {
	i := 0
	if useAsm && len(c) >= 8 {
		i = len(c) &^ 7
		leaky8(&c[0], i, slope)
	}
	for ; i < len(c); i++ {
		c[i] = max(c[i], c[i]*slope)
	}
}

// LeakyDeriv sets d[i] *= f for the i where h[i] has its sign bit set (h <=
// -0): the derivative of the leaky ReLU with factor f on the negative side,
// from its output h.
func LeakyDeriv(d, h []float32, f float32) {
	h = h[:len(d)]
	i := 0
	if useAsm && len(d) >= 8 {
		i = len(d) &^ 7
		leakyDeriv8(&d[0], &h[0], i, f)
	}
	for ; i < len(d); i++ {
		if math.Signbit(float64(h[i])) {
			d[i] *= f
		} else {
			d[i] *= 1
		}
	}
}
