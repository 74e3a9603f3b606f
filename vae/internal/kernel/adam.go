package kernel

import "math"

// AdamConsts are the constants of one Adam step, as float32.
type AdamConsts struct {
	GradScale float32 // gradient scale (clipping)
	Beta1, C1 float32 // beta1 and 1 - beta1
	Beta2, C2 float32 // beta2 and 1 - beta2
	LR        float32 // learning rate over the first moment's bias correction
	BiasCorr2 float32 // square root of the second moment's bias correction
	Eps       float32
}

// Adam takes one Adam step on p with gradient g and moments m and v:
//
//	gi = g·GradScale
//	m  = Beta1·m + C1·gi
//	v  = Beta2·v + (C2·gi)·gi
//	p -= (LR·m) / (sqrt(v)/BiasCorr2 + Eps)
//
// each operation rounded to float32 in this order, so the vector and
// scalar forms give the same bits.
func Adam(p, g, m, v []float32, k *AdamConsts) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	i := 0
	if useAsm && n >= 8 {
		i = n &^ 7
		adam8(&p[0], &g[0], &m[0], &v[0], i, k)
	}
	for ; i < n; i++ {
		gi := g[i] * k.GradScale
		mi := float32(k.Beta1*m[i]) + float32(k.C1*gi)
		vi := float32(k.Beta2*v[i]) + float32(float32(k.C2*gi)*gi)
		m[i], v[i] = mi, vi
		s := float32(math.Sqrt(float64(vi)))
		p[i] -= float32(k.LR*mi) / (s/k.BiasCorr2 + k.Eps)
	}
}

// ColSum sets dst[j] to the sum over rows r = 0..rows-1, in that order
// from zero, of a[r*stride + j].
func ColSum(dst, a []float32, rows, stride int) {
	cols := len(dst)
	if rows == 0 || cols == 0 {
		clear(dst)
		return
	}
	_ = a[(rows-1)*stride+cols-1]
	j := 0
	if useAsm {
		for ; j+32 <= cols; j += 32 {
			colsum32(&dst[j], &a[j], rows, stride)
		}
	}
	if j < cols {
		d := dst[j:]
		clear(d)
		for r := 0; r < rows; r++ {
			row := a[r*stride+j : r*stride+cols]
			for i, x := range row {
				d[i] += x
			}
		}
	}
}
