package selection

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/vica-dev/vica/internal/parallel"
	"github.com/vica-dev/vica/timeseries"
	"gonum.org/v1/gonum/floats"
)

const (
	// ExactTolerance is the relative residual under which a point counts
	// as lying in the affine span of others: its distance from the span
	// over its distance from the base point. Points that lie in the span
	// exactly leave a residual of a few times the float64 rounding
	// (1e-16 to 1e-15 on the simulations), while points in general
	// position among a few dozen neighbours come no closer than 1e-6 (the
	// smallest seen on 20 dB simulations, among thousands of tries), so
	// 1e-10 leaves four orders of magnitude on either side.
	ExactTolerance = 1e-10
	// ExactPoints is the number of rows whose neighbourhoods are searched,
	// and ExactNeighbours the number of nearest neighbours searched per
	// row beyond the number of channels. The deeper the mixing and the
	// more its sources, the smaller its linear pieces and the fewer rows
	// whose neighbours hold enough points of one. Over the 1,152 datasets
	// of BenchmarkCount's 36 suites up to seeds 40100, 500 rows with 60
	// neighbours took 178 dimensions as the count, and these 198, all
	// exact; the 20 more are noise-free 7 or 8 sources in 8, 9 or 21
	// channels, through 2 or 3 layers. Of the 1,152 counts, this changed
	// 4, all from wrong to exact (3 taken, 1 by a tighter bound). The
	// search does about three times the work, shared among the fits'
	// threads (see BenchmarkExactStructure).
	ExactPoints     = 1500
	ExactNeighbours = 100
	// ExactTrials is the number of random subsets tried at each step of
	// the search for a lower-dimensional subset (see local.dimension).
	ExactTrials = 400
	// ExactSupport is the number of searched rows that must find the
	// smallest dimension directly for it to be taken as the count (see
	// Estimate); otherwise it is only an upper bound. A row finds its
	// dimension directly when its nearest neighbours give it with at most
	// one step of the search for a lower flat: the search can stop above
	// K where the neighbourhood straddles several linear pieces, each
	// with too few points. Over the 241 noise-free datasets of
	// BenchmarkCount's first 32 suites where a dimension was found, all 25
	// found above the true count (from 1 to 3 rows) came from such longer
	// searches, while 156 were found directly by two rows or more, all
	// exact (a search of 500 rows with 60 neighbours, before the
	// two-point rule of local.dimension); with the search as it is now,
	// over all 36 suites, 198 were taken, all exact, and no dimension
	// found was below the true count.
	ExactSupport = 2
)

// exactStream is the second word of the PCG that picks the rows of the
// exact-structure search: rand.NewPCG(Settings.Seed, exactStream).
const exactStream = 0x65786163 // "exac"

// Exact is the outcome of the search for exact low-dimensional structure
// in the channels (see [Estimate]).
type Exact struct {
	// Searched is true when the search ran: it runs only on
	// continuous-valued channels, in which no value repeats.
	Searched bool `json:"searched"`
	// Skipped says why it did not run ("" when it did).
	Skipped string `json:"skipped,omitempty"`
	// Dimension is the smallest d for which d+3 or more of the data's
	// points in one neighbourhood were found to lie exactly (within
	// ExactTolerance) in a d-dimensional affine subspace; 0 when none was
	// found. If the channels are a noise-free, piecewise-linear and
	// injective function of K sources (a leaky-ReLU mixing is one), every
	// such d is at least K, and within one linear piece d = K.
	Dimension int `json:"dimension"`
	// Support is the number of searched rows whose neighbourhoods reached
	// Dimension, and Direct the number of those that found it directly
	// (see ExactSupport).
	Support int `json:"support"`
	Direct  int `json:"direct"`
	// Found holds, for each dimension d (the index), the number of
	// searched rows whose neighbourhoods reached d and went no lower.
	Found []int `json:"found,omitempty"`
	// Points is the number of rows searched.
	Points int `json:"points"`
	// Chosen is true when Dimension set the final count: as the count,
	// with Direct of at least ExactSupport; as an upper bound on the
	// count; or, with Reached, as the count because the per-dimension KL
	// count reached it while the count was below it, through dimensions
	// whose variance changes across segments (see decide).
	Chosen  bool `json:"chosen"`
	Reached bool `json:"reached,omitempty"`
}

// decide returns the count given the fits' count, their per-dimension
// KL count and the spread across segments of each dimension's prior
// log-variance in the order of the KL count (Result.PerDimSpread; nil
// without a segment prior), when Dimension was not found directly by
// ExactSupport rows: a count above Dimension falls to it, since Dimension
// bounds the count from above; a count below it rises to it when the KL
// count reaches it through dimensions whose variance changes across
// segments (a spread of at least StationarySpread for each dimension
// beyond the count), and otherwise stays. It sets Chosen, and Reached in
// the second case, when Dimension decides.
//
// The second case is for noise-free deep mixings: there the KL count
// overcounts by encoding the mixing's curvature, which the bound caps,
// while the held-out bound, and with it the rule, undercounts. Over the
// 83 noise-free datasets of BenchmarkCount's 36 suites up to 40100 where
// a bound was found but not taken, the KL count reached a bound above
// the count on 9: 7 had the bound as their true count (7 sources in 14
// channels through 3 layers, counted 6), on one the count went from one
// wrong figure to another (6 to 8 for 7), and one right count of 8 went
// to 9. Then, on the 24 noise-free datasets of eight new suites (seeds
// 45100 to 52100) with that shape or 8 sources in 24 channels through 3
// layers: 6 fixed, none broken, one from one wrong figure to another.
// Seeds 56100 and 57100 broke two more 8 in 24 (8 to 9) and fixed a 7 in
// 14. The spread is asked for since then (stop 20): the iVAE premise is
// that a source's variance changes from segment to segment. Over those 20
// datasets where the KL count reached the bound, the dimension that
// reached it had a spread of 0.160 to 0.412 on the 15 fixes, and 0.142
// and 0.097 on two of the three breaks (8100 #23, 57100 #23), which now
// keep their right count; the third break had 0.242. The threshold is the
// principal check's, not tuned here, and the margin is thin (0.160 against
// 0.142). On 36 fresh datasets of those shapes (seeds 58100 to 69100) the
// rule fired on 4: 3 fixes, all with spreads of at least 0.222, and one
// count that the spread now keeps at one wrong figure (6 for 7) instead
// of another (8).
func (ex *Exact) decide(count, klCount int, spread []float64) int {
	switch {
	case ex.Dimension == 0:
		return count
	case count > ex.Dimension:
		ex.Chosen = true
	case count < ex.Dimension && klCount == ex.Dimension && nonstationary(spread, count, ex.Dimension):
		ex.Chosen, ex.Reached = true, true
	default:
		return count
	}
	return ex.Dimension
}

// nonstationary reports whether every dimension from+1..to (1-based, in
// the order of spread) has a spread of at least StationarySpread; true
// when spread is nil, as without a segment prior to judge by, and false
// when it is too short to judge.
func nonstationary(spread []float64, from, to int) bool {
	if spread != nil && len(spread) < to {
		return false
	}
	for k := from; k < to; k++ {
		if !changing(spread, k) {
			return false
		}
	}
	return true
}

// exactStructure searches the rows of f (the scaled usable channels) for
// exact low-dimensional structure (see local.dimension), sharing the rows
// among workers goroutines; the result does not depend on their number.
// It returns ctx.Err() if ctx is cancelled.
func exactStructure(ctx context.Context, f *timeseries.Frame, seed uint64, workers int) (*Exact, error) {
	ex := &Exact{}
	n, D := f.Rows(), f.Channels()
	if D < 2 || n < D+2 {
		ex.Skipped = "too few channels or rows"
		return ex, nil
	}
	// Quantised values (a sensor's resolution, rounding in a file) put
	// points on a lattice, where exact affine dependencies are common
	// whatever the data's dimension.
	col := make([]float64, n)
	for c := range D {
		col = f.Column(c, col)
		slices.Sort(col)
		for i := 1; i < n; i++ {
			if col[i] == col[i-1] {
				ex.Skipped = fmt.Sprintf("channel %q repeats values (quantised data are on a lattice, whose points line up exactly)", f.Names()[c])
				return ex, nil
			}
		}
	}
	ex.Searched = true
	rng := rand.New(rand.NewPCG(seed, exactStream))
	rows := rng.Perm(n)[:min(n, ExactPoints)]
	ex.Points = len(rows)
	// each row's random subsets come from its own seed
	seeds := make([]uint64, len(rows))
	for i := range seeds {
		seeds[i] = rng.Uint64()
	}
	dims, spans := make([]int, len(rows)), make([]int, len(rows))
	workers = max(1, min(workers, len(rows)))
	err := parallel.Run[struct{}](ctx, workers, workers, nil, func(ctx context.Context, w int, _ func(struct{})) error {
		pcg := rand.NewPCG(0, 0)
		ld := newLocal(f, rand.New(pcg))
		for i := w; i < len(rows); i += workers {
			if err := ctx.Err(); err != nil {
				return err
			}
			pcg.Seed(seeds[i], exactStream)
			dims[i], spans[i] = ld.dimension(rows[i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ex.Found = make([]int, D)
	direct := make([]int, D)
	for i, d := range dims {
		if d > 0 {
			ex.Found[d]++
			if spans[i] <= d+1 {
				direct[d]++
			}
		}
	}
	for d, c := range ex.Found {
		if c > 0 {
			ex.Dimension, ex.Support, ex.Direct = d, c, direct[d]
			break
		}
	}
	return ex, nil
}

// local holds the data and scratch space of local.dimension.
type local struct {
	x    []float64 // row-major, D per row
	n, D int
	rng  *rand.Rand

	dist []float64 // squared distances of the current neighbours
	nb   []int     // their rows, nearest first
	v    [][]float64
	res  [][]float64
	norm []float64
}

func newLocal(f *timeseries.Frame, rng *rand.Rand) *local {
	n, D := f.Rows(), f.Channels()
	k := min(n-1, D+ExactNeighbours)
	l := &local{x: f.Data(), n: n, D: D, rng: rng, nb: make([]int, 0, k), dist: make([]float64, 0, k), norm: make([]float64, k)}
	l.v, l.res = make([][]float64, k), make([][]float64, k)
	for i := range k {
		l.v[i], l.res[i] = make([]float64, D), make([]float64, D)
	}
	return l
}

// dimension returns the smallest dimension d such that row p and d+2 or
// more of its nearest neighbours were found in a d-dimensional affine
// subspace, or 0 if none was, and the dimension c of the first span that
// held two or more other neighbours, from which d was searched down.
//
// It spans the differences to the nearest neighbours one by one, nearest
// first, until two or more neighbours other than those spanning lie in
// that span: then p, the c spanning neighbours and those in the span are
// c+3 or more points in c dimensions. A neighbour already in the span
// adds no direction (its residual is rounding) and is kept as one of the
// points in it. In a piecewise-linear mixing the nearest neighbours
// often straddle a kink, and two linear pieces of dimension K span K+1
// dimensions together; so the points in the span are searched, by random
// subsets, for d+2 of them in a (d-1)-dimensional affine subspace, and d
// is lowered while one is found.
//
// Two points beyond those that define a flat, not one: a single point
// falls within ExactTolerance of a flat by chance once in about 1e10
// tries where only one dimension is left for it to miss by (as in the
// search for a lower flat inside a span), and the search makes millions
// of such tries. Once, over 1,152 datasets searched from 1,500 rows, a
// wider search than this one found 2 dimensions for 3 sources so. Two
// independent coincidences are about 1e10 times rarer.
func (l *local) dimension(p int) (d, c int) {
	D := l.D
	l.nearest(p)
	k := len(l.nb)
	xp := l.x[p*D : (p+1)*D]
	for j, q := range l.nb {
		for i, xq := range l.x[q*D : (q+1)*D] {
			l.v[j][i] = xq - xp[i]
		}
		copy(l.res[j], l.v[j])
		l.norm[j] = norm(l.v[j])
	}
	tiny := func(j int) bool { return norm(l.res[j]) < ExactTolerance*l.norm[j] }
	var basis, skipped, in []int
	for j := range k {
		if tiny(j) {
			// in the span of the basis already: its residual is rounding,
			// no direction
			skipped = append(skipped, j)
			continue
		}
		if len(basis) == D-1 {
			break // D directions span everything
		}
		basis = append(basis, j)
		// the residual of neighbour j off the span so far is the next
		// basis direction; project it off the later ones' residuals
		// (modified Gram-Schmidt)
		q := l.res[j]
		qq := floats.Dot(q, q)
		for i := j + 1; i < k; i++ {
			floats.AddScaled(l.res[i], -floats.Dot(q, l.res[i])/qq, q)
		}
		in = append(in[:0], skipped...)
		for i := j + 1; i < k; i++ {
			if tiny(i) {
				in = append(in, i)
			}
		}
		if len(in) < 2 {
			continue
		}
		c = len(basis)
		// p (the zero difference), the basis neighbours, and those in
		// their span
		pts := make([][]float64, 1, 1+len(basis)+len(in))
		pts[0] = make([]float64, D)
		for _, i := range basis {
			pts = append(pts, l.v[i])
		}
		for _, i := range in {
			pts = append(pts, l.v[i])
		}
		d = c
		for d > 1 {
			sub := l.flat(pts, d)
			if sub == nil {
				break
			}
			pts, d = sub, d-1
		}
		return d, c
	}
	return 0, 0
}

// flat searches pts, which span d dimensions, for d+2 or more points in
// one (d-1)-dimensional affine subspace by ExactTrials random choices of d
// points, and returns the points of the first such subspace found, or nil.
func (l *local) flat(pts [][]float64, d int) [][]float64 {
	n := len(pts)
	if n < d+2 {
		return nil
	}
	basis := make([][]float64, 0, d-1)
	space := make([]float64, (d-1)*l.D) // the basis vectors' storage
	r := make([]float64, l.D)
	on := make([][]float64, 0, n) // the points of a trial's subspace
	for range ExactTrials {
		idx := l.rng.Perm(n)[:d]
		base := pts[idx[0]]
		basis = basis[:0]
		ok := true
		for _, i := range idx[1:] {
			e := l.residual(r, pts[i], base, basis)
			if e < ExactTolerance {
				ok = false // the chosen points do not span d-1 dimensions
				break
			}
			b := space[len(basis)*l.D : (len(basis)+1)*l.D]
			floats.ScaleTo(b, 1/norm(r), r)
			basis = append(basis, b)
		}
		if !ok {
			continue
		}
		on = on[:0]
		for _, x := range pts {
			if l.residual(r, x, base, basis) < ExactTolerance {
				on = append(on, x)
			}
		}
		if len(on) >= d+2 {
			return on
		}
	}
	return nil
}

// residual sets r to x - base less its projection on the orthonormal
// basis, and returns |r| / |x - base| (0 when x is base).
func (l *local) residual(r, x, base []float64, basis [][]float64) float64 {
	floats.SubTo(r, x, base)
	n := norm(r)
	if n == 0 {
		return 0
	}
	for _, b := range basis {
		floats.AddScaled(r, -floats.Dot(b, r), b)
	}
	return norm(r) / n
}

// nearest sets l.nb to the rows nearest to row p (p excluded), nearest
// first.
func (l *local) nearest(p int) {
	D, k := l.D, cap(l.nb)
	xp := l.x[p*D : (p+1)*D]
	l.nb, l.dist = l.nb[:0], l.dist[:0]
	for q := range l.n {
		if q == p {
			continue
		}
		xq := l.x[q*D : (q+1)*D]
		var s float64
		for i, a := range xq {
			d := a - xp[i]
			s += d * d
		}
		if len(l.nb) == k && s >= l.dist[k-1] {
			continue
		}
		// insert in order
		i, _ := slices.BinarySearch(l.dist, s)
		if len(l.nb) < k {
			l.nb, l.dist = append(l.nb, 0), append(l.dist, 0)
		}
		copy(l.nb[i+1:], l.nb[i:])
		copy(l.dist[i+1:], l.dist[i:])
		l.nb[i], l.dist[i] = q, s
	}
}

// norm returns the Euclidean norm of x. floats.Norm(x, 2) guards against
// overflow with a rescaling loop, which made the 500-row search 0.81 s
// against 0.60 s on BenchmarkExactStructure's noise-free case; the scaled
// channels are far from overflow.
func norm(x []float64) float64 { return math.Sqrt(floats.Dot(x, x)) }
