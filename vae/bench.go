package vae

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Throughput measures training speed in windows per second for an MLP
// shaped like the PyTorch reference torch_vae.py: layers hidden layers of
// hidden units with LeakyReLU(0.2) in both encoder and decoder, unit
// observation variance (loss 0.5·squared error + KL to N(0, I), mean over
// the batch), Adam with learning rate 1e-3, on windows rows of N(0, 1) data
// of in values. As the script does, it runs one warm-up epoch, then times 3
// epochs of full batches (forward, backward and Adam step).
func Throughput(ctx context.Context, in, latent, hidden, layers, batch, windows, threads int) (float64, error) {
	if in <= 0 || latent <= 0 || hidden <= 0 || layers < 0 || batch <= 0 || windows < batch || threads < 0 {
		return 0, fmt.Errorf("%w: throughput of in=%d latent=%d hidden=%d layers=%d batch=%d windows=%d threads=%d",
			ErrSettings, in, latent, hidden, layers, batch, windows, threads)
	}
	hs := make([]int, layers)
	for i := range hs {
		hs[i] = hidden
	}
	rs, err := resolve(&Settings{Latent: latent, Hidden: hs, FixedObsVariance: 1, BatchSize: batch,
		ClipNorm: -1, Threads: threads}, in)
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(0, 0))
	x := make([]float64, windows*in)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	d := Data{X: Matrix(x, in)}
	lay := newLayout(&rs, in)
	t := newTrainer(&rs, &lay, in, convert[float32](initParams(&lay, rng)), rs.Threads)
	defer t.close()
	perm := make([]int, windows)
	for i := range perm {
		perm[i] = i
	}
	epoch := func() error {
		rng.Shuffle(windows, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for lo := 0; lo+batch <= windows; lo += batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			t.batchStep(d, perm[lo:lo+batch], 1, rng)
		}
		return nil
	}
	if err := epoch(); err != nil {
		return 0, err
	}
	const reps = 3
	start := time.Now()
	for range reps {
		if err := epoch(); err != nil {
			return 0, err
		}
	}
	return float64(reps*(windows/batch)*batch) / time.Since(start).Seconds(), nil
}
