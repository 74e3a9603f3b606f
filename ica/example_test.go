package ica_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"strings"
	"sync"

	"github.com/vica-dev/vica/ica"
	"github.com/vica-dev/vica/ica/synth"
	"github.com/vica-dev/vica/io/csvio"
	"github.com/vica-dev/vica/timeseries"
)

// Example fits a model to a recording and scores its sources against the
// truth the simulator knows.
func Example() {
	// Two sources whose variances change every 200 samples, mixed into two
	// channels by a 2-layer leaky-ReLU network.
	ds, err := synth.Generate(&synth.Settings{Sources: 2, Segments: 10, SegmentLength: 200, MixingLayers: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	m, err := ica.Fit(context.Background(), ds.X, &ica.Settings{Sources: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	src := m.Sources()
	r, err := ica.MCCFrames(ds.Sources, src, ica.Pearson)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(src.Names(), src.Rows(), "rows")
	fmt.Println("recovered (MCC > 0.9):", r.MCC > 0.9)
	// Output:
	// [s1 s2] 2000 rows
	// recovered (MCC > 0.9): true
}

// ExampleModel_Transform is how an analytics service uses a model: fit (or
// Load) once, then transform the data of each request, from many goroutines
// at once.
func ExampleModel_Transform() {
	ds, err := synth.Generate(&synth.Settings{Sources: 2, Channels: 3, Segments: 10, SegmentLength: 200, MixingLayers: 2, Seed: 2})
	if err != nil {
		log.Fatal(err)
	}
	m, err := ica.Fit(context.Background(), ds.X, &ica.Settings{Sources: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	// Eight requests, each a CSV of 100 rows with the model's channels.
	requests := make([]string, 8)
	for i := range requests {
		var b strings.Builder
		b.WriteString("t,x1,x2,x3\n")
		for t := i * 100; t < (i+1)*100; t++ {
			fmt.Fprintf(&b, "%d,%g,%g,%g\n", t, ds.X.At(t, 0), ds.X.At(t, 1), ds.X.At(t, 2))
		}
		requests[i] = b.String()
	}
	rows := make([]int, len(requests))
	var wg sync.WaitGroup
	for i, req := range requests {
		wg.Go(func() {
			f, _, err := csvio.Read(strings.NewReader(req), fmt.Sprintf("request %d", i))
			if err != nil {
				log.Print(err)
				return
			}
			src, err := m.Transform(f) // safe for concurrent use
			if err != nil {
				log.Print(err)
				return
			}
			rows[i] = src.Rows()
		})
	}
	wg.Wait()
	fmt.Println(rows)
	// Output: [100 100 100 100 100 100 100 100]
}

// ExampleLoad saves a model and loads it back: the loaded model gives the
// same sources, bit for bit.
func ExampleLoad() {
	ds, err := synth.Generate(&synth.Settings{Sources: 2, Segments: 10, SegmentLength: 200, MixingLayers: 1, Seed: 3})
	if err != nil {
		log.Fatal(err)
	}
	m, err := ica.Fit(context.Background(), ds.X, &ica.Settings{Sources: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	var file bytes.Buffer // or m.SaveFile("model.vica")
	if err := m.Save(&file); err != nil {
		log.Fatal(err)
	}
	loaded, err := ica.Load(&file) // or ica.LoadFile("model.vica")
	if err != nil {
		log.Fatal(err)
	}
	src, err := loaded.Transform(ds.X)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(loaded.Channels(), sameBits(src, m.Sources()))
	// Output: [x1 x2] true
}

func sameBits(a, b *timeseries.Frame) bool {
	x, y := a.Data(), b.Data()
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] && !(x[i] != x[i] && y[i] != y[i]) {
			return false
		}
	}
	return true
}
