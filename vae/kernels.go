package vae

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/viterin/vek"
	"github.com/viterin/vek/vek32"
)

type float interface{ ~float32 | ~float64 }

// pool runs numbered tasks on a fixed set of goroutines and waits for them.
// Tasks are claimed one at a time from a shared counter, so a goroutine
// that the operating system has descheduled (on a loaded machine) delays a
// job by at most the task it holds, and one that has not woken up yet not
// at all. Waiting spins for a short while before parking, so that the few
// hand-overs of a training step cost microseconds rather than the tens of
// microseconds of waking a parked goroutine's thread. The function values
// it runs are bound once, so running allocates nothing.
//
// Which goroutine runs a task must not matter: every task computes its own
// output elements, in an order of its own, so results do not depend on the
// number of goroutines.
type pool struct {
	n     int
	spin  bool // spinning only helps when every worker has a CPU of its own
	fn    func(w, i int)
	state atomic.Uint64 // job number << 32 | next task << 16 | tasks
	fin   atomic.Int32  // tasks finished in the current job
	total int32
	quit  atomic.Bool

	parked   []atomic.Bool // worker w is parked (or about to) on wake[w]
	wake     []chan struct{}
	seen     []uint32      // the last job worker w looked at
	started  []func() bool // a job after seen[w] was posted (bound once)
	mainPark atomic.Bool
	mainWake chan struct{}
	doneFn   func() bool

	// Adaptive use of the workers: on a machine whose other processes keep
	// the CPUs busy, waiting for a descheduled worker can make n workers
	// slower than one. Every period steps, the first probe run with the
	// other choice (1 or n workers), and the faster choice is kept. Results
	// do not depend on it.
	solo            bool // the current choice is the calling goroutine alone
	period, probe   int
	k               int
	probeT, steadyT time.Duration
	steadyN         int
}

// Defaults of the adaptive use of the workers (steps).
const (
	adaptPeriod = 128
	adaptProbe  = 4
	// adaptGain is the speed-up a probe must show for the choice to change.
	adaptGain = 1.03
)

// spinTime bounds the spinning of a waiting goroutine before it parks: long
// enough to cover the serial sections between the parallel parts of a
// training step, short enough to waste little between epochs.
const spinTime = 50 * time.Microsecond

// maxTasks bounds the tasks of one job (16 bits of pool.state).
const maxTasks = 1<<16 - 1

func newPool(n int) *pool {
	p := &pool{n: max(1, n), period: adaptPeriod, probe: adaptProbe}
	p.spin = runtime.GOMAXPROCS(0) >= p.n
	p.parked = make([]atomic.Bool, p.n)
	p.wake = make([]chan struct{}, p.n)
	p.seen = make([]uint32, p.n)
	p.started = make([]func() bool, p.n)
	p.mainWake = make(chan struct{}, 1)
	p.doneFn = func() bool { return p.fin.Load() == p.total }
	for w := 1; w < p.n; w++ {
		p.wake[w] = make(chan struct{}, 1)
		p.started[w] = func() bool { return uint32(p.state.Load()>>32) != p.seen[w] }
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
		if p.quit.Load() {
			return
		}
		job := uint32(p.state.Load() >> 32)
		p.seen[w] = job
		p.work(w, job)
	}
}

// work claims and runs tasks of the given job until none is left.
func (p *pool) work(w int, job uint32) {
	for {
		st := p.state.Load()
		next, total := int32(st>>16&0xffff), int32(st&0xffff)
		if uint32(st>>32) != job || next >= total {
			return
		}
		if !p.state.CompareAndSwap(st, st+1<<16) {
			continue
		}
		p.fn(w, int(next)) // fn stays until all tasks of the job are finished
		if p.fin.Add(1) == total {
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

// run calls fn(w, i) for every task i in [0, tasks), each once, on some
// worker w in [0, n) (the calling goroutine being worker 0), and waits.
func (p *pool) run(tasks int, fn func(w, i int)) {
	if p.n == 1 || tasks <= 1 || p.alone() {
		for i := range tasks {
			fn(0, i)
		}
		return
	}
	if tasks > maxTasks {
		panic("vae: too many tasks")
	}
	p.fn, p.total = fn, int32(tasks)
	p.fin.Store(0)
	job := uint32(p.state.Load()>>32) + 1
	p.state.Store(uint64(job)<<32 | uint64(tasks))
	for w := 1; w < p.n; w++ {
		unpark(&p.parked[w], p.wake[w])
	}
	p.work(0, job)
	if !p.spinUntil(p.doneFn) {
		park(&p.mainPark, p.mainWake, p.doneFn)
	}
	p.fn = nil
}

// alone reports whether the calling goroutine is to work alone now.
func (p *pool) alone() bool {
	return p.solo != (p.k%p.period < p.probe)
}

// observe records the duration of one step (a unit of several jobs) and
// makes the choice of workers for the next ones.
func (p *pool) observe(d time.Duration) {
	if p.n == 1 {
		return
	}
	i := p.k % p.period
	if i < p.probe {
		p.probeT += d
	} else {
		p.steadyT += d
		p.steadyN++
	}
	p.k++
	if i == p.period-1 {
		probe := p.probeT.Seconds() / float64(p.probe)
		steady := p.steadyT.Seconds() / float64(p.steadyN)
		if probe*adaptGain < steady {
			p.solo = !p.solo
		}
		p.probeT, p.steadyT, p.steadyN = 0, 0, 0
	}
}

func (p *pool) close() {
	if p.n == 1 || p.quit.Load() {
		return
	}
	p.quit.Store(true)
	p.state.Add(1 << 32)
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
