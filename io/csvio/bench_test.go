package csvio

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"
)

// benchCSV makes a numeric CSV with values of 6 decimals, like the file of
// internal/benchcsv (which compares with pandas.read_csv).
func benchCSV(rows, cols int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for c := range cols {
		if c > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "ch%d", c+1)
	}
	b.WriteByte('\n')
	var line []byte
	for range rows {
		line = line[:0]
		for c := range cols {
			if c > 0 {
				line = append(line, ',')
			}
			line = strconv.AppendFloat(line, rng.NormFloat64()*float64(c+1), 'f', 6, 64)
		}
		line = append(line, '\n')
		b.Write(line)
	}
	return b.Bytes()
}

// BenchmarkRead reads numeric CSV from memory. The 1,000,000 x 12 case is
// the speed target; compare with
// `/usr/bin/python3 io/csvio/bench_pandas.py FILE` on the file written by
// `go run ./io/csvio/internal/benchcsv -gen -out FILE`.
func BenchmarkRead(b *testing.B) {
	for _, size := range []struct{ rows, cols int }{{10000, 12}, {1000000, 12}} {
		in := benchCSV(size.rows, size.cols)
		b.Run(fmt.Sprintf("rows=%d/cols=%d", size.rows, size.cols), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Read(bytes.NewReader(in), "bench.csv"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, size := range []struct{ rows, cols int }{{10000, 12}, {1000000, 12}} {
		f, _, err := Read(bytes.NewReader(benchCSV(size.rows, size.cols)), "bench.csv")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("rows=%d/cols=%d", size.rows, size.cols), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Write(io.Discard, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
