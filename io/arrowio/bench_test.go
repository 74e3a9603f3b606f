package arrowio_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/vica-dev/vica/io/arrowio"
	"github.com/vica-dev/vica/timeseries"
)

var benchSizes = []struct{ rows, cols int }{{1000000, 12}}

func BenchmarkWrite(b *testing.B) {
	for _, s := range benchSizes {
		f := newFrame(b, rand.New(rand.NewPCG(1, 1)), s.rows, s.cols, timeseries.TimeIndex, 0.01)
		for _, ext := range []string{".arrow", ".arrows", ".parquet"} {
			b.Run(fmt.Sprintf("rows=%d/cols=%d/%s", s.rows, s.cols, ext[1:]), func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "bench"+ext)
				b.SetBytes(int64(8 * s.rows * s.cols))
				for b.Loop() {
					if err := arrowio.WriteFile(path, f, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkRead(b *testing.B) {
	for _, s := range benchSizes {
		f := newFrame(b, rand.New(rand.NewPCG(1, 1)), s.rows, s.cols, timeseries.TimeIndex, 0.01)
		dir := b.TempDir()
		for _, ext := range []string{".arrow", ".arrows", ".parquet"} {
			path := filepath.Join(dir, "bench"+ext)
			if err := arrowio.WriteFile(path, f, nil); err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("rows=%d/cols=%d/%s", s.rows, s.cols, ext[1:]), func(b *testing.B) {
				if st, err := os.Stat(path); err == nil {
					b.ReportMetric(float64(st.Size())/float64(8*s.rows*s.cols), "file/float64")
				}
				b.SetBytes(int64(8 * s.rows * s.cols))
				for b.Loop() {
					if _, _, err := arrowio.ReadFile(path, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
