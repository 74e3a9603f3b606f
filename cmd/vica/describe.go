package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/montanaflynn/stats"
	"github.com/spf13/cobra"

	"github.com/vica-dev/vica/timeseries"
)

// description is the --json output of describe; field names are stable.
type description struct {
	File     string          `json:"file"`
	Format   string          `json:"format"`
	Rows     int             `json:"rows"`
	Channels int             `json:"channels"`
	Skipped  []string        `json:"skipped_columns,omitempty"`
	Time     *timeSummary    `json:"time,omitempty"`
	Columns  []channelReport `json:"columns"`
	Warnings []string        `json:"warnings,omitempty"`
}

// timeSummary describes the time index.
type timeSummary struct {
	Column string `json:"column"`
	Kind   string `json:"kind"` // "timestamp" or "number"
	Start  string `json:"start"`
	End    string `json:"end"`
	// Interval is the median step, in seconds for timestamps.
	Interval float64 `json:"interval"`
	// IntervalText is Interval in words ("1h0m0s") for timestamps.
	IntervalText string `json:"interval_text,omitempty"`
	// Irregular counts steps that differ from the median step by more than
	// 1% of it; Gaps counts those at least 1.5 times the median step.
	Irregular  int     `json:"irregular_steps"`
	Gaps       int     `json:"gaps"`
	LargestGap float64 `json:"largest_gap"`
}

// channelReport describes one channel.
type channelReport struct {
	Name     string  `json:"name"`
	Missing  int     `json:"missing"`
	Median   float64 `json:"median"`
	MAD      float64 `json:"mad"`
	P05      float64 `json:"p05"`
	P95      float64 `json:"p95"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	Lag1     float64 `json:"lag1_autocorrelation"`
	Constant bool    `json:"constant"`
	// DuplicateOf names an earlier channel with identical values.
	DuplicateOf string `json:"duplicate_of,omitempty"`
	// Sentinel is a value that looks like a missing-value marker.
	Sentinel *sentinelReport `json:"suspected_sentinel,omitempty"`
}

// sentinelReport is a suspected missing-value marker such as -200 or 9999.
type sentinelReport struct {
	Value float64 `json:"value"`
	Count int     `json:"count"`
}

// sentinel looks, in the sorted values of a channel, for a missing-value
// marker written as a number, as data loggers write -200, -999 or 9999: the
// smallest or largest value, repeated in at least 1% of the rows (and 3
// times), that stands apart from the other values by one of:
//   - lying more than 6 MADs from their median (a Gaussian channel puts one
//     reading in 10^9 beyond 6 MADs, let alone a repeated one);
//   - a gap of more than 3 MADs to the nearest other value;
//   - being negative where every other value is non-negative.
//
// The median and MAD are those of the other values, so that a marker that
// fills most of the channel does not hide itself.
func sentinel(sorted []float64) (float64, int, bool) {
	const minShare, minCount, far, gap = 0.01, 3, 6.0, 3.0
	n := len(sorted)
	for end := range 2 {
		v := sorted[0]
		if end == 1 {
			v = sorted[n-1]
		}
		lo, _ := slices.BinarySearch(sorted, v)
		hi := lo
		for hi < n && sorted[hi] == v {
			hi++
		}
		rest := sorted[hi:]
		if end == 1 {
			rest = sorted[:lo]
		}
		cnt := hi - lo
		if cnt < minCount || float64(cnt) < minShare*float64(n) || len(rest) < minCount {
			continue
		}
		med := quantileSorted(rest, 0.5)
		mad, _ := stats.MedianAbsoluteDeviationPopulation(rest)
		nearest := rest[0]
		if end == 1 {
			nearest = rest[len(rest)-1]
		}
		switch {
		case mad > 0 && math.Abs(v-med) > far*mad,
			mad > 0 && math.Abs(v-nearest) > gap*mad,
			v < 0 && rest[0] >= 0:
			return v, cnt, true
		}
	}
	return 0, 0, false
}

func newDescribeCmd(e *env) *cobra.Command {
	var d dataFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "describe FILE",
		Short: "Summarise a recording: channels, time span, sampling, missing values, statistics",
		Long: `describe reads FILE (CSV, Arrow or Parquet) and reports its channels and
length, the time span and sampling interval (with gaps and irregular steps),
missing values per channel, robust statistics (median, MAD, 5th and 95th
percentiles) and the lag-1 autocorrelation of each channel. Constant and
duplicate channels are flagged: they carry no independent information.

Missing values are counted, not filled: --missing does not apply here.`,
		Example: `  vica describe sensors.csv
  vica describe AirQualityUCI.csv --na -200 --json`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			f, info, err := d.read(args[0])
			if err != nil {
				return err
			}
			desc := describe(f, info)
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(desc)
			}
			return desc.print(e.stdout)
		},
	}
	d.register(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print machine-readable JSON")
	return c
}

func describe(f *timeseries.Frame, info *readInfo) *description {
	desc := &description{
		File:     info.file,
		Format:   info.format,
		Rows:     f.Rows(),
		Channels: f.Channels(),
		Skipped:  info.skipped,
		Warnings: info.warnings,
		Time:     summarizeTime(f.Index()),
	}
	cols := make([][]float64, f.Channels())
	for c, name := range f.Names() {
		x := f.Column(c, nil)
		cols[c] = x
		r := channelReport{Name: name}
		vals := make([]float64, 0, len(x))
		for _, v := range x {
			if math.IsNaN(v) {
				r.Missing++
			} else {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			desc.Warnings = append(desc.Warnings, fmt.Sprintf("channel %q has no values", name))
			r.Median, r.MAD, r.P05, r.P95, r.Min, r.Max, r.Lag1 = nan, nan, nan, nan, nan, nan, nan
			desc.Columns = append(desc.Columns, r)
			continue
		}
		slices.Sort(vals)
		r.Min, r.Max = vals[0], vals[len(vals)-1]
		r.Median, _ = stats.Median(vals)
		r.MAD, _ = stats.MedianAbsoluteDeviationPopulation(vals)
		r.P05 = quantileSorted(vals, 0.05)
		r.P95 = quantileSorted(vals, 0.95)
		r.Constant = r.Min == r.Max
		r.Lag1 = lag1(x)
		for p := 0; p < c; p++ {
			if equalSeries(cols[p], x) {
				r.DuplicateOf = f.Names()[p]
				break
			}
		}
		if v, n, ok := sentinel(vals); ok {
			r.Sentinel = &sentinelReport{Value: v, Count: n}
			desc.Warnings = append(desc.Warnings, fmt.Sprintf("channel %q: the value %g appears %d times, far from the others: if it marks missing values, add --na %g", name, v, n, v))
		}
		if r.Constant {
			desc.Warnings = append(desc.Warnings, fmt.Sprintf("channel %q is constant (%g): exclude it with --exclude %s", name, r.Min, name))
		}
		if r.DuplicateOf != "" {
			desc.Warnings = append(desc.Warnings, fmt.Sprintf("channel %q duplicates %q: exclude one with --exclude", name, r.DuplicateOf))
		}
		desc.Columns = append(desc.Columns, r)
	}
	return desc
}

// sentinelWarnings returns a warning for every channel of f holding a
// suspected numeric missing-value marker (see sentinel).
func sentinelWarnings(f *timeseries.Frame) []string {
	var out []string
	for c, name := range f.Names() {
		x := f.Column(c, nil)
		vals := x[:0]
		for _, v := range x {
			if !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			continue
		}
		slices.Sort(vals)
		if v, n, ok := sentinel(vals); ok {
			out = append(out, fmt.Sprintf("channel %q: the value %g appears %d times, far from the others: if it marks missing values, add --na %g", name, v, n, v))
		}
	}
	return out
}

// quantileSorted is the linear-interpolation quantile (type 7, as in R's
// default and numpy.percentile) of sorted values. montanaflynn/stats'
// Percentile uses a nearest-rank rule that jumps between values.
func quantileSorted(x []float64, p float64) float64 {
	h := p * float64(len(x)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(x) {
		return x[len(x)-1]
	}
	return x[lo] + (h-float64(lo))*(x[lo+1]-x[lo])
}

// lag1 is the lag-1 autocorrelation over pairs of consecutive present values.
func lag1(x []float64) float64 {
	var sum float64
	var n int
	for _, v := range x {
		if !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	if n < 3 {
		return nan
	}
	m := sum / float64(n)
	var num, den float64
	for t, v := range x {
		if math.IsNaN(v) {
			continue
		}
		den += (v - m) * (v - m)
		if t+1 < len(x) && !math.IsNaN(x[t+1]) {
			num += (v - m) * (x[t+1] - m)
		}
	}
	if den == 0 {
		return nan
	}
	return num / den
}

func equalSeries(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

func summarizeTime(ix *timeseries.Index) *timeSummary {
	n := ix.Len()
	if ix.Kind == timeseries.NoIndex || n == 0 {
		return nil
	}
	ts := &timeSummary{Column: ix.Name}
	if ix.Kind == timeseries.TimeIndex {
		ts.Kind = "timestamp"
		ts.Start = ix.Time(0).Format(time.RFC3339Nano)
		ts.End = ix.Time(n - 1).Format(time.RFC3339Nano)
	} else {
		ts.Kind = "number"
		ts.Start = fmt.Sprint(ix.Numbers[0])
		ts.End = fmt.Sprint(ix.Numbers[n-1])
	}
	if n < 2 {
		return ts
	}
	steps := make([]float64, n-1)
	for i := range steps {
		if ix.Kind == timeseries.TimeIndex {
			steps[i] = float64(ix.Times[i+1]-ix.Times[i]) / 1e9
		} else {
			steps[i] = ix.Numbers[i+1] - ix.Numbers[i]
		}
	}
	sorted := slices.Clone(steps)
	slices.Sort(sorted)
	med := quantileSorted(sorted, 0.5)
	ts.Interval = med
	if ix.Kind == timeseries.TimeIndex {
		ts.IntervalText = time.Duration(med * 1e9).String()
	}
	for _, s := range steps {
		if math.Abs(s-med) > 0.01*med {
			ts.Irregular++
		}
		if s >= 1.5*med {
			ts.Gaps++
			ts.LargestGap = max(ts.LargestGap, s)
		}
	}
	return ts
}

func (d *description) print(w io.Writer) error {
	fmt.Fprintf(w, "file      %s (%s)\n", d.File, d.Format)
	fmt.Fprintf(w, "rows      %d\n", d.Rows)
	fmt.Fprintf(w, "channels  %d\n", d.Channels)
	if len(d.Skipped) > 0 {
		fmt.Fprintf(w, "skipped   %v\n", d.Skipped)
	}
	if t := d.Time; t != nil {
		fmt.Fprintf(w, "time      %s (%s) from %s to %s\n", t.Column, t.Kind, t.Start, t.End)
		step := fmt.Sprint(t.Interval)
		if t.IntervalText != "" {
			step = t.IntervalText
		}
		fmt.Fprintf(w, "interval  %s (median step); %d irregular steps, %d gaps", step, t.Irregular, t.Gaps)
		if t.Gaps > 0 {
			fmt.Fprintf(w, ", largest %g", t.LargestGap)
			if t.IntervalText != "" {
				fmt.Fprintf(w, " s")
			}
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, "time      no time column: rows are numbered")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "channel\tmissing\tmedian\tMAD\tp05\tp95\tmin\tmax\tlag1\tflags\t")
	for _, c := range d.Columns {
		flags := ""
		if c.Constant {
			flags = "constant"
		}
		if c.DuplicateOf != "" {
			flags = "duplicate of " + c.DuplicateOf
		}
		if c.Sentinel != nil {
			flags = fmt.Sprintf("sentinel %g?", c.Sentinel.Value)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.4g\t%.4g\t%.4g\t%.4g\t%.4g\t%.4g\t%.3f\t%s\t\n",
			c.Name, c.Missing, c.Median, c.MAD, c.P05, c.P95, c.Min, c.Max, c.Lag1, flags)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range d.Warnings {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
	return nil
}
