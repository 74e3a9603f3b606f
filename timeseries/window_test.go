package timeseries

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// seqFrame returns rows × cols values numbered 0, 1, 2, ... in storage order.
func seqFrame(t testing.TB, rows, cols int) *Frame {
	t.Helper()
	data := make([]float64, rows*cols)
	for i := range data {
		data[i] = float64(i)
	}
	names := make([]string, cols)
	for c := range names {
		names[c] = string(rune('a' + c))
	}
	f, err := New(names, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestWindows(t *testing.T) {
	tests := []struct {
		rows, w, stride int
		starts          []int // by hand: 0, stride, ... while start+w <= rows
	}{
		{10, 3, 2, []int{0, 2, 4, 6}},
		{10, 3, 1, []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{10, 10, 1, []int{0}},
		{10, 1, 4, []int{0, 4, 8}},
		{10, 4, 3, []int{0, 3, 6}},
	}
	for _, tt := range tests {
		f := seqFrame(t, tt.rows, 2)
		ws, err := f.Windows(tt.w, tt.stride)
		if err != nil {
			t.Fatal(err)
		}
		if ws.Len() != len(tt.starts) || ws.Dim() != 2*tt.w || ws.Width() != tt.w || ws.Stride() != tt.stride || ws.Frame() != f {
			t.Fatalf("%+v: Len %d Dim %d", tt, ws.Len(), ws.Dim())
		}
		for i, s := range tt.starts {
			if ws.Start(i) != s || ws.End(i) != s+tt.w-1 {
				t.Errorf("%+v: window %d spans %d..%d, want %d..%d", tt, i, ws.Start(i), ws.End(i), s, s+tt.w-1)
			}
			row := ws.Row(i)
			want := f.Data()[2*s : 2*(s+tt.w)]
			if !slices.Equal(row, want) || cap(row) != len(row) {
				t.Errorf("%+v: row %d = %v (cap %d), want %v", tt, i, row, cap(row), want)
			}
		}
	}
}

func TestWindowRowIsView(t *testing.T) {
	f := seqFrame(t, 20, 3)
	ws, err := f.Windows(4, 3)
	if err != nil {
		t.Fatal(err)
	}
	ws.Row(2)[4] = -7 // window 2 starts at row 6; element 4 is row 7, channel 1
	if f.At(7, 1) != -7 {
		t.Error("writing to Row did not change the frame: Row copies")
	}
	if &ws.Row(1)[0] != &f.Data()[3*3] {
		t.Error("Row(1) does not point into the frame's storage")
	}
}

func TestWindowErrors(t *testing.T) {
	f := seqFrame(t, 50, 2)
	tests := []struct {
		name      string
		blocks    []Block
		w, stride int
		err       error
		words     []string
	}{
		{"zero window", nil, 0, 1, ErrWindow, nil},
		{"zero stride", nil, 3, 0, ErrWindow, nil},
		{"short", nil, 64, 1, ErrShort, []string{"50 rows", "window 64", "shorter window"}},
		{"short block", []Block{{0, 40}, {40, 50}}, 20, 1, ErrShort, []string{"block 2", "rows 41 to 50", "10 rows"}},
		{"outside", []Block{{30, 60}}, 5, 1, ErrWindow, []string{"50 rows"}},
		{"reversed", []Block{{30, 20}}, 5, 1, ErrWindow, nil},
		{"no blocks", []Block{}, 5, 1, ErrWindow, nil},
	}
	for _, tt := range tests {
		var err error
		if tt.blocks == nil {
			_, err = f.Windows(tt.w, tt.stride)
		} else {
			_, err = f.WindowsIn(tt.blocks, tt.w, tt.stride)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
			continue
		}
		for _, w := range tt.words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tt.name, err, w)
			}
		}
	}
}

// TestWindowsNeverStraddle checks on random partitions into blocks that
// every window lies in one block and that each block yields exactly the
// windows starting at From, From+stride, ... in order.
func TestWindowsNeverStraddle(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 200 {
		w, stride := 1+rng.IntN(8), 1+rng.IntN(5)
		var blocks []Block
		var want []int // expected starts
		at := rng.IntN(3)
		for range 1 + rng.IntN(6) {
			n := w + rng.IntN(20)
			b := Block{at, at + n}
			blocks = append(blocks, b)
			for s := b.From; s+w <= b.To; s += stride {
				want = append(want, s)
			}
			at = b.To + rng.IntN(3) // blocks may touch or leave gaps
		}
		f := seqFrame(t, at+rng.IntN(3), 1)
		ws, err := f.WindowsIn(blocks, w, stride)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		got := make([]int, ws.Len())
		for i := range got {
			got[i] = ws.Start(i)
			in := 0
			for _, b := range blocks {
				if ws.Start(i) >= b.From && ws.End(i) < b.To {
					in++
				}
			}
			if in != 1 {
				t.Fatalf("trial %d: window %d (rows %d..%d) lies in %d blocks of %v", trial, i, ws.Start(i), ws.End(i), in, blocks)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: starts %v, want %v", trial, got, want)
		}
	}
}

func TestFixedSegments(t *testing.T) {
	tests := []struct {
		rows, length int
		want         []int // by hand: t/length, last partial < length/2 merged
	}{
		{10, 4, []int{0, 0, 0, 0, 1, 1, 1, 1, 2, 2}}, // 2 left over: half a length, kept
		{9, 4, []int{0, 0, 0, 0, 1, 1, 1, 1, 1}},     // 1 left over: merged
		{8, 4, []int{0, 0, 0, 0, 1, 1, 1, 1}},
		{3, 4, []int{0, 0, 0}}, // shorter than one length: one segment
		{0, 4, []int{}},
		{5, 1, []int{0, 1, 2, 3, 4}},
	}
	for _, tt := range tests {
		if got := FixedSegments(tt.rows, tt.length); !slices.Equal(got, tt.want) {
			t.Errorf("FixedSegments(%d, %d) = %v, want %v", tt.rows, tt.length, got, tt.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("FixedSegments(5, 0) did not panic")
		}
	}()
	FixedSegments(5, 0)
}

func TestLabelSegments(t *testing.T) {
	f, _ := New([]string{"x", "phase"}, []float64{1, 2, 1, 2, 1, 7, 1, 7, 1, 2, 1, negZero(), 1, 0}, nil)
	seg, labels, err := LabelSegments(f, "phase")
	if err != nil {
		t.Fatal(err)
	}
	// First appearances: 2 → 0, 7 → 1, -0 and 0 → 2 (equal numbers).
	if !slices.Equal(seg, []int{0, 0, 1, 1, 0, 2, 2}) || !slices.Equal(labels, []string{"2", "7", "0"}) {
		t.Errorf("segments %v labels %q", seg, labels)
	}
	if _, _, err := LabelSegments(f, "phaze"); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown column: error %v", err)
	}
	f.Data()[7] = nan
	if _, _, err := LabelSegments(f, "phase"); !errors.Is(err, ErrLabel) || !strings.Contains(err.Error(), "row 4") {
		t.Errorf("missing label: error %v", err)
	}
}

func negZero() float64 {
	z := 0.0
	return -z
}

func TestWindowSegments(t *testing.T) {
	f := seqFrame(t, 30, 2)
	rowSeg := FixedSegments(30, 10)
	ws, err := f.WindowsIn([]Block{{0, 12}, {15, 30}}, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	seg := ws.Segments(rowSeg)
	// Window ends: block 1 → 4, 6, 8, 10; block 2 → 19, 21, 23, 25, 27, 29;
	// their segments are end/10.
	want := []int{0, 0, 0, 1, 1, 2, 2, 2, 2, 2}
	if !slices.Equal(seg, want) {
		t.Errorf("segments %v, want %v", seg, want)
	}
	for i := range seg {
		if seg[i] != rowSeg[ws.End(i)] {
			t.Errorf("window %d: segment %d, its last row's is %d", i, seg[i], rowSeg[ws.End(i)])
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name         string
		rows, window int
		s            *SplitSettings
		train, valid []Block // by hand: parts k·rows/K, validation round(part·fraction) at each part's end
	}{
		{"default", 100, 10, nil, []Block{{0, 80}}, []Block{{80, 100}}},
		{"fraction", 100, 10, &SplitSettings{ValidFraction: 0.25}, []Block{{0, 75}}, []Block{{75, 100}}},
		{"rounding", 101, 10, &SplitSettings{ValidFraction: 0.25}, []Block{{0, 76}}, []Block{{76, 101}}},
		{"every kth", 100, 5, &SplitSettings{Mode: EveryKth, K: 4}, // parts of 25, 5 validation each
			[]Block{{0, 20}, {25, 45}, {50, 70}, {75, 95}}, []Block{{20, 25}, {45, 50}, {70, 75}, {95, 100}}},
		{"every kth default K", 103, 3, &SplitSettings{Mode: EveryKth, ValidFraction: 0.3}, // parts 0,20,41,61,82,103
			[]Block{{0, 14}, {20, 35}, {41, 55}, {61, 76}, {82, 97}}, []Block{{14, 20}, {35, 41}, {55, 61}, {76, 82}, {97, 103}}},
	}
	for _, tt := range tests {
		train, valid, err := Split(tt.rows, tt.window, tt.s)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !slices.Equal(train, tt.train) || !slices.Equal(valid, tt.valid) {
			t.Errorf("%s: train %v valid %v, want %v %v", tt.name, train, valid, tt.train, tt.valid)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		name         string
		rows, window int
		s            *SplitSettings
		words        []string
	}{
		{"valid too short", 100, 30, nil, []string{"validation block has 20", "window of 30"}},
		{"train too short", 100, 30, &SplitSettings{ValidFraction: 0.8}, []string{"training block has 20"}},
		{"part too short", 100, 10, &SplitSettings{Mode: EveryKth, K: 10}, []string{"part 1 of 10", "validation"}},
		{"fraction", 100, 10, &SplitSettings{ValidFraction: 1.5}, []string{"1.5"}},
		{"negative fraction", 100, 10, &SplitSettings{ValidFraction: -0.1}, []string{"-0.1"}},
		{"window", 100, 0, nil, []string{"window 0"}},
		{"K", 100, 5, &SplitSettings{Mode: EveryKth, K: -2}, []string{"K = -2"}},
		{"mode", 100, 5, &SplitSettings{Mode: 3}, []string{"mode 3"}},
		{"empty", 0, 5, nil, []string{"0 of the 0 rows"}},
	}
	for _, tt := range tests {
		_, _, err := Split(tt.rows, tt.window, tt.s)
		if !errors.Is(err, ErrSplit) {
			t.Errorf("%s: error %v, want ErrSplit", tt.name, err)
			continue
		}
		for _, w := range tt.words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tt.name, err, w)
			}
		}
	}
}

// TestSplitWindows checks that windows built per block from a split leave no
// training window touching a validation row, and that the blocks tile the rows.
func TestSplitWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 100 {
		rows, w := 200+rng.IntN(300), 1+rng.IntN(10)
		s := &SplitSettings{ValidFraction: 0.1 + 0.3*rng.Float64(), Mode: SplitMode(rng.IntN(2)), K: 1 + rng.IntN(4)}
		train, valid, err := Split(rows, w, s)
		if err != nil {
			t.Fatalf("trial %d %+v: %v", trial, s, err)
		}
		isValid := make([]bool, rows)
		covered := 0
		for _, b := range valid {
			for r := b.From; r < b.To; r++ {
				isValid[r] = true
			}
			covered += b.Len()
		}
		for _, b := range train {
			covered += b.Len()
		}
		if covered != rows {
			t.Fatalf("trial %d: blocks cover %d of %d rows: %v %v", trial, covered, rows, train, valid)
		}
		f := seqFrame(t, rows, 1)
		ws, err := f.WindowsIn(train, w, 1+rng.IntN(3))
		if err != nil {
			t.Fatal(err)
		}
		for i := range ws.Len() {
			for r := ws.Start(i); r <= ws.End(i); r++ {
				if isValid[r] {
					t.Fatalf("trial %d: training window %d reaches validation row %d", trial, i, r)
				}
			}
		}
	}
}
