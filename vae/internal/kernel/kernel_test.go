package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
)

func cpuTime() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// TestGemm compares Gemm with a float64 triple loop on shapes that hit the
// full blocks and both edges.
func TestGemm(t *testing.T) {
	// tol: float32 rounding of sums of up to 300 products of O(1) terms.
	const tol = 1e-4
	rng := rand.New(rand.NewPCG(1, 2))
	var s Scratch
	for _, sh := range [][3]int{{1, 1, 1}, {6, 5, 16}, {7, 3, 17}, {13, 300, 10}, {256, 20, 70}, {5, 9, 33}, {12, 64, 48}} {
		m, n, p := sh[0], sh[1], sh[2]
		a := make([]float32, m*n)
		b := make([]float32, n*p)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		c := make([]float32, m*p)
		for i := range c {
			c[i] = float32(math.NaN()) // must be overwritten
		}
		bp := make([]float32, PackedLen(n, p))
		Pack(bp, b, n, p, false)
		Gemm(c, a, bp, m, n, p, n, 1, &s)
		bt := make([]float32, n*p)
		for k := 0; k < n; k++ {
			for j := 0; j < p; j++ {
				bt[j*n+k] = b[k*p+j]
			}
		}
		bp2 := make([]float32, PackedLen(n, p))
		Pack(bp2, bt, n, p, true)
		for i := range bp {
			if bp[i] != bp2[i] {
				t.Fatalf("%dx%d: packing the transpose differs at %d", n, p, i)
			}
		}
		for i := 0; i < m; i++ {
			for j := 0; j < p; j++ {
				var want float64
				for k := 0; k < n; k++ {
					want += float64(a[i*n+k]) * float64(b[k*p+j])
				}
				if got := float64(c[i*p+j]); !(math.Abs(got-want) <= tol*(1+math.Abs(want))) {
					t.Fatalf("%dx%dx%d: c[%d,%d] = %g, want %g", m, n, p, i, j, got, want)
				}
			}
		}
		// A given as the transpose of a row-major n×m matrix gives the same bits
		at := make([]float32, m*n)
		for i := 0; i < m; i++ {
			for k := 0; k < n; k++ {
				at[k*m+i] = a[i*n+k]
			}
		}
		ct := make([]float32, m*p)
		Gemm(ct, at, bp, m, n, p, 1, m, &s)
		for i := range ct {
			if ct[i] != c[i] {
				t.Fatalf("%dx%dx%d: transposed A differs at %d: %g vs %g", m, n, p, i, ct[i], c[i])
			}
		}
		// a row computed alone gives the same bits
		if m > 1 {
			one := make([]float32, p)
			Gemm(one, a[(m-1)*n:], bp, 1, n, p, n, 1, &s)
			for j := range one {
				if one[j] != c[(m-1)*p+j] {
					t.Fatalf("%dx%dx%d: last row alone differs at %d", m, n, p, j)
				}
			}
		}
	}
}

// TestPackParts checks that packing in panel ranges or in row ranges, as
// goroutines do, gives the same bits as packing the whole matrix at once.
func TestPackParts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][2]int{{1, 1}, {7, 16}, {5, 17}, {13, 40}, {20, 3}} {
		n, p := sh[0], sh[1]
		b := make([]float32, n*p)
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		for _, trans := range []bool{false, true} {
			want := make([]float32, PackedLen(n, p))
			Pack(want, b, n, p, trans)
			got := make([]float32, len(want))
			for i := range got {
				got[i] = float32(math.NaN()) // must be overwritten, padding included
			}
			q := Panels(p)
			PackPanels(got, b, n, p, trans, 0, q/2)
			PackPanels(got, b, n, p, trans, q/2, q)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%dx%d trans=%v: panels packed in two parts differ at %d", n, p, trans, i)
				}
			}
		}
		want := make([]float32, PackedLen(n, p))
		Pack(want, b, n, p, false)
		got := make([]float32, len(want))
		for i := range got {
			got[i] = float32(math.NaN())
		}
		for _, r := range [][2]int{{0, n / 3}, {n / 3, n}} {
			PackRows(got, b[r[0]*p:r[1]*p], n, p, r[0], r[1])
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%dx%d: rows packed in two parts differ at %d", n, p, i)
			}
		}
	}
}

func BenchmarkGemm(b *testing.B) {
	for _, sh := range [][3]int{{256, 256, 256}, {256, 160, 256}, {256, 256, 20}, {256, 10, 256}, {10, 256, 256}} {
		m, n, p := sh[0], sh[1], sh[2]
		b.Run(fmt.Sprintf("m=%d/n=%d/p=%d", m, n, p), func(b *testing.B) {
			x, y, z := make([]float32, m*n), make([]float32, n*p), make([]float32, m*p)
			var s Scratch
			yp := make([]float32, PackedLen(n, p))
			Pack(yp, y, n, p, false)
			cpu0 := cpuTime()
			for b.Loop() {
				Gemm(z, x, yp, m, n, p, n, 1, &s)
			}
			b.ReportMetric(float64(2*m*n*p)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			// CPU time is less disturbed than wall time on a shared machine.
			b.ReportMetric(float64(2*m*n*p)*float64(b.N)/(cpuTime()-cpu0)/1e9, "GFLOP/cpu-s")
		})
	}
}
