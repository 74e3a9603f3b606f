package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vica-dev/vica/io/arrowio"
	"github.com/vica-dev/vica/io/csvio"
	"github.com/vica-dev/vica/timeseries"
)

// dataFlags are the flags shared by every command that reads data.
type dataFlags struct {
	columns    []string
	exclude    []string
	timeColumn string
	na         []string
	delimiter  string
	decimal    string
	missing    string
	skipText   bool
	dateFormat string
}

func (d *dataFlags) register(c *cobra.Command) {
	fs := c.Flags()
	fs.StringSliceVar(&d.columns, "columns", nil, "read only these channels (comma-separated names)")
	fs.StringSliceVar(&d.exclude, "exclude", nil, "leave out these channels (comma-separated names)")
	fs.StringVar(&d.timeColumn, "time-column", "", `the time column: a name, "Date+Time" for split date and time columns, or "none" (default: detected)`)
	fs.StringSliceVar(&d.na, "na", nil, "extra missing-value markers: tokens such as '?' or a numeric sentinel such as -200 (CSV); numeric sentinels apply to every format")
	fs.StringVar(&d.delimiter, "delimiter", "", `CSV field delimiter: ",", ";", "tab" (default: detected)`)
	fs.StringVar(&d.decimal, "decimal", "", `CSV decimal mark: "." or "," (default: detected; "," only with ";" or tab delimiters)`)
	fs.StringVar(&d.missing, "missing", "error", "missing values: error (stop and say where), drop (rows), interpolate (linear), ffill (forward fill)")
	fs.StringVar(&d.dateFormat, "date-format", "auto", "CSV dates: auto, yyyy-mm-dd, dd/mm/yyyy or mm/dd/yyyy (auto refuses to guess between the last two)")
	fs.BoolVar(&d.skipText, "skip-non-numeric", false, "skip non-numeric columns with a warning instead of failing")
}

// policy parses --missing.
func (d *dataFlags) policy() (timeseries.MissingPolicy, error) {
	p, err := timeseries.ParseMissingPolicy(d.missing)
	if err != nil {
		return 0, usagef("--missing %q: want error, drop, interpolate or ffill", d.missing)
	}
	return p, nil
}

// sentinels splits --na into numeric sentinels and other tokens.
func (d *dataFlags) sentinels() (nums []float64, tokens []string) {
	for _, s := range d.na {
		s = strings.TrimSpace(s)
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			nums = append(nums, v)
		} else if s != "" {
			tokens = append(tokens, s)
		}
	}
	return nums, tokens
}

// readInfo is what the readers found, for describe and the summaries.
type readInfo struct {
	file      string
	format    string
	skipped   []string
	warnings  []string
	timeNames []string
}

// read reads path with the data flags, without applying the missing-value
// policy: the frame holds NaN where values are missing.
func (d *dataFlags) read(path string) (*timeseries.Frame, *readInfo, error) {
	if _, err := d.policy(); err != nil {
		return nil, nil, err
	}
	nums, tokens := d.sentinels()
	info := &readInfo{file: path}
	var f *timeseries.Frame
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".tsv", ".txt":
		opts, err := d.csvOptions(nums, tokens)
		if err != nil {
			return nil, nil, err
		}
		fr, ci, err := csvio.ReadFile(path, opts...)
		if err != nil {
			return nil, nil, err
		}
		f = fr
		info.format = "csv"
		info.skipped, info.warnings, info.timeNames = ci.Skipped, ci.Warnings, ci.TimeColumns
	default:
		if _, err := arrowio.FormatOf(path); err != nil {
			return nil, nil, fmt.Errorf("%q: unknown extension %q: vica reads .csv (also .tsv, .txt), .arrow, .feather, .arrows, .ipc and .parquet", path, ext)
		}
		opts := &arrowio.ReadOptions{TimeColumn: d.timeColumn}
		if d.timeColumn == "none" {
			opts.TimeColumn = ""
		}
		if d.skipText {
			opts.NonNumeric = arrowio.NonNumericSkip
		}
		if len(tokens) > 0 {
			return nil, nil, usagef("--na %s: text markers apply to CSV only; Arrow and Parquet mark missing values as null", strings.Join(tokens, ","))
		}
		fr, ai, err := arrowio.ReadFile(path, opts)
		if err != nil {
			return nil, nil, err
		}
		f = fr
		info.format = strings.TrimPrefix(ext, ".")
		for _, fl := range ai.Skipped {
			info.skipped = append(info.skipped, fl.Name)
			info.warnings = append(info.warnings, fmt.Sprintf("skipped non-numeric column %q (%s)", fl.Name, fl.Type))
		}
		if fr.Index().Name != "" {
			info.timeNames = []string{fr.Index().Name}
		}
		markSentinels(f, nums)
	}
	var err error
	if len(d.columns) > 0 {
		if f, err = f.Select(d.columns...); err != nil {
			return nil, nil, fmt.Errorf("%q: --columns: %w", path, err)
		}
	}
	if len(d.exclude) > 0 {
		if f, err = f.Exclude(d.exclude...); err != nil {
			return nil, nil, fmt.Errorf("%q: --exclude: %w", path, err)
		}
	}
	if err := f.CheckFinite(); err != nil {
		return nil, nil, fmt.Errorf("%q: %w: remove it or mark it missing", path, err)
	}
	return f, info, nil
}

// load reads path and applies the --missing policy, reporting on w what it
// filled or dropped.
func (d *dataFlags) load(path string, w io.Writer) (*timeseries.Frame, *readInfo, error) {
	f, info, err := d.read(path)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range append(info.warnings, sentinelWarnings(f)...) {
		fmt.Fprintf(w, "vica: warning: %s\n", s)
	}
	p, _ := d.policy()
	g, rep, err := f.HandleMissing(p)
	if err != nil {
		return nil, nil, fmt.Errorf("%q: %w", path, err)
	}
	if n := rep.Total(); n > 0 {
		fmt.Fprintf(w, "vica: %s: %d missing values handled by --missing %s (%s)\n", path, n, p, missingSummary(rep))
	}
	return g, info, nil
}

func (d *dataFlags) csvOptions(nums []float64, tokens []string) ([]csvio.Option, error) {
	var opts []csvio.Option
	switch d.delimiter {
	case "":
	case "tab", `\t`, "\t":
		opts = append(opts, csvio.WithDelimiter('\t'))
	case ",", ";", "|", " ":
		opts = append(opts, csvio.WithDelimiter(rune(d.delimiter[0])))
	default:
		return nil, usagef(`--delimiter %q: want ",", ";", "tab", "|" or " "`, d.delimiter)
	}
	switch d.decimal {
	case "":
	case ".":
		opts = append(opts, csvio.WithDecimalComma(false))
	case ",":
		opts = append(opts, csvio.WithDecimalComma(true))
	default:
		return nil, usagef(`--decimal %q: want "." or ","`, d.decimal)
	}
	switch d.dateFormat {
	case "", "auto":
	case "yyyy-mm-dd", "iso":
		opts = append(opts, csvio.WithDateFormat(csvio.DateISO))
	case "dd/mm/yyyy", "dmy":
		opts = append(opts, csvio.WithDateFormat(csvio.DateDMY))
	case "mm/dd/yyyy", "mdy":
		opts = append(opts, csvio.WithDateFormat(csvio.DateMDY))
	default:
		return nil, usagef("--date-format %q: want auto, yyyy-mm-dd, dd/mm/yyyy or mm/dd/yyyy", d.dateFormat)
	}
	if len(tokens) > 0 {
		opts = append(opts, csvio.WithMissing(append(append([]string(nil), csvio.DefaultMissing...), tokens...)...))
	}
	for _, v := range nums {
		opts = append(opts, csvio.WithSentinel(v))
	}
	switch tc := d.timeColumn; {
	case tc == "":
	case strings.EqualFold(tc, "none"):
		opts = append(opts, csvio.WithNoTimeColumn())
	case strings.Contains(tc, "+"):
		parts := strings.SplitN(tc, "+", 2)
		opts = append(opts, csvio.WithDateTimeColumns(parts[0], parts[1]))
	default:
		opts = append(opts, csvio.WithTimeColumn(tc))
	}
	if d.skipText {
		opts = append(opts, csvio.WithNonNumeric(csvio.SkipNonNumeric))
	}
	if len(d.columns) > 0 {
		// Read only what is asked for (and the time column), which also
		// lets a file with text columns through when they are not asked for.
		opts = append(opts, csvio.WithColumns(d.columns...))
	}
	return opts, nil
}

// missingSummary lists the channels with missing values and their counts.
func missingSummary(r *timeseries.MissingReport) string {
	var parts []string
	for i, n := range r.Missing {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r.Names[i], n))
		}
	}
	s := strings.Join(parts, ", ")
	if r.RowsDropped > 0 {
		s += fmt.Sprintf("; %d rows dropped", r.RowsDropped)
	}
	return s
}

var nan = math.NaN()

// markSentinels turns numeric sentinel values into missing values.
func markSentinels(f *timeseries.Frame, nums []float64) {
	if len(nums) == 0 {
		return
	}
	data := f.Data()
	for i, v := range data {
		for _, s := range nums {
			if v == s {
				data[i] = nan
			}
		}
	}
}

// writeFrame writes f to path in the format of its extension, through a
// temporary file renamed into place, so a failure leaves no partial file.
func writeFrame(path string, f *timeseries.Frame) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".txt":
		var opts []csvio.WriteOption
		if strings.EqualFold(filepath.Ext(path), ".tsv") {
			opts = append(opts, csvio.WithWriteDelimiter('\t'))
		}
		return csvio.WriteFile(path, f, opts...)
	}
	if _, err := arrowio.FormatOf(path); err != nil {
		return fmt.Errorf("%q: unknown extension %q: vica writes .csv, .tsv, .arrow, .feather, .arrows, .ipc and .parquet", path, filepath.Ext(path))
	}
	return arrowio.WriteFile(path, f, nil)
}

// writeCSV writes f as CSV to w (standard output).
func writeCSV(w io.Writer, f *timeseries.Frame) error {
	return csvio.Write(w, f)
}
