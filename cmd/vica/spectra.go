package main

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/vica-dev/vica/timeseries"
)

// rhythm is the dominant frequency of a source.
type rhythm struct {
	Hz     float64 `json:"frequency"` // cycles per second for timestamps, per index unit otherwise
	Period string  `json:"period"`    // 1/frequency in words
}

// samplingStep returns the median step of the index in seconds (for
// timestamps) or index units, and whether the unit is seconds.
func samplingStep(ix *timeseries.Index, rows int) (float64, bool) {
	n := ix.Len()
	if ix.Kind == timeseries.NoIndex || n < 2 {
		return 1, false
	}
	steps := make([]float64, n-1)
	for i := range steps {
		steps[i] = ix.Float(i+1) - ix.Float(i)
	}
	slices.Sort(steps)
	return steps[len(steps)/2], ix.Kind == timeseries.TimeIndex
}

// dominantRhythms finds the spectral peak of every channel of src: Welch's
// periodogram with segments of an eighth of the series (at least 256
// samples), ignoring the two lowest frequency bins, where slow drift lives.
func dominantRhythms(src *timeseries.Frame) []rhythm {
	dt, seconds := samplingStep(src.Index(), src.Rows())
	seg := min(src.Rows(), max(256, src.Rows()/8))
	out := make([]rhythm, src.Channels())
	for c := range out {
		out[c] = rhythm{Hz: math.NaN()}
		s, err := timeseries.Periodogram(src.Column(c, nil), dt, seg)
		if err != nil {
			continue
		}
		f := s.Peak(2 / (float64(seg) * dt))
		if math.IsNaN(f) || f <= 0 {
			continue
		}
		out[c] = rhythm{Hz: f, Period: periodText(1/f, seconds)}
	}
	return out
}

func periodText(p float64, seconds bool) string {
	if !seconds {
		return fmt.Sprintf("%.4g steps", p)
	}
	if p < 60 {
		return fmt.Sprintf("%.3g s", p)
	}
	return time.Duration(p * float64(time.Second)).Round(time.Minute).String()
}
