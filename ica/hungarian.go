package ica

import (
	"fmt"
	"math"
)

// Hungarian returns a maximum-weight matching of the rows of w to its
// columns: match[i] is the column of row i, or -1 if row i is unmatched
// (only when w has more rows than columns). Every row is matched when
// rows <= columns, every column when columns <= rows, and the total weight of
// the matched entries is the largest possible. It runs in O(n²m) time for an
// n×m matrix with n <= m (the shortest augmenting path form of the Hungarian
// algorithm, Kuhn 1955 and Jonker and Volgenant 1987).
//
// Rows must have equal lengths and weights must be finite; otherwise the
// error wraps [ErrShape] or [ErrNonFinite].
func Hungarian(w [][]float64) ([]int, error) {
	rows := len(w)
	if rows == 0 {
		return []int{}, nil
	}
	cols := len(w[0])
	for i, r := range w {
		if len(r) != cols {
			return nil, fmt.Errorf("%w: row %d has %d weights, row 1 has %d", ErrShape, i+1, len(r), cols)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: weight %g at row %d, column %d", ErrNonFinite, v, i+1, j+1)
			}
		}
	}
	match := make([]int, rows)
	if cols == 0 {
		for i := range match {
			match[i] = -1
		}
		return match, nil
	}
	// The algorithm below minimises cost over n <= m; maximising weight is
	// minimising its negative, and a tall matrix is solved transposed.
	transposed := rows > cols
	n, m := rows, cols
	cost := func(i, j int) float64 { return -w[i][j] }
	if transposed {
		n, m = cols, rows
		cost = func(i, j int) float64 { return -w[j][i] }
	}
	// Potentials u (rows) and v (columns), 1-based with a virtual column 0;
	// p[j] is the row matched to column j, way[j] the previous column on the
	// shortest augmenting path.
	u := make([]float64, n+1)
	v := make([]float64, m+1)
	p := make([]int, m+1)
	way := make([]int, m+1)
	minv := make([]float64, m+1)
	used := make([]bool, m+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = math.Inf(1)
			used[j] = false
		}
		for {
			used[j0] = true
			i0 := p[j0]
			delta := math.Inf(1)
			j1 := -1
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				cur := cost(i0-1, j-1) - u[i0] - v[j]
				if cur < minv[j] {
					minv[j] = cur
					way[j] = j0
				}
				if j1 < 0 || minv[j] < delta {
					delta = minv[j]
					j1 = j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	for i := range match {
		match[i] = -1
	}
	for j := 1; j <= m; j++ {
		if p[j] == 0 {
			continue
		}
		if transposed {
			match[j-1] = p[j] - 1
		} else {
			match[p[j]-1] = j - 1
		}
	}
	return match, nil
}
