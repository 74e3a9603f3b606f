package selection

import (
	"errors"
	"fmt"
	"math"

	"github.com/vica-dev/vica/timeseries"
	"gonum.org/v1/gonum/mat"
)

// ErrLinear is returned by the linear baselines for data they cannot rank.
var ErrLinear = errors.New("selection: linear baseline")

// Spectrum returns the eigenvalues, largest first, of the correlation
// matrix of the channels of f (the covariance of the z-scored channels,
// with divisor rows), skipping constant channels. f must have no missing
// values and at least two rows.
func Spectrum(f *timeseries.Frame) ([]float64, error) {
	if f == nil || f.Rows() < 2 {
		return nil, fmt.Errorf("%w: fewer than two rows", ErrLinear)
	}
	if err := f.CheckFinite(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLinear, err)
	}
	n, D := f.Rows(), f.Channels()
	var cols [][]float64
	for c := range D {
		col := f.Column(c, nil)
		var mean float64
		for _, v := range col {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("%w: missing value in channel %q", ErrLinear, f.Names()[c])
			}
			mean += v
		}
		mean /= float64(n)
		var ss float64
		for i := range col {
			col[i] -= mean
			ss += col[i] * col[i]
		}
		sd := math.Sqrt(ss / float64(n))
		if !(sd > 0) {
			continue
		}
		for i := range col {
			col[i] /= sd
		}
		cols = append(cols, col)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("%w: every channel is constant", ErrLinear)
	}
	d := len(cols)
	cov := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			var s float64
			for t := range n {
				s += cols[i][t] * cols[j][t]
			}
			cov.SetSym(i, j, s/float64(n))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, false) {
		return nil, fmt.Errorf("%w: eigendecomposition failed", ErrLinear)
	}
	vals := eig.Values(nil) // ascending
	out := make([]float64, d)
	for i, v := range vals {
		out[d-1-i] = max(v, 0)
	}
	return out, nil
}

// Minka returns the dimensionality k in 1..d-1 of probabilistic PCA that
// maximises Minka's Laplace approximation of the evidence (Minka 2000,
// "Automatic choice of dimensionality for PCA", eq. 30, as implemented in
// scikit-learn's PCA(n_components="mle")), for the eigenvalues spectrum
// (largest first) of a covariance estimated from n samples. It returns 1 for
// a spectrum of one value. By construction it never answers d: the model
// needs at least one noise dimension.
func Minka(spectrum []float64, n int) (int, error) {
	d := len(spectrum)
	if d == 0 || n < 1 {
		return 0, fmt.Errorf("%w: %d eigenvalues, %d samples", ErrLinear, d, n)
	}
	if d == 1 {
		return 1, nil
	}
	best, bestLL := 0, math.Inf(-1)
	for k := 1; k < d; k++ {
		ll := minkaLogEvidence(spectrum, k, float64(n))
		if ll > bestLL {
			best, bestLL = k, ll
		}
	}
	if best == 0 {
		return 0, fmt.Errorf("%w: the evidence is not finite for any dimensionality", ErrLinear)
	}
	return best, nil
}

// minkaLogEvidence is log p(D|k) of Minka (2000), eq. 30: the prior of the
// Stiefel manifold p(U), the likelihood at the maximum, and the Laplace
// terms of the Hessian |A_Z| (eq. 73) and the mean (N^(-k/2)).
func minkaLogEvidence(spec []float64, k int, n float64) float64 {
	const eps = 1e-300
	d := len(spec)
	pu := -float64(k) * math.Ln2
	for i := 1; i <= k; i++ {
		g, _ := math.Lgamma(float64(d-i+1) / 2)
		pu += g - math.Log(math.Pi)*float64(d-i+1)/2
	}
	var pl float64
	for _, l := range spec[:k] {
		pl += math.Log(max(l, eps))
	}
	pl *= -n / 2
	var v float64
	for _, l := range spec[k:] {
		v += l
	}
	v = max(eps, v/float64(d-k))
	pv := -math.Log(v) * n * float64(d-k) / 2
	m := float64(d*k) - float64(k*(k+1))/2
	pp := math.Log(2*math.Pi) * (m + float64(k)) / 2
	hat := func(j int) float64 {
		if j < k {
			return max(spec[j], eps)
		}
		return v
	}
	var pa float64
	for i := range k {
		for j := i + 1; j < d; j++ {
			pa += math.Log(max((spec[i]-spec[j])*(1/hat(j)-1/hat(i)), eps)) + math.Log(n)
		}
	}
	return pu + pl + pv + pp - pa/2 - float64(k)*math.Log(n)/2
}

// EigenGap returns the k in 1..d-1 with the largest ratio between
// consecutive eigenvalues λ_k/λ_(k+1) of the spectrum (largest first): the
// "elbow" of a scree plot, measured as a ratio so that it does not depend
// on the data's scale. Eigenvalues are floored at 1e-12 times the largest,
// so an exactly rank-k spectrum answers k. A spectrum of one value answers 1.
func EigenGap(spectrum []float64) (int, error) {
	d := len(spectrum)
	if d == 0 || !(spectrum[0] > 0) {
		return 0, fmt.Errorf("%w: empty or zero spectrum", ErrLinear)
	}
	if d == 1 {
		return 1, nil
	}
	floor := 1e-12 * spectrum[0]
	best, bestR := 1, math.Inf(-1)
	for k := 1; k < d; k++ {
		r := math.Log(max(spectrum[k-1], floor)) - math.Log(max(spectrum[k], floor))
		if r > bestR {
			best, bestR = k, r
		}
	}
	return best, nil
}
