package main

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"time"

	"github.com/vica-dev/vica/timeseries"
)

// rhythm is the dominant frequency of a source.
type rhythm struct {
	Hz      float64 `json:"frequency"` // cycles per second when Seconds, per index unit otherwise; 0 for no prominent rhythm
	Period  string  `json:"period"`    // 1/frequency in words
	Seconds bool    `json:"seconds"`   // whether the index counts seconds
}

// samplingStep returns the median step of the index in seconds (for
// timestamps) or index units, and whether the unit is seconds.
func samplingStep(ix *timeseries.Index) (float64, bool) {
	n := ix.Len()
	if ix.Kind == timeseries.NoIndex || n < 2 {
		return 1, false
	}
	steps := make([]float64, n-1)
	for i := range steps {
		steps[i] = ix.Float(i+1) - ix.Float(i)
	}
	slices.Sort(steps)
	return steps[len(steps)/2], ix.Kind == timeseries.TimeIndex || secondsName.MatchString(ix.Name)
}

// secondsName matches names of number columns that count seconds, such as
// time_s, t_sec or seconds.
var secondsName = regexp.MustCompile(`(?i)(^|[_ ])(s|sec|secs|seconds)$|^seconds`)

// dominantRhythms finds the frequency of largest power of every channel
// of src, ignoring the two lowest frequency bins, where slow drift lives.
// The spectrum is the periodogram of the whole series up to 4096 samples
// (the finest resolution, which short recordings such as 10 s of ECG
// need), and Welch's average over segments of max(4096, n/8) samples
// beyond. A channel whose peak does not stand out gets no rhythm.
func dominantRhythms(src *timeseries.Frame) []rhythm {
	dt, seconds := samplingStep(src.Index())
	n := src.Rows()
	seg := n
	if n > 4096 {
		seg = max(4096, n/8)
	}
	out := make([]rhythm, src.Channels())
	for c := range out {
		s, err := timeseries.Periodogram(src.Column(c, nil), dt, seg)
		if err != nil {
			continue
		}
		lo := 2 / (float64(seg) * dt)
		f := s.Peak(lo)
		if math.IsNaN(f) || f <= 0 || !prominent(s, f, lo) {
			continue
		}
		out[c] = rhythm{Hz: f, Period: periodText(1/f, seconds), Seconds: seconds}
	}
	return out
}

// minProminence is how many times the median power a peak must reach to be
// called a rhythm. The power of a white-noise bin is exponential (a single
// periodogram) or close to Gaussian (Welch's average): the largest of a few
// thousand bins stays within about 12 times the median (measured: 11 to 13
// over 20 series of 2,500 to 20,000 samples), so 20 leaves a margin.
const minProminence = 20

// prominent reports whether the power at f stands out of the spectrum above lo.
func prominent(s *timeseries.Spectrum, f, lo float64) bool {
	var pw []float64
	peak := 0.0
	for i, fr := range s.Freq {
		if fr > lo {
			pw = append(pw, s.Power[i])
			if fr == f {
				peak = s.Power[i]
			}
		}
	}
	if len(pw) < 3 {
		return false
	}
	slices.Sort(pw)
	return peak >= minProminence*pw[len(pw)/2]
}

func periodText(p float64, seconds bool) string {
	if !seconds {
		return fmt.Sprintf("%.4g index units", p)
	}
	if p < 60 {
		return fmt.Sprintf("%.3g s", p)
	}
	return time.Duration(p * float64(time.Second)).Round(time.Minute).String()
}
