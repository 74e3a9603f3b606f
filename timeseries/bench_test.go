package timeseries

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

var benchSizes = []struct{ rows, cols int }{{10000, 12}, {1000000, 12}}

// BenchmarkWindows measures building the windows of a split and reading
// every row once (the views must not copy, so this is cheap).
func BenchmarkWindows(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("rows=%d/cols=%d", sz.rows, sz.cols), func(b *testing.B) {
			f := seqFrame(b, sz.rows, sz.cols)
			train, _, err := Split(sz.rows, 64, &SplitSettings{Mode: EveryKth})
			if err != nil {
				b.Fatal(err)
			}
			var sum float64
			for b.Loop() {
				ws, err := f.WindowsIn(train, 64, 1)
				if err != nil {
					b.Fatal(err)
				}
				for i := range ws.Len() {
					sum += ws.Row(i)[0]
				}
			}
			_ = sum
		})
	}
}

func BenchmarkScalerTransform(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("rows=%d/cols=%d", sz.rows, sz.cols), func(b *testing.B) {
			f := randomFrame(rand.New(rand.NewPCG(1, 1)), sz.rows, sz.cols, 10)
			s, err := FitScaler(f, ZScore)
			if err != nil {
				b.Fatal(err)
			}
			g := &Frame{names: f.names, data: make([]float64, len(f.data)), rows: f.rows}
			b.Run("new", func(b *testing.B) {
				b.SetBytes(int64(8 * len(f.data)))
				for b.Loop() {
					if _, err := s.Transform(f); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("inplace", func(b *testing.B) {
				b.SetBytes(int64(8 * len(f.data)))
				for b.Loop() {
					copy(g.data, f.data)
					if err := s.TransformInPlace(g); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkFitScaler(b *testing.B) {
	for _, sz := range benchSizes {
		f := randomFrame(rand.New(rand.NewPCG(1, 1)), sz.rows, sz.cols, 10)
		for _, m := range []ScaleMethod{ZScore, Robust} {
			b.Run(fmt.Sprintf("%v/rows=%d/cols=%d", m, sz.rows, sz.cols), func(b *testing.B) {
				for b.Loop() {
					if _, err := FitScaler(f, m); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
