package selection_test

import (
	"context"
	"fmt"

	"github.com/vica-dev/vica/ica/synth"
	"github.com/vica-dev/vica/selection"
)

// Estimate counts the sources of a simulation: 2 sources mixed by a
// two-layer network into 4 noisy channels.
func ExampleEstimate() {
	ds, err := synth.Generate(&synth.Settings{Sources: 2, Channels: 4, Segments: 20, SegmentLength: 150,
		MixingLayers: 2, Family: synth.SegmentLaplace, SNR: 20, Seed: 11})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := selection.Estimate(context.Background(), ds.X, &selection.Settings{Steps: 2000, Seed: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sources:", r.K, "agree:", r.Agree)
	// Output: sources: 2 agree: true
}
