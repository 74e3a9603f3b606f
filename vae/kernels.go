package vae

import (
	"sync"

	"github.com/viterin/vek"
	"github.com/viterin/vek/vek32"
)

type float interface{ ~float32 | ~float64 }

// pool runs a function over a partition of [0, total) on a fixed set of
// goroutines. Partitions depend only on the worker count, and every caller
// partitions output elements, so results do not depend on the partition.
// The function values it runs are bound once, so running allocates nothing.
type pool struct {
	n     int
	start []chan struct{}
	wg    sync.WaitGroup
	fn    func(w, lo, hi int)
	total int
}

func newPool(n int) *pool {
	p := &pool{n: max(1, n)}
	p.start = make([]chan struct{}, p.n)
	for w := 1; w < p.n; w++ {
		p.start[w] = make(chan struct{}, 1)
		go p.worker(w)
	}
	return p
}

func (p *pool) part(w int) (lo, hi int) {
	return w * p.total / p.n, (w + 1) * p.total / p.n
}

func (p *pool) worker(w int) {
	for range p.start[w] {
		lo, hi := p.part(w)
		if lo < hi {
			p.fn(w, lo, hi)
		}
		p.wg.Done()
	}
}

// run calls fn(w, lo, hi) on disjoint ranges covering [0, total), w being
// the worker's number in [0, n), and waits.
func (p *pool) run(total int, fn func(w, lo, hi int)) {
	if p.n == 1 || total < 2 {
		fn(0, 0, total)
		return
	}
	p.fn, p.total = fn, total
	p.wg.Add(p.n - 1)
	for w := 1; w < p.n; w++ {
		p.start[w] <- struct{}{}
	}
	if lo, hi := p.part(0); lo < hi {
		fn(0, lo, hi)
	}
	p.wg.Wait()
	p.fn = nil
}

func (p *pool) close() {
	for w := 1; w < p.n; w++ {
		close(p.start[w])
	}
}

// vekParallelMin is the size m*n*p from which vek's MatMul_Into starts its
// own goroutines (and m >= 4); we call it below that so that it stays on the
// caller's goroutine.
const vekParallelMin = 100_000

// gemmRows sets c (r×p) = a (r×n) · b (n×p), all row-major, on this
// goroutine. Each element is computed by the same kernel whatever r is.
func gemmRows[T float](c, a, b []T, n, p int) {
	r := len(c) / p
	step := max(1, (vekParallelMin-1)/(n*p))
	for i := 0; i < r; i += step {
		e := min(r, i+step)
		switch cc := any(c).(type) {
		case []float32:
			vek32.MatMul_Into(cc[i*p:e*p], any(a).([]float32)[i*n:e*n], any(b).([]float32), n)
		case []float64:
			vek.MatMul_Into(cc[i*p:e*p], any(a).([]float64)[i*n:e*n], any(b).([]float64), n)
		}
	}
}

// dot returns sum_i x[i]*y[i].
func dot[T float](x, y []T) T {
	switch xx := any(x).(type) {
	case []float32:
		return T(vek32.Dot(xx, any(y).([]float32)))
	case []float64:
		return T(vek.Dot(xx, any(y).([]float64)))
	}
	panic("unreachable")
}

// addTo sets dst += src elementwise.
func addTo[T float](dst, src []T) {
	switch d := any(dst).(type) {
	case []float32:
		vek32.Add_Inplace(d, any(src).([]float32))
	case []float64:
		vek.Add_Inplace(d, any(src).([]float64))
	}
}

// transpose sets dst (c×r) to the transpose of src (r×c).
func transpose[T float](dst, src []T, r, c int) {
	const blk = 32
	for i0 := 0; i0 < r; i0 += blk {
		i1 := min(r, i0+blk)
		for j0 := 0; j0 < c; j0 += blk {
			j1 := min(c, j0+blk)
			for i := i0; i < i1; i++ {
				row := src[i*c : i*c+c]
				for j := j0; j < j1; j++ {
					dst[j*r+i] = row[j]
				}
			}
		}
	}
}

func grow[T float](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
