//go:build exp

package selection

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vica-dev/vica/ica/synth"
)

func TestExp(t *testing.T) {
	cases := []synth.Settings{
		{Sources: 2, Channels: 4, MixingLayers: 2, SNR: 20},
		{Sources: 3, Channels: 6, MixingLayers: 2, SNR: 10},
		{Sources: 4, Channels: 4, MixingLayers: 3},
		{Sources: 1, Channels: 3, MixingLayers: 1, SNR: 20},
		{Sources: 5, Channels: 10, MixingLayers: 2, Family: synth.AR1, SNR: 15},
	}
	for i, c := range cases {
		c.Segments, c.SegmentLength, c.Seed = 20, 250, uint64(i+1)
		ds, err := synth.Generate(&c)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var st Settings
		if e := os.Getenv("SEL"); e != "" {
			if err := json.Unmarshal([]byte(e), &st); err != nil {
				t.Fatal(err)
			}
		}
		if st.Seed == 0 {
			st.Seed = 1
		}
		r, err := Estimate(context.Background(), ds.X, &st)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("K=%d D=%d L=%d snr=%g: est %d kl %d elbo %d votes %v minka %d gap %d  %.1fs\n", c.Sources, c.Channels, c.MixingLayers, c.SNR, r.K, r.KLCount, r.ELBOCount, r.Votes, r.Minka, r.EigenGap, time.Since(start).Seconds())
		fmt.Printf("  KL %.3f\n  AV %.3g\n", r.PerDimKL, r.ActiveVariance)
		for _, row := range r.Sweep {
			fmt.Printf("  K=%d bound %.4f se %.4f per %.4f active %d\n", row.K, row.Bound, row.StdErr, row.PerRestart, row.Active)
		}
	}
}
