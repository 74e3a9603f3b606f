package vae

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestPoolRun checks that every task runs once, on a valid worker, for
// worker and task counts around the chunking boundaries.
func TestPoolRun(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		p := newPool(workers)
		for _, tasks := range []int{0, 1, 2, 5, 64} {
			counts := make([]int, tasks)
			bad := make([]bool, tasks)
			p.run(tasks, func(w, i int) {
				counts[i]++ // tasks are distinct, so no two writers
				bad[i] = w < 0 || w >= workers
			})
			for i, c := range counts {
				if c != 1 || bad[i] {
					t.Fatalf("workers=%d tasks=%d: task %d ran %d times (bad worker %v)", workers, tasks, i, c, bad[i])
				}
			}
		}
		p.close()
	}
}

// TestPoolAdapt checks the adaptive choice of workers: a probe that is
// faster switches the choice, a slower one does not.
func TestPoolAdapt(t *testing.T) {
	p := newPool(2)
	defer p.close()
	p.period, p.probe = 4, 1
	steps := func(probe, steady time.Duration) {
		for i := range p.period {
			d := steady
			if i < p.probe {
				d = probe
			}
			p.observe(d)
		}
	}
	if !p.alone() || p.solo {
		t.Fatal("the first probe should run alone, the steady state with all workers")
	}
	steps(2*time.Millisecond, time.Millisecond) // alone is slower: keep all workers
	if p.solo {
		t.Fatal("a slower probe changed the choice")
	}
	steps(time.Millisecond/2, time.Millisecond) // alone is faster: switch
	if !p.solo {
		t.Fatal("a faster probe did not change the choice")
	}
	if p.alone() {
		t.Fatal("the probe after switching to one worker should use all")
	}
}

// TestAdaptiveSameBits trains with the choice of workers flipping at every
// step and requires the parameters of a single-threaded run, bit for bit.
func TestAdaptiveSameBits(t *testing.T) {
	run := func(threads int, flip bool) []float32 {
		rng := rand.New(rand.NewPCG(4, 4))
		d := randData(rng, 200, 6, 0)
		s, err := resolve(&Settings{Latent: 3, Hidden: []int{70, 20}, BatchSize: 40, Channels: 2, Threads: threads}, 6)
		if err != nil {
			t.Fatal(err)
		}
		lay := newLayout(&s, 6)
		tr := newTrainer(&s, &lay, 6, convert[float32](initParams(&lay, rng)), threads)
		defer tr.close()
		if flip {
			tr.e.pool.period, tr.e.pool.probe = 2, 1
		}
		idx := make([]int, 40)
		for step := range 20 {
			for i := range idx {
				idx[i] = (step*40 + i) % 200
			}
			if _, ok := tr.batchStep(d, idx, 1, rng); !ok {
				t.Fatal("non-finite step")
			}
		}
		return append([]float32(nil), tr.e.p...)
	}
	ref := run(1, false)
	got := run(2, true)
	for i := range ref {
		if math.Float32bits(ref[i]) != math.Float32bits(got[i]) {
			t.Fatalf("parameter %d is %v, with 1 thread %v", i, got[i], ref[i])
		}
	}
}

// TestStepAllocs checks that a training step allocates nothing once warm,
// with one and two threads.
func TestStepAllocs(t *testing.T) {
	for _, c := range []struct {
		threads int
		w       Weights
	}{{1, Weights{}}, {2, Weights{}}, {1, Weights{Rec: 10, MI: 1, DimKL: 10}}, {2, Weights{Rec: 10, MI: 1, DimKL: 10}}} {
		threads := c.threads
		rng := rand.New(rand.NewPCG(5, 5))
		d := randData(rng, 64, 6, 3)
		s, err := resolve(&Settings{Latent: 3, Hidden: []int{70, 20}, BatchSize: 64, Prior: SegmentPrior, Segments: 3,
			EncoderSeesSegment: true, Channels: 2, Threads: threads, Weights: c.w}, 6)
		if err != nil {
			t.Fatal(err)
		}
		lay := newLayout(&s, 6)
		tr := newTrainer(&s, &lay, 6, convert[float32](initParams(&lay, rng)), threads)
		idx := make([]int, 64)
		for i := range idx {
			idx[i] = i
		}
		for range 20 { // warm up: scratch buffers grow to their sizes
			tr.batchStep(d, idx, 1, rng)
		}
		if a := testing.AllocsPerRun(20, func() { tr.batchStep(d, idx, 1, rng) }); a != 0 {
			t.Errorf("threads=%d, weights %+v: %v allocations per step", threads, c.w, a)
		}
		tr.close()
	}
}
