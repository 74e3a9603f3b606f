package synth_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/vica-dev/vica/ica/synth"
	"gonum.org/v1/gonum/mat"
)

func TestJacobian(t *testing.T) {
	// Central differences of Forward with step h: exact for a leaky-ReLU
	// mixing away from its kinks, and off by O(h²) ≈ 1e-12 for the smooth
	// one; rounding adds about 1e-16/h ≈ 1e-10 relative to the channels.
	const h, tol = 1e-6, 1e-6
	for _, nl := range []synth.Nonlinearity{synth.LeakyReLU, synth.TanhLike} {
		for _, layers := range []int{1, 2, 3} {
			for _, d := range []int{4, 7} {
				t.Run(fmt.Sprintf("%v/L=%d/D=%d", nl, layers, d), func(t *testing.T) {
					ds, err := synth.Generate(small(func(s *synth.Settings) {
						s.Nonlinearity, s.MixingLayers, s.Channels = nl, layers, d
					}))
					if err != nil {
						t.Fatal(err)
					}
					k := ds.Sources.Channels()
					for i := 0; i < ds.Sources.Rows(); i += 97 {
						s := ds.Sources.Row(i)
						j := ds.Mixing.Jacobian(s)
						if r, c := j.Dims(); r != k || c != d {
							t.Fatalf("Jacobian is %d×%d, want %d×%d", r, c, k, d)
						}
						for src := range k {
							up := append([]float64(nil), s...)
							down := append([]float64(nil), s...)
							up[src] += h
							down[src] -= h
							x := ds.Mixing.Forward(mat.NewDense(2, k, append(up, down...)))
							for c := range d {
								fd := (x.At(0, c) - x.At(1, c)) / (2 * h)
								if got := j.At(src, c); math.Abs(got-fd) > tol*(1+math.Abs(fd)) {
									t.Fatalf("row %d: ∂x%d/∂s%d = %g, finite differences %g", i, c+1, src+1, got, fd)
								}
							}
						}
					}
				})
			}
		}
	}
}

func TestInformationOneChannel(t *testing.T) {
	// One source in one channel through one layer, x = a·s + noise of variance a²·var(s)/10^(snr/10):
	// the information is the mean over steps of ½·log(1 + 10^(snr/10)·var_u(s)/var(s)),
	// computed here from the sources alone. Only rounding separates the two.
	const tol = 1e-9
	const snr = 20
	ds, err := synth.Generate(small(func(s *synth.Settings) { s.Sources, s.MixingLayers, s.SNR = 1, 1, snr }))
	if err != nil {
		t.Fatal(err)
	}
	s := ds.Sources.Column(0, nil)
	total := popVar(s)
	n := ds.Settings.SegmentLength
	var want float64
	for u := range ds.Settings.Segments {
		seg := s[u*n : (u+1)*n]
		want += float64(n) * 0.5 * math.Log1p(math.Pow(10, snr/10)*popVar(seg)/total)
	}
	want /= float64(len(s))
	got := ds.Information()
	if len(got) != 1 || math.Abs(got[0]-want) > tol {
		t.Errorf("Information() = %v, want [%g]", got, want)
	}
}

func TestInformationLinear(t *testing.T) {
	// A linear mixing x = s·A + noise: |P⊥ j_k|² is the same at every step,
	// and equals 1/(G⁻¹)_kk for the Gram matrix G = B·Bᵀ of the rows of A
	// scaled by each channel's noise standard deviation (B), the residual of
	// regressing one row on the others. The noise standard deviations come
	// from the same dataset without noise (noise is drawn last, so the
	// sources and the mixing are the same). Only rounding separates the two.
	const tol = 1e-9
	const snr = 20
	set := func(s *synth.Settings) { s.Sources, s.Channels, s.MixingLayers = 3, 5, 1 }
	clean, err := synth.Generate(small(set))
	if err != nil {
		t.Fatal(err)
	}
	noisy, err := synth.Generate(small(func(s *synth.Settings) { set(s); s.SNR = snr }))
	if err != nil {
		t.Fatal(err)
	}
	k, d := 3, 5
	b := clean.Mixing.Weight(0)
	for c := range d {
		x := clean.X.Column(c, nil)
		sd := math.Sqrt(popVar(x) / math.Pow(10, snr/10))
		for j := range k {
			b.Set(j, c, b.At(j, c)/sd)
		}
	}
	var g, gi mat.Dense
	g.Mul(b, b.T())
	if err := gi.Inverse(&g); err != nil {
		t.Fatal(err)
	}
	got := noisy.Information()
	n, segs := noisy.Settings.SegmentLength, noisy.Settings.Segments
	for j := range k {
		s := noisy.Sources.Column(j, nil)
		var want float64
		for u := range segs {
			want += 0.5 * math.Log1p(popVar(s[u*n:(u+1)*n])/gi.At(j, j)) / float64(segs)
		}
		if math.Abs(got[j]-want) > tol {
			t.Errorf("source %d: information %g, want %g", j+1, got[j], want)
		}
	}
}

func TestInformationSNR(t *testing.T) {
	// The same sources and mixing (noise is drawn last) at 40 and 50 dB:
	// with the signal 10⁴ times the noise or more, ½·log(1 + x) grows by
	// ½·log 10 when x grows tenfold, to within ½/x ≈ 1e-3 for the weakest
	// segment of a linear mixing; 0.01 leaves room for that.
	const tol = 0.01
	for _, layers := range []int{1, 2} {
		t.Run(fmt.Sprintf("L=%d", layers), func(t *testing.T) {
			info := make([][]float64, 2)
			for i, snr := range []float64{40, 50} {
				ds, err := synth.Generate(small(func(s *synth.Settings) {
					s.Sources, s.Channels, s.MixingLayers, s.SNR = 3, 6, layers, snr
				}))
				if err != nil {
					t.Fatal(err)
				}
				info[i] = ds.Information()
			}
			for k := range info[0] {
				if d := info[1][k] - info[0][k]; math.Abs(d-0.5*math.Ln10) > tol {
					t.Errorf("source %d: information grows by %.4f from 40 to 50 dB, want ½·log 10 = %.4f", k+1, d, 0.5*math.Ln10)
				}
			}
		})
	}
}

func TestInformationNoiseFree(t *testing.T) {
	ds, err := synth.Generate(small(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := ds.Information(); got != nil {
		t.Errorf("noise-free Information() = %v, want nil", got)
	}
}

// popVar returns the variance of x about its mean, over len(x).
func popVar(x []float64) float64 {
	var m, ss float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return ss / float64(len(x))
}
