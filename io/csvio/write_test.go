package csvio

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vica-dev/vica/timeseries"
)

func TestWrite(t *testing.T) {
	nan := math.NaN()
	num := &timeseries.Index{Name: "time_s", Kind: timeseries.NumberIndex, Numbers: []float64{0, 0.1}}
	stamp := &timeseries.Index{Kind: timeseries.TimeIndex, Times: []int64{0, 1500000001}}
	tests := []struct {
		name  string
		names []string
		data  []float64
		index *timeseries.Index
		opts  []WriteOption
		want  string // written by hand from the format rules in Write's doc
	}{
		{name: "plain", names: []string{"a", "b"}, data: []float64{1, 0.1, nan, -2.5e-10}, want: "a,b\n1,0.1\n,-2.5e-10\n"},
		{name: "number index", names: []string{"x"}, data: []float64{1, 2}, index: num, want: "time_s,x\n0,1\n0.1,2\n"},
		{name: "time index, default name", names: []string{"x"}, data: []float64{1, 2}, index: stamp,
			want: "time,x\n1970-01-01T00:00:00Z,1\n1970-01-01T00:00:01.500000001Z,2\n"},
		{name: "decimal comma", names: []string{"a", "b c"}, data: []float64{1.5, 2}, opts: []WriteOption{WithWriteDelimiter(';'), WithWriteDecimalComma(true)},
			want: "a;\"b c\"\n1,5;2\n"},
		{name: "lone missing value", names: []string{"a"}, data: []float64{nan, 1}, want: "a\n\"\"\n1\n"},
		{name: "quoted names", names: []string{"a,b", "say \"hi\""}, data: []float64{1, 2}, want: "\"a,b\",\"say \"\"hi\"\"\"\n1,2\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := timeseries.New(tc.names, tc.data, tc.index)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Write(&buf, f, tc.opts...); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Errorf("wrote %q, want %q", buf.String(), tc.want)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	f, _ := timeseries.New([]string{"a"}, []float64{1}, nil)
	inf, _ := timeseries.New([]string{"a"}, []float64{math.Inf(1)}, nil)
	clash, _ := timeseries.New([]string{"time"}, []float64{1}, &timeseries.Index{Kind: timeseries.NumberIndex, Numbers: []float64{0}})
	tests := []struct {
		name string
		f    *timeseries.Frame
		opts []WriteOption
		err  error
	}{
		{"decimal comma with comma", f, []WriteOption{WithWriteDecimalComma(true)}, ErrOption},
		{"quote delimiter", f, []WriteOption{WithWriteDelimiter('"')}, ErrOption},
		{"digit delimiter", f, []WriteOption{WithWriteDelimiter('1')}, ErrOption},
		{"infinite value", inf, nil, timeseries.ErrNonFinite},
		{"time name clash", clash, nil, ErrDuplicateColumn},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tc.f, tc.opts...)
			if !errors.Is(err, tc.err) {
				t.Errorf("error %v, want %v", err, tc.err)
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	f, _ := timeseries.New([]string{"a", "b"}, []float64{1, 2, 3, 4}, nil)
	if err := WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	g, _, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	assertSameFrame(t, f, g)
	// A new file is readable by others, like one from os.Create (the
	// temporary file it was renamed from was created 0600).
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("new file: %v, mode %v; want 0644", err, st.Mode().Perm())
	}

	// A failed write leaves the old file as it was and no temporary file.
	inf, _ := timeseries.New([]string{"a"}, []float64{math.Inf(-1)}, nil)
	before, _ := os.ReadFile(path)
	if err := WriteFile(path, inf); err == nil {
		t.Fatal("writing an infinite value succeeded")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("file changed by a failed write: %q", after)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %s, want only out.csv", strings.Join(names, ", "))
	}
	// A directory that does not exist.
	var pe *ParseError
	if err := WriteFile(filepath.Join(dir, "no", "out.csv"), f); !errors.As(err, &pe) {
		t.Errorf("error %v, want a *ParseError", err)
	}
}
