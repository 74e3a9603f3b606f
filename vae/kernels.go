package vae

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/viterin/vek"
	"github.com/viterin/vek/vek32"
)

type float interface{ ~float32 | ~float64 }

// pool runs a function on a fixed set of goroutines, one call per worker,
// and waits for all of them. Waiting spins for a short while before
// parking, so that the dozen or so hand-overs of a training step cost
// microseconds rather than the tens of microseconds (or, on a loaded
// machine, milliseconds) of waking a parked goroutine's thread. The
// function values it runs are bound once, so running allocates nothing.
//
// Callers give each worker a fixed part of the work, depending only on the
// worker count, and every part computes its own output elements in an
// order of its own, so results do not depend on the partition.
type pool struct {
	n    int
	spin bool // spinning only helps when every worker has a CPU of its own
	fn   func(w int)
	gen  atomic.Uint32 // incremented to start a job
	left atomic.Int32  // workers still running the current job
	quit bool

	parked   []atomic.Bool // worker w is parked (or about to) on wake[w]
	wake     []chan struct{}
	seen     []uint32      // the last job worker w started
	started  []func() bool // worker w has a new job (bound once)
	mainPark atomic.Bool
	mainWake chan struct{}
	doneFn   func() bool
}

// spinTime bounds the spinning of a waiting goroutine before it parks: long
// enough to cover the serial sections between the parallel parts of a
// training step, short enough to waste little between epochs.
const spinTime = 50 * time.Microsecond

func newPool(n int) *pool {
	p := &pool{n: max(1, n)}
	p.spin = runtime.GOMAXPROCS(0) >= p.n
	p.parked = make([]atomic.Bool, p.n)
	p.wake = make([]chan struct{}, p.n)
	p.seen = make([]uint32, p.n)
	p.started = make([]func() bool, p.n)
	p.mainWake = make(chan struct{}, 1)
	p.doneFn = func() bool { return p.left.Load() == 0 }
	for w := 1; w < p.n; w++ {
		p.started[w] = func() bool { return p.gen.Load() != p.seen[w] }
		p.wake[w] = make(chan struct{}, 1)
		go p.worker(w)
	}
	return p
}

// park blocks on ch after announcing it in flag, unless ready() turns true
// meanwhile. The waker makes ready() true and then, if it can clear flag,
// sends on ch.
func park(flag *atomic.Bool, ch chan struct{}, ready func() bool) {
	flag.Store(true)
	if ready() && flag.CompareAndSwap(true, false) {
		return
	}
	<-ch
}

func unpark(flag *atomic.Bool, ch chan struct{}) {
	if flag.CompareAndSwap(true, false) {
		ch <- struct{}{}
	}
}

func (p *pool) worker(w int) {
	for {
		if !p.spinUntil(p.started[w]) {
			park(&p.parked[w], p.wake[w], p.started[w])
		}
		p.seen[w] = p.gen.Load()
		if p.quit {
			return
		}
		p.fn(w)
		if p.left.Add(-1) == 0 {
			unpark(&p.mainPark, p.mainWake)
		}
	}
}

// spinUntil spins until ready() or spinTime has passed, and reports ready().
func (p *pool) spinUntil(ready func() bool) bool {
	if ready() {
		return true
	}
	if !p.spin {
		return false
	}
	var t0 time.Time
	for i := 0; ; i++ {
		if ready() {
			return true
		}
		if i%64 == 0 {
			if i == 0 {
				t0 = time.Now()
			} else if time.Since(t0) > spinTime {
				return false
			}
		}
	}
}

// each calls fn(w) for every worker w in [0, n), fn(0) on the calling
// goroutine, and waits for all.
func (p *pool) each(fn func(w int)) {
	if p.n == 1 {
		fn(0)
		return
	}
	p.fn = fn
	p.left.Store(int32(p.n - 1))
	p.gen.Add(1)
	for w := 1; w < p.n; w++ {
		unpark(&p.parked[w], p.wake[w])
	}
	fn(0)
	if !p.spinUntil(p.doneFn) {
		park(&p.mainPark, p.mainWake, p.doneFn)
	}
	p.fn = nil
}

// split returns worker w's part of [0, total) in blocks of blk.
func (p *pool) split(w, total, blk int) (lo, hi int) {
	nb := (total + blk - 1) / blk
	return min(total, w*nb/p.n*blk), min(total, (w+1)*nb/p.n*blk)
}

func (p *pool) close() {
	if p.n == 1 || p.quit {
		return
	}
	p.fn = func(int) {}
	p.quit = true
	p.left.Store(int32(p.n - 1))
	p.gen.Add(1)
	for w := 1; w < p.n; w++ {
		unpark(&p.parked[w], p.wake[w])
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
