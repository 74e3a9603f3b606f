package vae

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
)

func cpuTime() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkStep times one training step (forward, backward, Adam) on the
// shapes of the PyTorch reference.
func BenchmarkStep(b *testing.B) {
	for _, c := range []struct{ in, latent, hidden, layers, batch int }{
		{10, 10, 128, 2, 256},
		{160, 10, 256, 2, 256},
	} {
		for _, threads := range []int{1, 2} {
			name := fmt.Sprintf("in=%d/latent=%d/hidden=%d/layers=%d/batch=%d/threads=%d", c.in, c.latent, c.hidden, c.layers, c.batch, threads)
			b.Run(name, func(b *testing.B) {
				hs := make([]int, c.layers)
				for i := range hs {
					hs[i] = c.hidden
				}
				s, err := resolve(&Settings{Latent: c.latent, Hidden: hs, FixedObsVariance: 1, BatchSize: c.batch, ClipNorm: -1, Threads: threads}, c.in)
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(1, 1))
				x := make([]float64, c.batch*c.in)
				for i := range x {
					x[i] = rng.NormFloat64()
				}
				d := Data{X: Matrix(x, c.in)}
				lay := newLayout(&s, c.in)
				t := newTrainer(&s, &lay, c.in, convert[float32](initParams(&lay, rng)), threads)
				defer t.close()
				idx := make([]int, c.batch)
				for i := range idx {
					idx[i] = i
				}
				b.ReportAllocs()
				cpu0 := cpuTime()
				for b.Loop() {
					t.batchStep(d, idx, 1, rng)
				}
				b.ReportMetric(float64(c.batch)*float64(b.N)/b.Elapsed().Seconds(), "windows/s")
				// per CPU-second: less disturbed than wall time on a shared machine
				b.ReportMetric(float64(c.batch)*float64(b.N)/(cpuTime()-cpu0), "windows/cpu-s")
			})
		}
	}
}

func TestThroughput(t *testing.T) {
	w, err := Throughput(t.Context(), 10, 4, 16, 2, 64, 640, 2)
	if err != nil || !(w > 0) {
		t.Fatalf("Throughput = %v, %v", w, err)
	}
	if _, err := Throughput(t.Context(), 10, 4, 16, 2, 64, 10, 2); err == nil {
		t.Error("no error for fewer windows than a batch")
	}
}
