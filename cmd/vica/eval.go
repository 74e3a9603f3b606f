package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vica-dev/vica/ica"
	"github.com/vica-dev/vica/timeseries"
)

// evalResult is the --json output of eval; field names are stable.
type evalResult struct {
	Method string     `json:"method"`
	MCC    float64    `json:"mcc"`
	Rows   int        `json:"rows"`
	Pairs  []evalPair `json:"pairs"`
	Extra  []string   `json:"unmatched_estimates,omitempty"`
}

type evalPair struct {
	Truth       string  `json:"truth"`
	Estimate    string  `json:"estimate,omitempty"`
	Correlation float64 `json:"correlation"`
}

func newEvalCmd(e *env) *cobra.Command {
	var (
		truthPath, estPath string
		truthCols          []string
		prefix, method     string
		asJSON             bool
	)
	c := &cobra.Command{
		Use:   "eval --truth TRUTH --sources EST",
		Short: "Score estimated sources against the true ones (MCC after optimal matching)",
		Long: `eval computes the mean correlation coefficient (MCC) between true and
estimated sources: the absolute correlation of every pair, the one-to-one
matching that maximises their sum (Hungarian algorithm), and the mean over
the matched pairs. Rows where any value is missing (such as the first W-1
rows of windowed sources) are left out. Both files must have the same rows.

The true sources are the truth file's columns named by --truth-columns, or
those starting with --truth-prefix (default "s"); every channel of the
estimate file is an estimated source.`,
		Example: `  vica eval --truth sim.truth.csv --sources est.csv
  vica eval --truth sim.truth.csv --truth-columns s1,s2 --sources est.parquet --json`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if truthPath == "" || estPath == "" {
				return usagef("eval needs --truth FILE and --sources FILE")
			}
			var m ica.Correlation
			switch strings.ToLower(method) {
			case "pearson":
				m = ica.Pearson
			case "spearman":
				m = ica.Spearman
			default:
				return usagef("--method %q: want pearson or spearman", method)
			}
			var rd dataFlags
			rd.missing = "error"
			truth, _, err := rd.read(truthPath)
			if err != nil {
				return err
			}
			if len(truthCols) == 0 {
				for _, n := range truth.Names() {
					if strings.HasPrefix(n, prefix) && n != "segment" {
						truthCols = append(truthCols, n)
					}
				}
				if len(truthCols) == 0 {
					return fmt.Errorf("%q: no column starts with %q: name the true sources with --truth-columns", truthPath, prefix)
				}
			}
			if truth, err = truth.Select(truthCols...); err != nil {
				return fmt.Errorf("%q: %w", truthPath, err)
			}
			est, _, err := rd.read(estPath)
			if err != nil {
				return err
			}
			if est.Rows() != truth.Rows() {
				return fmt.Errorf("%q has %d rows and %q %d: the estimates must line up with the truth row for row", estPath, est.Rows(), truthPath, truth.Rows())
			}
			res, err := ica.MCCFrames(truth, est, m)
			if err != nil {
				return err
			}
			return printEval(e, evalReport(res, truth, est, method), asJSON)
		},
	}
	fs := c.Flags()
	fs.StringVar(&truthPath, "truth", "", "file with the true sources")
	fs.StringVar(&estPath, "sources", "", "file with the estimated sources")
	fs.StringSliceVar(&truthCols, "truth-columns", nil, "the true sources' columns (comma-separated)")
	fs.StringVar(&prefix, "truth-prefix", "s", "the true sources are the columns starting with this prefix")
	fs.StringVar(&method, "method", "pearson", "correlation: pearson or spearman")
	fs.BoolVar(&asJSON, "json", false, "print machine-readable JSON")
	return c
}

func evalReport(res *ica.MatchResult, truth, est *timeseries.Frame, method string) *evalResult {
	r := &evalResult{Method: strings.ToLower(method), MCC: res.MCC, Rows: res.Rows}
	for i, j := range res.Pairs {
		p := evalPair{Truth: truth.Names()[i], Correlation: res.Corr[i]}
		if j >= 0 {
			p.Estimate = est.Names()[j]
		}
		r.Pairs = append(r.Pairs, p)
	}
	for _, j := range res.Unmatched {
		r.Extra = append(r.Extra, est.Names()[j])
	}
	return r
}

func printEval(e *env, r *evalResult, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(e.stdout, "MCC (%s) %.4f over %d rows\n", r.Method, r.MCC, r.Rows)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "truth\testimate\tcorrelation")
	for _, p := range r.Pairs {
		est := p.Estimate
		if est == "" {
			est = "(none)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%+.4f\n", p.Truth, est, p.Correlation)
	}
	if len(r.Extra) > 0 {
		fmt.Fprintf(tw, "unmatched estimates: %s\n", strings.Join(r.Extra, ", "))
	}
	return tw.Flush()
}
