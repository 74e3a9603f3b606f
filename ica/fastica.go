package ica

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// FastICASettings tune [FastICA]. The zero value gives the defaults.
type FastICASettings struct {
	// MaxIter is the largest number of fixed-point iterations. Default 200.
	MaxIter int
	// Tol stops the iteration when every unmixing vector has moved less
	// than this: max over i of |1 - |wᵢ·wᵢ'|| < Tol. Default 1e-4, as in
	// scikit-learn.
	Tol float64
	// RankTol is the relative size below which an eigenvalue of the
	// covariance counts as zero (a direction with no variance, as from a
	// duplicated channel): eigenvalues below RankTol × the largest are
	// dropped. Default 1e-10.
	RankTol float64
}

// FastICAResult is the outcome of [FastICA]. The sources are
//
//	Sources = (X - Mean)·Unmixingᵀ
//
// and X ≈ Sources·Mixingᵀ + Mean, exactly when n equals the rank of X.
type FastICAResult struct {
	// Sources holds one row per row of X and one column per component,
	// each with mean 0 and variance 1.
	Sources *mat.Dense
	// Unmixing is n × D: whitening followed by rotation.
	Unmixing *mat.Dense
	// Mixing is D × n: the pseudo-inverse of Unmixing.
	Mixing *mat.Dense
	// Mean is the mean of each channel, removed before unmixing.
	Mean []float64
	// Iterations is the number of fixed-point iterations run.
	Iterations int
	// Converged reports whether the tolerance was met within MaxIter
	// iterations; if not, the result is the last iterate.
	Converged bool
	// Rank is the number of directions of X with non-negligible variance
	// (at most D); n <= Rank.
	Rank int
}

// FastICA finds n linearly independent components of x (rows = time,
// columns = channels) with the symmetric FastICA algorithm and the log cosh
// contrast G(u) = log cosh u, g = tanh (Hyvärinen 1999, eq. 19 with
// symmetric decorrelation W ← (WWᵀ)^(-1/2)W). The data are centred and
// whitened by PCA onto their n leading principal directions first.
//
// n = 0 asks for as many components as x has non-negligible principal
// directions (its rank, which is D unless channels are linearly dependent);
// asking for more than the rank is an error wrapping [ErrRankDeficient].
// s may be nil. The initial unmixing is drawn from rng, so a given rng state
// gives a given result. Values of x must be finite.
func FastICA(x *mat.Dense, n int, s *FastICASettings, rng *rand.Rand) (*FastICAResult, error) {
	var set FastICASettings
	if s != nil {
		set = *s
	}
	if set.MaxIter == 0 {
		set.MaxIter = 200
	}
	if set.Tol == 0 {
		set.Tol = 1e-4
	}
	if set.RankTol == 0 {
		set.RankTol = 1e-10
	}
	if set.MaxIter < 0 || !(set.Tol > 0) || !(set.RankTol > 0 && set.RankTol < 1) {
		return nil, fmt.Errorf("%w: FastICA MaxIter %d, Tol %g, RankTol %g", ErrSettings, set.MaxIter, set.Tol, set.RankTol)
	}
	if x == nil || x.IsEmpty() {
		return nil, fmt.Errorf("%w: FastICA of an empty matrix", ErrShape)
	}
	rows, d := x.Dims()
	if n < 0 || n > d {
		return nil, fmt.Errorf("%w: %d components asked of %d channels", ErrSettings, n, d)
	}
	if rows < 3 {
		return nil, fmt.Errorf("%w: FastICA needs at least 3 rows, got %d", ErrTooFewRows, rows)
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < d; j++ {
			if v := x.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: %g at row %d, channel %d", ErrNonFinite, v, i+1, j+1)
			}
		}
	}

	// Centre.
	mean := make([]float64, d)
	xc := mat.DenseCopyOf(x)
	for j := 0; j < d; j++ {
		var m float64
		for i := 0; i < rows; i++ {
			m += xc.At(i, j)
		}
		m /= float64(rows)
		mean[j] = m
		for i := 0; i < rows; i++ {
			xc.Set(i, j, xc.At(i, j)-m)
		}
	}

	// Whiten: K = Λ^(-1/2) Eᵀ over the n leading eigenpairs of the
	// covariance, so Z = Xc·Kᵀ has identity covariance.
	var cov mat.SymDense
	cov.SymOuterK(1/float64(rows), xc.T())
	var eig mat.EigenSym
	if !eig.Factorize(&cov, true) {
		return nil, fmt.Errorf("%w: eigendecomposition of the covariance failed", ErrNonFinite)
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	top := vals[d-1]
	rank := 0
	for _, v := range vals {
		if v > set.RankTol*top {
			rank++
		}
	}
	if rank == 0 {
		return nil, fmt.Errorf("%w: every channel is constant", ErrRankDeficient)
	}
	if n == 0 {
		n = rank
	}
	if n > rank {
		return nil, fmt.Errorf("%w: %d components asked, but the %d channels span only %d directions (duplicated or linearly dependent channels?)",
			ErrRankDeficient, n, d, rank)
	}
	k := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		col := d - 1 - i
		sc := 1 / math.Sqrt(vals[col])
		for j := 0; j < d; j++ {
			k.Set(i, j, sc*vecs.At(j, col))
		}
	}
	var z mat.Dense
	z.Mul(xc, k.T())

	// Fixed-point iteration (Hyvärinen 1999, eq. 20, in matrix form):
	// W ← E[g(WZ)Zᵀ] - diag(E[g'(WZ)])W, then symmetric decorrelation.
	w := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			w.Set(i, j, rng.NormFloat64())
		}
	}
	if err := symDecorrelate(w); err != nil {
		return nil, err
	}
	res := &FastICAResult{Mean: mean, Rank: rank}
	y := mat.NewDense(rows, n, nil)
	gz := mat.NewDense(n, n, nil)
	w1 := mat.NewDense(n, n, nil)
	var check mat.Dense
	dg := make([]float64, n)
	for it := 1; it <= set.MaxIter; it++ {
		res.Iterations = it
		y.Mul(&z, w.T())
		raw := y.RawMatrix()
		clear(dg)
		for i := 0; i < rows; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+n]
			for j, v := range row {
				g := math.Tanh(v)
				row[j] = g
				dg[j] += 1 - g*g
			}
		}
		gz.Mul(y.T(), &z)
		for i := 0; i < n; i++ {
			m := dg[i] / float64(rows)
			for j := 0; j < n; j++ {
				w1.Set(i, j, gz.At(i, j)/float64(rows)-m*w.At(i, j))
			}
		}
		if err := symDecorrelate(w1); err != nil {
			return nil, err
		}
		check.Mul(w1, w.T())
		var lim float64
		for i := 0; i < n; i++ {
			lim = max(lim, math.Abs(math.Abs(check.At(i, i))-1))
		}
		w.Copy(w1)
		if lim < set.Tol {
			res.Converged = true
			break
		}
	}

	unmix := mat.NewDense(n, d, nil)
	unmix.Mul(w, k)
	var src mat.Dense
	src.Mul(xc, unmix.T())
	// Mixing = Unmixing⁺ = Unmixingᵀ(Unmixing·Unmixingᵀ)⁻¹; full row rank
	// since K has orthogonal rows and W is orthogonal.
	var g, gi mat.Dense
	g.Mul(unmix, unmix.T())
	if err := gi.Inverse(&g); err != nil {
		return nil, fmt.Errorf("%w: unmixing is singular: %v", ErrRankDeficient, err)
	}
	mix := mat.NewDense(d, n, nil)
	mix.Mul(unmix.T(), &gi)
	res.Sources, res.Unmixing, res.Mixing = &src, unmix, mix
	return res, nil
}

// symDecorrelate replaces w by (wwᵀ)^(-1/2)w, the nearest orthogonal matrix.
func symDecorrelate(w *mat.Dense) error {
	n, _ := w.Dims()
	var s mat.SymDense
	s.SymOuterK(1, w)
	var eig mat.EigenSym
	if !eig.Factorize(&s, true) {
		return fmt.Errorf("%w: FastICA diverged (decorrelation failed)", ErrNonFinite)
	}
	vals := eig.Values(nil)
	var e mat.Dense
	eig.VectorsTo(&e)
	for _, v := range vals {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: FastICA diverged (singular unmixing)", ErrNonFinite)
		}
	}
	// (wwᵀ)^(-1/2) = E Λ^(-1/2) Eᵀ
	scaled := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			scaled.Set(i, j, e.At(i, j)/math.Sqrt(vals[j]))
		}
	}
	var inv, out mat.Dense
	inv.Mul(scaled, e.T())
	out.Mul(&inv, w)
	w.Copy(&out)
	return nil
}
