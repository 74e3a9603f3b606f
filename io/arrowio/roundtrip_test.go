package arrowio_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/vica-dev/vica/io/arrowio"
	"github.com/vica-dev/vica/timeseries"
)

// newFrame returns a frame of rows × cols values drawn from rng, with a
// fraction nan of them missing and some awkward values (±0, subnormals,
// extremes) that must survive a round trip bit for bit.
func newFrame(t testing.TB, rng *rand.Rand, rows, cols int, kind timeseries.IndexKind, nan float64) *timeseries.Frame {
	t.Helper()
	names := make([]string, cols)
	for c := range names {
		names[c] = fmt.Sprintf("ch%d", c+1)
	}
	special := []float64{0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, -math.MaxFloat64, math.MaxFloat64, 1e-300, math.Pi}
	data := make([]float64, rows*cols)
	for i := range data {
		switch u := rng.Float64(); {
		case u < nan:
			data[i] = math.NaN()
		case u < nan+0.01:
			data[i] = special[rng.IntN(len(special))]
		default:
			data[i] = rng.NormFloat64() * math.Exp(rng.NormFloat64()*5)
		}
	}
	var ix *timeseries.Index
	switch kind {
	case timeseries.TimeIndex:
		ix = &timeseries.Index{Name: "stamp", Kind: kind, Times: make([]int64, rows)}
		t0 := int64(1_078_941_600_000_000_000) // 2004-03-10T18:00:00Z
		for i := range ix.Times {
			t0 += 1 + rng.Int64N(3_600_000_000_000)
			ix.Times[i] = t0
		}
	case timeseries.NumberIndex:
		ix = &timeseries.Index{Kind: kind, Numbers: make([]float64, rows)}
		x := -10.0
		for i := range ix.Numbers {
			x += 0.001 + rng.Float64()
			ix.Numbers[i] = x
		}
	}
	f, err := timeseries.New(names, data, ix)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sameFrame fails unless a and b hold the same names, index and values,
// bit for bit, with NaN (missing) in the same places.
func sameFrame(t *testing.T, a, b *timeseries.Frame) {
	t.Helper()
	if fmt.Sprint(a.Names()) != fmt.Sprint(b.Names()) {
		t.Fatalf("names %q, want %q", b.Names(), a.Names())
	}
	if a.Rows() != b.Rows() {
		t.Fatalf("%d rows, want %d", b.Rows(), a.Rows())
	}
	ia, ib := a.Index(), b.Index()
	if ia.Kind != ib.Kind {
		t.Fatalf("index kind %v, want %v", ib.Kind, ia.Kind)
	}
	if ia.Kind != timeseries.NoIndex {
		wantName := ia.Name
		if wantName == "" {
			wantName = arrowio.DefaultIndexName
		}
		if ib.Name != wantName {
			t.Errorf("index name %q, want %q", ib.Name, wantName)
		}
	}
	for i := range ia.Times {
		if ia.Times[i] != ib.Times[i] {
			t.Fatalf("time %d: %d, want %d", i, ib.Times[i], ia.Times[i])
		}
	}
	for i := range ia.Numbers {
		if math.Float64bits(ia.Numbers[i]) != math.Float64bits(ib.Numbers[i]) {
			t.Fatalf("index number %d: %v, want %v", i, ib.Numbers[i], ia.Numbers[i])
		}
	}
	da, db := a.Data(), b.Data()
	for i := range da {
		x, y := da[i], db[i]
		if math.IsNaN(x) != math.IsNaN(y) || !math.IsNaN(x) && math.Float64bits(x) != math.Float64bits(y) {
			t.Fatalf("row %d channel %q: %v, want %v", i/a.Channels()+1, a.Names()[i%a.Channels()], y, x)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	kinds := []timeseries.IndexKind{timeseries.NoIndex, timeseries.TimeIndex, timeseries.NumberIndex}
	for _, kind := range kinds {
		for _, batch := range []int{0, 1, 97} {
			t.Run(fmt.Sprintf("index=%d/batch=%d", kind, batch), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(kind)))
				rows := 1000
				if batch == 1 {
					rows = 40 // one row per batch is slow; a few dozen show it works
				}
				f := newFrame(t, rng, rows, 5, kind, 0.1)
				dir := t.TempDir()
				opts := &arrowio.WriteOptions{BatchSize: batch}
				// Frame -> Arrow file -> Parquet -> Arrow stream -> Feather, as
				// `vica convert` chains them; every step must be exact.
				cur := f
				for i, name := range []string{"a.arrow", "b.parquet", "c.arrows", "d.feather", "e.ipc"} {
					path := filepath.Join(dir, name)
					if err := arrowio.WriteFile(path, cur, opts); err != nil {
						t.Fatal(err)
					}
					got, info, err := arrowio.ReadFile(path, &arrowio.ReadOptions{BatchSize: 64})
					if err != nil {
						t.Fatal(err)
					}
					want, _ := arrowio.FormatOf(path)
					if info.Format != want {
						t.Errorf("step %d: read format %v, want %v", i, info.Format, want)
					}
					sameFrame(t, f, got)
					cur = got
				}
			})
		}
	}
}

func TestRoundTripCompression(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	f := newFrame(t, rng, 300, 3, timeseries.TimeIndex, 0.2)
	for _, c := range []arrowio.Compression{arrowio.CompressionNone, arrowio.CompressionZstd} {
		for _, format := range []arrowio.Format{arrowio.FormatFile, arrowio.FormatStream, arrowio.FormatParquet} {
			var buf bytes.Buffer
			if err := arrowio.Write(&buf, format, f, &arrowio.WriteOptions{Compression: c}); err != nil {
				t.Fatalf("%v %v: %v", format, c, err)
			}
			// A plain io.Reader (neither ReaderAt nor Seeker) takes the
			// buffering path; a *bytes.Reader reads in place.
			for _, r := range []any{struct{ *bytes.Buffer }{bytes.NewBuffer(buf.Bytes())}, bytes.NewReader(buf.Bytes())} {
				got, info, err := arrowio.Read(r.(interface{ Read([]byte) (int, error) }), nil)
				if err != nil {
					t.Fatalf("%v %v %T: %v", format, c, r, err)
				}
				if info.Format != format {
					t.Errorf("format %v, want %v", info.Format, format)
				}
				sameFrame(t, f, got)
			}
		}
	}
}

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.parquet")
	rng := rand.New(rand.NewPCG(3, 3))
	good := newFrame(t, rng, 50, 2, timeseries.TimeIndex, 0)
	if err := arrowio.WriteFile(path, good, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A channel called like the default index name makes the write fail
	// after the temporary file exists.
	bad, err := timeseries.New([]string{"time"}, []float64{1, 2}, &timeseries.Index{Kind: timeseries.NumberIndex, Numbers: []float64{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if err := arrowio.WriteFile(path, bad, nil); err == nil {
		t.Fatal("writing a frame whose index and channel share a name succeeded")
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a failed write changed the existing file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want 1 (no temporary left)", len(entries))
	}
	// A successful replacement keeps the file's permissions.
	if err := arrowio.WriteFile(path, good, nil); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after replacement, want 0600", st.Mode().Perm())
	}
}
