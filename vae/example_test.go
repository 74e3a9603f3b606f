package vae_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/vica-dev/vica/vae"
)

// Train a VAE with the segment prior on 2-dimensional rows in 4 segments,
// then read the posterior means of the first row.
func ExampleTrain() {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, dim = 400, 2
	x := make([]float64, n*dim)
	seg := make([]int, n)
	for i := range n {
		seg[i] = i / 100
		scale := float64(1 + seg[i])
		x[i*dim] = scale * rng.NormFloat64()
		x[i*dim+1] = x[i*dim] + 0.1*rng.NormFloat64()
	}
	train := vae.Data{X: vae.Matrix(x, dim), Segment: seg}
	m, h, err := vae.Train(context.Background(), train, vae.Data{}, &vae.Settings{
		Latent: 2, Hidden: []int{16}, Prior: vae.SegmentPrior, Segments: 4, Epochs: 5,
	}, rng, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	mu, logvar := make([]float64, n*2), make([]float64, n*2)
	m.Encode(train, mu, logvar)
	fmt.Println("epochs:", len(h.Epochs), "latent:", m.Latent(), "parameters:", m.NumParams())
	// 16+4 encoder and 16+2 decoder units with biases, 2 observation and 4×2
	// prior log-variances: (2·16+16)+(16·4+4)+(2·16+16)+(16·2+2)+2+8 = 208.
	// Output: epochs: 5 latent: 2 parameters: 208
}
