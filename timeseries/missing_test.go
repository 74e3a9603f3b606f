package timeseries

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

var nan = math.NaN()

// sameFloats reports whether a and b are equal within tol, NaN matching NaN.
func sameFloats(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.IsNaN(a[i]) != math.IsNaN(b[i]) || math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

func TestParseMissingPolicy(t *testing.T) {
	for _, p := range []MissingPolicy{MissingError, MissingDrop, MissingInterpolate, MissingFFill} {
		q, err := ParseMissingPolicy(p.String())
		if err != nil || q != p {
			t.Errorf("ParseMissingPolicy(%q) = %v, %v", p.String(), q, err)
		}
	}
	if _, err := ParseMissingPolicy("mean"); !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), "interpolate") {
		t.Errorf("ParseMissingPolicy(mean) error %v", err)
	}
	var zero MissingPolicy
	if zero != MissingError {
		t.Error("zero policy is not MissingError")
	}
}

func TestHandleMissing(t *testing.T) {
	// Interpolation in the number index 0, 1, 3, 4, 8 (gaps unequal in
	// time): channel x has a gap at index 3 between 1→10 and 4→40:
	// 10 + (3-1)/(4-1)·30 = 30. Channel y gaps at the ends take the
	// nearest value. By row position instead, the same gap would give 25.
	const tol = 1e-12 // a few rounding steps of values near 10..40
	idx := &Index{Kind: NumberIndex, Numbers: []float64{0, 1, 3, 4, 8}}
	data := []float64{
		0, nan,
		10, 5,
		nan, 6,
		40, nan,
		50, nan,
	}
	tests := []struct {
		name    string
		p       MissingPolicy
		index   *Index
		want    []float64
		wantIdx []float64
		dropped int
		filled  int
	}{
		{"interpolate in index", MissingInterpolate, idx, []float64{0, 5, 10, 5, 30, 6, 40, 6, 50, 6}, nil, 0, 4},
		{"interpolate in rows", MissingInterpolate, nil, []float64{0, 5, 10, 5, 25, 6, 40, 6, 50, 6}, nil, 0, 4},
		{"ffill", MissingFFill, idx, []float64{0, 5, 10, 5, 10, 6, 40, 6, 50, 6}, nil, 0, 4},
		{"drop", MissingDrop, idx, []float64{10, 5}, []float64{1}, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := slices.Clone(data)
			f, err := New([]string{"x", "y"}, orig, tt.index)
			if err != nil {
				t.Fatal(err)
			}
			g, rep, err := f.HandleMissing(tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if !sameFloats(g.Data(), tt.want, tol) {
				t.Errorf("data %v, want %v", g.Data(), tt.want)
			}
			if tt.wantIdx != nil && !slices.Equal(g.Index().Numbers, tt.wantIdx) {
				t.Errorf("index %v, want %v", g.Index().Numbers, tt.wantIdx)
			}
			if !slices.Equal(rep.Missing, []int{1, 3}) || rep.RowsDropped != tt.dropped || rep.Filled != tt.filled {
				t.Errorf("report %+v, want missing [1 3], dropped %d, filled %d", rep, tt.dropped, tt.filled)
			}
			if !sameFloats(orig, data, 0) {
				t.Error("the source frame was modified")
			}
		})
	}
}

func TestInterpolateTimeIndex(t *testing.T) {
	// Timestamps 0 s, 1 s, 4 s after an epoch in 2004: the gap at 1 s is a
	// third of the way from 3 to 9, so 5 (by hand). The large epoch checks
	// that times are taken relative, as float64 seconds since 1970 would
	// still be exact here but nanoseconds would not.
	const tol = 1e-12
	base := int64(1078941600) * 1e9
	f, _ := New([]string{"x"}, []float64{3, nan, 9}, &Index{Kind: TimeIndex, Times: []int64{base, base + 1e9, base + 3e9}})
	g, _, err := f.HandleMissing(MissingInterpolate)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.At(1, 0); math.Abs(got-5) > tol {
		t.Errorf("interpolated %v, want 5", got)
	}
}

func TestMissingErrorPolicy(t *testing.T) {
	f, _ := New([]string{"temp", "flow"}, []float64{1, 2, 3, nan, nan, 6, 7, nan}, nil)
	g, rep, err := f.HandleMissing(MissingError)
	var me *MissingValueError
	if !errors.As(err, &me) || !errors.Is(err, ErrMissing) || g != nil {
		t.Fatalf("error %v (%T), frame %v", err, err, g)
	}
	// The first NaN in row order is row 2 (1-based), channel flow.
	if me.Channel != "flow" || me.Row != 2 || me.Total != 3 {
		t.Errorf("error %+v, want flow, row 2, 3 in total", me)
	}
	for _, s := range []string{`"flow"`, "row 2", "3 missing", "--missing drop"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q lacks %q", err, s)
		}
	}
	if rep == nil || rep.Total() != 3 {
		t.Errorf("report %+v, want 3 missing", rep)
	}
}

func TestMissingNone(t *testing.T) {
	f := frame3(t)
	for _, p := range []MissingPolicy{MissingError, MissingDrop, MissingInterpolate, MissingFFill} {
		g, rep, err := f.HandleMissing(p)
		if err != nil || g != f || rep.Total() != 0 {
			t.Errorf("%v: frame %p (want %p), report %+v, error %v", p, g, f, rep, err)
		}
	}
}

func TestAllMissing(t *testing.T) {
	f, _ := New([]string{"ok", "dead"}, []float64{1, nan, 2, nan}, nil)
	for _, p := range []MissingPolicy{MissingError, MissingDrop, MissingInterpolate, MissingFFill} {
		_, _, err := f.HandleMissing(p)
		if !errors.Is(err, ErrAllMissing) || !strings.Contains(err.Error(), `"dead"`) || !strings.Contains(err.Error(), "--exclude dead") {
			t.Errorf("%v: error %v", p, err)
		}
	}
	if _, _, err := f.HandleMissing(MissingPolicy(9)); !errors.Is(err, ErrPolicy) {
		t.Errorf("policy 9: error %v", err)
	}
}

func TestDropEverything(t *testing.T) {
	f, _ := New([]string{"a", "b"}, []float64{1, nan, nan, 2}, nil)
	if _, _, err := f.HandleMissing(MissingDrop); !errors.Is(err, ErrEmpty) {
		t.Errorf("error %v, want ErrEmpty", err)
	}
}
