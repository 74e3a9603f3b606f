package timeseries

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// frame3 has channels a, b, c over 4 rows: a value's tens are its row and
// its units its channel (row 2 channel 1 is 21), with a time index.
func frame3(t *testing.T) *Frame {
	t.Helper()
	data := []float64{
		0, 1, 2,
		10, 11, 12,
		20, 21, 22,
		30, 31, 32,
	}
	f, err := New([]string{"a", "b", "c"}, data, &Index{Kind: NumberIndex, Numbers: []float64{0.5, 1, 1.5, 2}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSelectExclude(t *testing.T) {
	tests := []struct {
		name    string
		exclude bool
		args    []string
		want    []string // expected channels; values follow from frame3's pattern
		err     error
	}{
		{"select reorders", false, []string{"c", "a"}, []string{"c", "a"}, nil},
		{"select one", false, []string{"b"}, []string{"b"}, nil},
		{"select none", false, nil, nil, ErrNoChannels},
		{"select unknown", false, []string{"a", "zz"}, nil, ErrUnknown},
		{"select twice", false, []string{"a", "a"}, nil, ErrDuplicate},
		{"exclude one", true, []string{"b"}, []string{"a", "c"}, nil},
		{"exclude nothing", true, nil, []string{"a", "b", "c"}, nil},
		{"exclude all", true, []string{"a", "b", "c"}, nil, ErrNoChannels},
		{"exclude unknown", true, []string{"zz"}, nil, ErrUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := frame3(t)
			var g *Frame
			var err error
			if tt.exclude {
				g, err = f.Exclude(tt.args...)
			} else {
				g, err = f.Select(tt.args...)
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if !slices.Equal(g.Names(), tt.want) {
				t.Fatalf("names %q, want %q", g.Names(), tt.want)
			}
			for r := range g.Rows() {
				for c, n := range g.Names() {
					if want := float64(10*r + f.Lookup(n)); g.At(r, c) != want {
						t.Errorf("row %d %s = %g, want %g", r, n, g.At(r, c), want)
					}
				}
			}
			if g.Index().Kind != NumberIndex || g.Index().Len() != 4 {
				t.Errorf("index not carried over: %+v", g.Index())
			}
			g.Data()[0] = -1
			if f.At(0, f.Lookup(g.Names()[0])) == -1 {
				t.Error("result shares data with the source; want a copy")
			}
		})
	}
}

func TestUnknownListsChannels(t *testing.T) {
	_, err := frame3(t).Select("temp")
	for _, s := range []string{`"temp"`, `"a", "b", "c"`} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("error %v does not contain %s", err, s)
		}
	}
}

func TestSlice(t *testing.T) {
	f := frame3(t)
	g := f.Slice(1, 3)
	if g.Rows() != 2 || g.Channels() != 3 || g.At(0, 0) != 10 || g.At(1, 2) != 22 {
		t.Fatalf("Slice(1, 3) = %v", g.Data())
	}
	if got := g.Index().Numbers; !slices.Equal(got, []float64{1, 1.5}) {
		t.Errorf("index %v, want [1 1.5]", got)
	}
	g.Row(0)[1] = math.Pi
	if f.At(1, 1) != math.Pi {
		t.Error("Slice copied the data; want a view")
	}
	if e := f.Slice(4, 4); e.Rows() != 0 {
		t.Errorf("empty slice has %d rows", e.Rows())
	}
	defer func() {
		if recover() == nil {
			t.Error("Slice(2, 5) of 4 rows did not panic")
		}
	}()
	f.Slice(2, 5)
}
