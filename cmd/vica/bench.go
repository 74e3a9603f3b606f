package main

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/vica-dev/vica/vae"
)

// benchResult is the --json output of bench; field names are stable.
type benchResult struct {
	In            int     `json:"in"`
	Latent        int     `json:"latent"`
	Hidden        int     `json:"hidden"`
	Layers        int     `json:"layers"`
	Batch         int     `json:"batch"`
	Windows       int     `json:"windows"`
	Threads       int     `json:"threads"`
	WindowsPerSec float64 `json:"windows_per_sec"`
	// GFLOPS counts 2 flops per multiply-add of the forward pass and twice
	// that for the backward pass, as is usual for MLP training.
	GFLOPS float64 `json:"gflops"`
}

func newBenchCmd(e *env) *cobra.Command {
	var r benchResult
	var asJSON bool
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure VAE training throughput in windows per second",
		Long: `bench trains a VAE shaped like ../shared/reference/torch_vae.py on random data
and prints its training throughput in windows per second (forward pass,
backward pass and Adam step), after one warm-up epoch, timing 3 epochs:
encoder and decoder are MLPs with --layers hidden layers of --hidden units
and LeakyReLU(0.2), the loss is 0.5 * squared error plus the closed-form KL
to N(0, I), averaged over the batch, and Adam has learning rate 1e-3.

Compare it with the reference in the same run, alternating the two:
  vica bench --in 10 --latent 10 --hidden 128 --layers 2 --batch 256 --windows 51200
  python3 torch_vae.py 10 10 128 2 256 51200 1 f32`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if r.In < 1 || r.Latent < 1 || r.Hidden < 1 || r.Layers < 0 || r.Batch < 1 || r.Windows < r.Batch {
				return usagef("bench needs --in, --latent, --hidden >= 1, --layers >= 0, --batch >= 1 and --windows >= --batch")
			}
			wps, err := vae.Throughput(c.Context(), r.In, r.Latent, r.Hidden, r.Layers, r.Batch, r.Windows, r.Threads)
			if err != nil {
				return err
			}
			r.WindowsPerSec = wps
			r.GFLOPS = wps * 6 * float64(macs(r.In, r.Latent, r.Hidden, r.Layers)) / 1e9
			threads := r.Threads
			if threads == 0 {
				threads = runtime.GOMAXPROCS(0)
			}
			if asJSON {
				out := r
				out.Threads = threads
				return json.NewEncoder(e.stdout).Encode(out)
			}
			_, err = fmt.Fprintf(e.stdout, "vica threads=%d dtype=f32 in=%d K=%d hidden=%dx%d batch=%d: %.0f windows/s (%.1f GFLOP/s)\n",
				threads, r.In, r.Latent, r.Hidden, r.Layers, r.Batch, wps, r.GFLOPS)
			return err
		},
	}
	fs := c.Flags()
	fs.IntVar(&r.In, "in", 10, "input size (window length x channels)")
	fs.IntVar(&r.Latent, "latent", 10, "latent dimensions")
	fs.IntVar(&r.Hidden, "hidden", 128, "units per hidden layer")
	fs.IntVar(&r.Layers, "layers", 2, "hidden layers in encoder and decoder")
	fs.IntVar(&r.Batch, "batch", 256, "minibatch size")
	fs.IntVar(&r.Windows, "windows", 51200, "windows per epoch")
	fs.IntVar(&r.Threads, "threads", 0, "threads (0: all cores)")
	fs.BoolVar(&asJSON, "json", false, "print machine-readable JSON")
	return c
}

// macs is the number of multiply-adds of one forward pass of the encoder
// (in -> 2*latent) and decoder (latent -> in).
func macs(in, latent, hidden, layers int) int {
	mlp := func(a, b int) int {
		if layers == 0 {
			return a * b
		}
		return a*hidden + (layers-1)*hidden*hidden + hidden*b
	}
	return mlp(in, 2*latent) + mlp(latent, in)
}
