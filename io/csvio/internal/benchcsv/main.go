// Command benchcsv writes a numeric CSV file for speed comparisons and
// measures how fast csvio reads it and how much memory that takes.
//
//	go run ./io/csvio/internal/benchcsv -gen -rows 1000000 -cols 12 -out /tmp/bench.csv
//	go run ./io/csvio/internal/benchcsv -read /tmp/bench.csv
//	/usr/bin/python3 io/csvio/bench_pandas.py /tmp/bench.csv
//
// -read prints the wall time of csvio.ReadFile, the total bytes allocated,
// the heap in use after reading, and the peak resident set size of the
// process (VmHWM from /proc/self/status), which includes the Go runtime.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/vica-dev/vica/io/csvio"
)

func main() {
	gen := flag.Bool("gen", false, "write a file instead of reading one")
	rows := flag.Int("rows", 1000000, "rows to write")
	cols := flag.Int("cols", 12, "numeric columns to write")
	withTime := flag.Bool("time", false, "write an ISO 8601 time column first")
	out := flag.String("out", "bench.csv", "file to write")
	read := flag.String("read", "", "file to read")
	flag.Parse()
	var err error
	switch {
	case *gen:
		err = generate(*out, *rows, *cols, *withTime)
	case *read != "":
		err = measure(*read)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// generate writes values with 6 decimals drawn from a fixed seed, so every
// run makes the same file.
func generate(path string, rows, cols int, withTime bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var names []string
	if withTime {
		names = append(names, "time")
	}
	for c := range cols {
		names = append(names, "ch"+strconv.Itoa(c+1))
	}
	w.WriteString(strings.Join(names, ",") + "\n")
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var line []byte
	for r := range rows {
		line = line[:0]
		if withTime {
			line = t0.Add(time.Duration(r)*time.Second).AppendFormat(line, time.RFC3339)
			line = append(line, ',')
		}
		for c := range cols {
			if c > 0 {
				line = append(line, ',')
			}
			line = strconv.AppendFloat(line, rng.NormFloat64()*float64(c+1), 'f', 6, 64)
		}
		line = append(line, '\n')
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func measure(path string) error {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	fr, _, err := csvio.ReadFile(path)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	dataMB := float64(fr.Rows()*fr.Channels()*8) / 1e6
	fmt.Printf("csvio.ReadFile %s: %d rows x %d channels\n", path, fr.Rows(), fr.Channels())
	fmt.Printf("seconds %.3f\n", elapsed.Seconds())
	fmt.Printf("data_MB %.1f\n", dataMB)
	fmt.Printf("allocated_MB %.1f\n", float64(after.TotalAlloc-before.TotalAlloc)/1e6)
	fmt.Printf("heap_inuse_MB %.1f\n", float64(after.HeapInuse)/1e6)
	fmt.Printf("peak_rss_MB %.1f\n", vmHWM())
	runtime.KeepAlive(fr)
	return nil
}

// vmHWM returns the peak resident set size in MB, or -1.
func vmHWM() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err == nil {
				return float64(kb) * 1024 / 1e6
			}
		}
	}
	return -1
}
