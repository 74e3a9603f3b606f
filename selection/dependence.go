package selection

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sort"

	"gonum.org/v1/gonum/mathext"
)

// DependentMI is the mutual information, in nats, above which two active
// dimensions of a fit are read as parts of one source rather than as two
// (see [independentCount]). A single source through a leaky-ReLU mixing
// lies on a curve with a kink at zero, and fits often spend two
// dimensions on it, one for each side of the kink: their posterior means
// form an L, each a non-monotone function of the source, and they share
// 0.21 to 0.32 nats. Independent dimensions share none (the estimate
// scatters by about 0.02 nats), and two sources that a fit leaves partly
// mixed share some: up to 0.17 nats, between the dimensions of noise-free
// 3 sources in 4 channels through 3 layers. The constant lies between
// those, as measured on the fits of seeds 94100, 95100 and 96100 and of
// 22 datasets of stop 24's misses and their contrasts (docs/counting.md).
// On the fresh suites it was judged on (seeds 106100 to 111100, 118100 to
// 123100 and 130100 to 137100, 512 datasets) it fixed 6 final counts, one
// or two sources in 2, 3 or 6 noisy channels counted one too many, and
// broke 1, a noise-free 3 in 3 through 3 layers whose two real sources a
// fit left sharing 0.35 nats.
const DependentMI = 0.19

// dependenceRows is the most rows (evenly spaced) that the mutual
// information is estimated from, and dependenceNeighbours the estimator's
// k; with these the estimate's standard deviation for independent
// dimensions is about 0.02 nats.
const (
	dependenceRows       = 2000
	dependenceNeighbours = 5
)

// A DependentPair is two active dimensions of a fit whose posterior means
// share at least DependentMI nats.
type DependentPair struct {
	// A and B are the dimensions' places in Result.PerDimKL (from 0).
	A int `json:"a"`
	B int `json:"b"`
	// MI is their estimated mutual information, nats.
	MI float64 `json:"mi"`
}

// independentCount returns the number of independent sources among a
// fit's active dimensions (KL above threshold): the size of the largest
// set of them in which no two share more than DependentMI nats of mutual
// information. mu holds the posterior means, K per row. The dependent
// pairs are returned with the dimensions numbered as in byKL(kl).
//
// The largest such set, rather than the number of groups that the
// dependent pairs join, keeps two sources apart when a third dimension
// depends on both: a source split in two is one dimension of the set,
// and a fit that leaves two sources partly mixed in a third dimension
// still shows both.
func independentCount(mu []float64, K int, kl []float64, threshold float64) (int, []DependentPair) {
	var active []int
	for _, k := range byKL(kl) {
		if kl[k] > threshold {
			active = append(active, k)
		}
	}
	n := len(mu) / K
	stride := max(1, (n+dependenceRows-1)/dependenceRows)
	cols := make([][]float64, len(active))
	for a, k := range active {
		for i := 0; i < n; i += stride {
			cols[a] = append(cols[a], mu[i*K+k])
		}
	}
	var pairs []DependentPair
	for a := range active {
		for b := a + 1; b < len(active); b++ {
			if mi := mutualInformation(cols[a], cols[b], dependenceNeighbours); mi > DependentMI {
				pairs = append(pairs, DependentPair{A: a, B: b, MI: mi})
			}
		}
	}
	return largestIndependent(len(active), pairs), pairs
}

// largestIndependent returns the size of the largest subset of n
// dimensions that holds no pair of pairs. Up to exhaustiveDims dimensions
// it tries every subset; beyond, it goes down the dimensions in order
// (largest KL first) and keeps each that pairs with none kept, which
// gives a subset that may fall short of the largest.
func largestIndependent(n int, pairs []DependentPair) int {
	if len(pairs) == 0 {
		return n
	}
	if n > exhaustiveDims {
		paired := make(map[[2]int]bool)
		for _, p := range pairs {
			paired[[2]int{p.A, p.B}] = true
		}
		var kept []int
		for b := range n {
			if !slices.ContainsFunc(kept, func(a int) bool { return paired[[2]int{a, b}] }) {
				kept = append(kept, b)
			}
		}
		return len(kept)
	}
	conflict := make([]uint32, n) // bit b of conflict[a]: a and b pair
	for _, p := range pairs {
		conflict[p.A] |= 1 << p.B
		conflict[p.B] |= 1 << p.A
	}
	best := 1
	for set := uint32(1); set < 1<<n; set++ {
		size := bits.OnesCount32(set)
		if size <= best {
			continue
		}
		ok := true
		for a := range n {
			if set&(1<<a) != 0 && conflict[a]&set != 0 {
				ok = false
				break
			}
		}
		if ok {
			best = size
		}
	}
	return best
}

// exhaustiveDims is the most active dimensions for which
// largestIndependent tries every subset (2^16 of them).
const exhaustiveDims = 16

// mutualInformation estimates the mutual information of x and y, nats, by
// the first estimator of Kraskov, Stögbauer and Grassberger (2004) with k
// neighbours in the maximum norm: ψ(k) + ψ(n) - <ψ(n_x+1) + ψ(n_y+1)>,
// where n_x counts the points closer in x than the k-th neighbour in the
// plane. Both variables are replaced by their ranks first, which leaves
// the mutual information unchanged and the estimate unmoved by long tails
// (posterior means have them). It is 0 for fewer than k+2 points or a
// constant variable, and can be slightly negative.
func mutualInformation(x, y []float64, k int) float64 {
	n := len(x)
	sx, sy := ranks(x), ranks(y)
	if n < k+2 || sx == nil || sy == nil {
		return 0
	}
	// The points in order of x, so that the neighbour search can stop
	// once the gap in x alone exceeds the k-th distance found.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return sx[order[a]] < sx[order[b]] })
	xs, ys := make([]float64, n), make([]float64, n)
	for i, o := range order {
		xs[i], ys[i] = sx[o], sy[o]
	}
	ySorted := slices.Sorted(slices.Values(ys))
	near := make([]float64, k) // the k smallest distances so far, ascending
	var sum float64
	for i := range n {
		for j := range near {
			near[j] = math.Inf(1)
		}
		lo, hi := i-1, i+1
		for lo >= 0 || hi < n {
			var j int
			if hi >= n || lo >= 0 && xs[i]-xs[lo] < xs[hi]-xs[i] {
				j, lo = lo, lo-1
			} else {
				j, hi = hi, hi+1
			}
			dx := math.Abs(xs[j] - xs[i])
			if dx >= near[k-1] {
				break
			}
			d := max(dx, math.Abs(ys[j]-ys[i]))
			if d < near[k-1] {
				at := sort.SearchFloat64s(near, d)
				copy(near[at+1:], near[at:k-1])
				near[at] = d
			}
		}
		eps := near[k-1]
		nx := within(xs, xs[i], eps) - 1
		ny := within(ySorted, ys[i], eps) - 1
		sum += mathext.Digamma(float64(nx+1)) + mathext.Digamma(float64(ny+1))
	}
	return mathext.Digamma(float64(k)) + mathext.Digamma(float64(n)) - sum/float64(n)
}

// within returns the number of values of sorted strictly within eps of v.
func within(sorted []float64, v, eps float64) int {
	lo := sort.Search(len(sorted), func(i int) bool { return sorted[i] > v-eps })
	hi := sort.Search(len(sorted), func(i int) bool { return sorted[i] >= v+eps })
	return hi - lo
}

// ranks returns the rank of each value of x (0 for the smallest, ties in
// order of position); nil if x is constant.
func ranks(x []float64) []float64 {
	if slices.Min(x) == slices.Max(x) {
		return nil
	}
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	out := make([]float64, len(x))
	for r, i := range order {
		out[i] = float64(r)
	}
	return out
}
