package timeseries

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
	"gonum.org/v1/gonum/dsp/window"
)

// ErrSpectrum is returned when a spectrum cannot be estimated.
var ErrSpectrum = errors.New("timeseries: cannot estimate a spectrum")

// Spectrum is a one-sided power spectrum: Power[i] is the power at
// frequency Freq[i], in cycles per unit of the sampling interval's unit
// (Hz when the interval is in seconds).
type Spectrum struct {
	Freq  []float64
	Power []float64
}

// Periodogram estimates the power spectrum of x, sampled every dt, by
// Welch's method (Welch 1967): the mean of the periodograms of Hann-windowed
// segments of length seg overlapping by half, each with its mean removed.
// Averaging trades frequency resolution (1/(seg·dt)) for a variance that
// falls with the number of segments, so peaks stand out of the noise.
// seg <= 0 or seg > len(x) means one segment of the whole series. Missing
// values (NaN) are replaced by the segment mean.
func Periodogram(x []float64, dt float64, seg int) (*Spectrum, error) {
	if len(x) < 4 || !(dt > 0) || math.IsInf(dt, 0) {
		return nil, ErrSpectrum
	}
	if seg <= 0 || seg > len(x) {
		seg = len(x)
	}
	fft := fourier.NewFFT(seg)
	buf := make([]float64, seg)
	var coef []complex128
	power := make([]float64, seg/2+1)
	n := 0
	for start := 0; start+seg <= len(x); start += max(seg/2, 1) {
		var sum float64
		var cnt int
		for _, v := range x[start : start+seg] {
			if !math.IsNaN(v) {
				sum += v
				cnt++
			}
		}
		if cnt < seg/2 {
			continue // mostly missing: skip the segment
		}
		mean := sum / float64(cnt)
		for i, v := range x[start : start+seg] {
			if math.IsNaN(v) {
				v = mean
			}
			buf[i] = v - mean
		}
		window.Hann(buf)
		coef = fft.Coefficients(coef, buf)
		for i, c := range coef {
			power[i] += real(c)*real(c) + imag(c)*imag(c)
		}
		n++
	}
	if n == 0 {
		return nil, ErrSpectrum
	}
	s := &Spectrum{Freq: make([]float64, len(power)), Power: power}
	for i := range power {
		s.Freq[i] = fft.Freq(i) / dt
		power[i] /= float64(n)
	}
	return s, nil
}

// Peak returns the frequency of largest power above lo (exclusive of the
// zero frequency), or NaN if there is none. lo excludes slow drift, which
// carries most of the power of many sensor channels.
func (s *Spectrum) Peak(lo float64) float64 {
	best, f := -1.0, math.NaN()
	for i := 1; i < len(s.Freq); i++ {
		if s.Freq[i] > lo && s.Power[i] > best {
			best, f = s.Power[i], s.Freq[i]
		}
	}
	return f
}
