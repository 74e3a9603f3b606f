package ica

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/vica-dev/vica/timeseries"
	"gonum.org/v1/gonum/mat"
)

// Errors returned by the metrics and FastICA.
var (
	ErrShape         = errors.New("ica: inconsistent shapes")
	ErrNonFinite     = errors.New("ica: non-finite value")
	ErrNoComponents  = errors.New("ica: no components")
	ErrTooFewRows    = errors.New("ica: too few complete rows")
	ErrRankDeficient = errors.New("ica: data are rank deficient")
	ErrSettings      = errors.New("ica: invalid settings")
)

// Correlation is the kind of correlation used by [MCC].
type Correlation int

const (
	// Pearson is the linear correlation coefficient.
	Pearson Correlation = iota
	// Spearman is the Pearson correlation of the ranks (ties get their
	// average rank): it scores any monotone relation as 1.
	Spearman
)

// String returns "pearson" or "spearman".
func (c Correlation) String() string {
	switch c {
	case Pearson:
		return "pearson"
	case Spearman:
		return "spearman"
	}
	return "Correlation(" + strconv.Itoa(int(c)) + ")"
}

// MatchResult is the outcome of [MCC].
type MatchResult struct {
	// MCC is the mean absolute correlation over the matched pairs.
	MCC float64
	// Pairs[i] is the estimated component matched to true source i, or -1
	// if source i is unmatched (when there are fewer estimates than sources).
	Pairs []int
	// Corr[i] is the signed correlation of true source i with its match,
	// NaN if it is unmatched.
	Corr []float64
	// Unmatched lists the estimated components matched to no source (when
	// there are more estimates than sources), in increasing order.
	Unmatched []int
	// Rows is the number of rows used: those where every true and
	// estimated value is finite.
	Rows int
}

// MCC returns the mean correlation coefficient between true sources and
// estimated components: the absolute correlations of all pairs are
// computed, the one-to-one matching that maximises their sum is found with
// the [Hungarian] algorithm, and MCC is their mean over the matched pairs.
// Since sources are identifiable only up to order, sign and scale (and, for
// nonlinear ICA, a monotone function per source, which [Spearman] forgives),
// MCC is 1 for a perfect recovery.
//
// truth and est hold one slice per component, all of the same length (the
// rows, in time order). A row is used only if all its true and estimated
// values are finite, so missing values (NaN, such as the first W-1 rows of
// windowed sources) are excluded consistently for all pairs; at least 3 such
// rows are needed. A component that is constant over the rows used has
// correlation 0 with everything.
//
// When the numbers of components differ, min(len(truth), len(est)) pairs are
// matched and MCC is their mean: extra estimates are listed in
// [MatchResult].Unmatched, and missing ones leave sources with Pairs -1. A
// caller who wants to penalise missing sources can use
// MCC·matched/len(truth).
func MCC(truth, est [][]float64, method Correlation) (*MatchResult, error) {
	if len(truth) == 0 || len(est) == 0 {
		return nil, fmt.Errorf("%w: %d true and %d estimated", ErrNoComponents, len(truth), len(est))
	}
	if method != Pearson && method != Spearman {
		return nil, fmt.Errorf("%w: unknown correlation %d", ErrSettings, int(method))
	}
	rows := len(truth[0])
	for _, set := range [...]struct {
		name string
		cols [][]float64
	}{{"true source", truth}, {"estimate", est}} {
		for i, c := range set.cols {
			if len(c) != rows {
				return nil, fmt.Errorf("%w: %s %d has %d rows, true source 1 has %d", ErrShape, set.name, i+1, len(c), rows)
			}
		}
	}
	keep := make([]int, 0, rows)
	for t := 0; t < rows; t++ {
		if finiteAt(truth, t) && finiteAt(est, t) {
			keep = append(keep, t)
		}
	}
	if len(keep) < 3 {
		return nil, fmt.Errorf("%w: %d of %d rows have every value finite, need 3", ErrTooFewRows, len(keep), rows)
	}
	zt := standardised(truth, keep, method)
	ze := standardised(est, keep, method)
	corr := make([][]float64, len(truth))
	abs := make([][]float64, len(truth))
	for i, a := range zt {
		corr[i] = make([]float64, len(est))
		abs[i] = make([]float64, len(est))
		for j, b := range ze {
			var s float64
			for t := range a {
				s += a[t] * b[t]
			}
			s = max(-1, min(1, s)) // rounding may step just outside
			corr[i][j], abs[i][j] = s, math.Abs(s)
		}
	}
	match, err := Hungarian(abs)
	if err != nil {
		return nil, err
	}
	res := &MatchResult{Pairs: match, Corr: make([]float64, len(truth)), Rows: len(keep)}
	used := make([]bool, len(est))
	var sum float64
	var n int
	for i, j := range match {
		if j < 0 {
			res.Corr[i] = math.NaN()
			continue
		}
		used[j] = true
		res.Corr[i] = corr[i][j]
		sum += abs[i][j]
		n++
	}
	for j, u := range used {
		if !u {
			res.Unmatched = append(res.Unmatched, j)
		}
	}
	res.MCC = sum / float64(n)
	return res, nil
}

// MCCFrames is [MCC] on the channels of two frames with the same number of
// rows: every channel of truth is a true source and every channel of est an
// estimate. Select the channels first (for example the sources s1..sK of a
// simulated dataset) if the frames hold others.
func MCCFrames(truth, est *timeseries.Frame, method Correlation) (*MatchResult, error) {
	if truth.Rows() != est.Rows() {
		return nil, fmt.Errorf("%w: %d true rows, %d estimated", ErrShape, truth.Rows(), est.Rows())
	}
	return MCC(frameColumns(truth), frameColumns(est), method)
}

func frameColumns(f *timeseries.Frame) [][]float64 {
	cols := make([][]float64, f.Channels())
	for c := range cols {
		cols[c] = f.Column(c, nil)
	}
	return cols
}

func finiteAt(cols [][]float64, t int) bool {
	for _, c := range cols {
		if v := c[t]; math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// standardised returns each column restricted to the rows in keep (ranked
// for Spearman), centred and scaled to unit norm, so that dot products are
// correlations. A constant column becomes all zeros.
func standardised(cols [][]float64, keep []int, method Correlation) [][]float64 {
	out := make([][]float64, len(cols))
	for i, c := range cols {
		z := make([]float64, len(keep))
		for t, r := range keep {
			z[t] = c[r]
		}
		if method == Spearman {
			z = ranks(z)
		}
		var mean float64
		for _, v := range z {
			mean += v
		}
		mean /= float64(len(z))
		var ss float64
		for t := range z {
			z[t] -= mean
			ss += z[t] * z[t]
		}
		if norm := math.Sqrt(ss); norm > 0 {
			for t := range z {
				z[t] /= norm
			}
		}
		out[i] = z
	}
	return out
}

// ranks returns the ranks (1-based) of x, ties given their average rank.
func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case x[a] < x[b]:
			return -1
		case x[a] > x[b]:
			return 1
		}
		return 0
	})
	r := make([]float64, len(x))
	for lo := 0; lo < len(idx); {
		hi := lo + 1
		for hi < len(idx) && x[idx[hi]] == x[idx[lo]] {
			hi++
		}
		avg := float64(lo+hi+1) / 2 // mean of ranks lo+1 .. hi
		for _, k := range idx[lo:hi] {
			r[k] = avg
		}
		lo = hi
	}
	return r
}

// Amari returns the Amari distance (Amari, Cichocki and Yang 1996) of the
// product P = W·A of an unmixing W (n×D) and the true mixing A (D×n),
// normalised to [0, 1]:
//
//	1/(2n(n-1)) · [Σᵢ(Σⱼ|pᵢⱼ|/maxⱼ|pᵢⱼ| - 1) + Σⱼ(Σᵢ|pᵢⱼ|/maxᵢ|pᵢⱼ| - 1)]
//
// It is 0 exactly when P is a scaled permutation, i.e. when W recovers the
// sources up to order, sign and scale. A zero row or column of P (a lost
// source) counts as the worst case n-1. It is 0 for n = 1, and it panics
// if the product is not square.
func Amari(w, a *mat.Dense) float64 {
	var p mat.Dense
	p.Mul(w, a)
	n, c := p.Dims()
	if n != c {
		panic(fmt.Sprintf("ica: Amari: W·A is %d×%d, not square", n, c))
	}
	if n == 1 {
		return 0
	}
	term := func(at func(int) float64) float64 {
		var sum, big float64
		for k := 0; k < n; k++ {
			v := math.Abs(at(k))
			sum += v
			big = max(big, v)
		}
		if big == 0 {
			return float64(n - 1)
		}
		return sum/big - 1
	}
	var total float64
	for i := 0; i < n; i++ {
		total += term(func(j int) float64 { return p.At(i, j) })
		total += term(func(j int) float64 { return p.At(j, i) })
	}
	return total / float64(2*n*(n-1))
}
