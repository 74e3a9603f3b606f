package kernel

// Block sizes of the micro-kernel: MR rows × NR columns of the output.
const (
	MR = 6
	NR = 16
)

// Scratch holds the padding buffers of one goroutine.
type Scratch struct{ a, b, c []float32 }

// Reserve sizes s for products with inner dimensions up to n, so that Gemm
// allocates nothing.
func (s *Scratch) Reserve(n int) {
	s.a = grow(s.a, MR*n)
	s.c = grow(s.c, MR*NR)
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// PackedLen returns the length of the packed form of an n×p matrix.
func PackedLen(n, p int) int { return (p + NR - 1) / NR * NR * n }

// Pack writes b (n×p row-major, or p×n if trans, read as its transpose) to
// dst as column panels of NR columns, each n×NR row-major and contiguous,
// the last padded with zeros.
func Pack(dst, b []float32, n, p int, trans bool) {
	PackPanels(dst, b, n, p, trans, 0, Panels(p))
}

// Panels returns the number of column panels of a matrix of p columns.
func Panels(p int) int { return (p + NR - 1) / NR }

// PackPanels is Pack for panels q0..q1-1 only: goroutines packing disjoint
// panel ranges of one matrix write disjoint parts of dst.
func PackPanels(dst, b []float32, n, p int, trans bool, q0, q1 int) {
	dst = dst[:Panels(p)*n*NR]
	for q := q0; q < q1; q++ {
		j0 := q * NR
		w := min(NR, p-j0)
		panel := dst[q*n*NR : (q+1)*n*NR]
		if !trans {
			for k := 0; k < n; k++ {
				row := panel[k*NR : (k+1)*NR]
				copy(row, b[k*p+j0:k*p+j0+w])
				clear(row[w:])
			}
			continue
		}
		if w < NR {
			clear(panel)
		}
		for j := 0; j < w; j++ {
			col := b[(j0+j)*n : (j0+j+1)*n]
			for k, v := range col {
				panel[k*NR+j] = v
			}
		}
	}
}

// PackRows is Pack (not transposed) for rows k0..k1-1 of b only, b holding
// those rows at b[0 : (k1-k0)*p]: goroutines packing disjoint row ranges of
// one matrix write disjoint parts of dst.
func PackRows(dst, b []float32, n, p, k0, k1 int) {
	panels := Panels(p)
	dst = dst[:panels*n*NR]
	for q := 0; q < panels; q++ {
		j0 := q * NR
		w := min(NR, p-j0)
		panel := dst[q*n*NR : (q+1)*n*NR]
		for k := k0; k < k1; k++ {
			row := panel[k*NR : (k+1)*NR]
			src := b[(k-k0)*p:]
			copy(row, src[j0:j0+w])
			clear(row[w:])
		}
	}
}

// Gemm sets c (m×p) = A · B on the calling goroutine, where A (m×n) has
// element (i, k) at a[i*rs + k*ks] (rs = n, ks = 1 for row-major A; rs = 1,
// ks = m' for the transpose of a row-major n×m' matrix) and bp is B (n×p)
// packed by Pack; c is row-major. Every output element is the same chain of
// fused multiply-adds over k = 0..n-1 from zero, whatever m and the
// element's position, so any partition of the rows among goroutines gives
// the same bits.
func Gemm(c, a, bp []float32, m, n, p, rs, ks int, s *Scratch) {
	if m == 0 || p == 0 {
		return
	}
	if n == 0 {
		clear(c[:m*p])
		return
	}
	_ = c[m*p-1]
	_ = a[(m-1)*rs+(n-1)*ks]
	_ = bp[PackedLen(n, p)-1]
	if !useAsm {
		gemmGo(c, a, bp, m, n, p, rs, ks)
		return
	}
	pFull := p - p%NR
	s.c = grow(s.c, MR*NR)
	for i := 0; i < m; i += MR {
		rows := min(MR, m-i)
		ab, ars, aks := a[i*rs:], rs, ks
		if rows < MR { // pad the last rows of A to a full row-major block
			s.a = grow(s.a, MR*n)
			clear(s.a)
			for r := 0; r < rows; r++ {
				for k := 0; k < n; k++ {
					s.a[r*n+k] = a[(i+r)*rs+k*ks]
				}
			}
			ab, ars, aks = s.a, n, 1
		}
		for j := 0; j < p; j += NR {
			bj := bp[j*n:]
			if rows == MR && j < pFull {
				kern6x16(&ab[0], ars, &bj[0], NR, &c[i*p+j], p, n, aks)
				continue
			}
			kern6x16(&ab[0], ars, &bj[0], NR, &s.c[0], NR, n, aks)
			w := min(NR, p-j)
			for r := 0; r < rows; r++ {
				copy(c[(i+r)*p+j:(i+r)*p+j+w], s.c[r*NR:r*NR+w])
			}
		}
	}
}

func gemmGo(c, a, bp []float32, m, n, p, rs, ks int) {
	for i := 0; i < m; i++ {
		for j := 0; j < p; j++ {
			panel := bp[j/NR*NR*n:]
			var acc float32
			for k := 0; k < n; k++ {
				acc += a[i*rs+k*ks] * panel[k*NR+j%NR]
			}
			c[i*p+j] = acc
		}
	}
}
