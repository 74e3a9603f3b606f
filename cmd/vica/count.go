package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vica-dev/vica/ica"
	"github.com/vica-dev/vica/selection"
	"github.com/vica-dev/vica/timeseries"
)

// countFlags are the flags of the source-count estimate, shared by count
// and fit --sources auto.
type countFlags struct {
	maxSources int
	restarts   int
	rule       string
	samples    int
	train      int
	prSamples  int
	principal  bool
	minConf    float64
}

func (c *countFlags) register(cmd *cobra.Command, prefix string) {
	fs := cmd.Flags()
	fs.IntVar(&c.maxSources, "max-sources", 0, "largest number of sources considered (default: min(channels, 10))")
	fs.IntVar(&c.restarts, prefix+"restarts", selection.DefaultRestarts, "fits per latent size in the estimate of the count")
	fs.StringVar(&c.rule, "rule", "min", "how the two counts are combined: min (the smaller), vote (across restarts), kl (per-dimension KL alone) or elbo (held-out bound alone)")
	fs.IntVar(&c.samples, "samples", selection.DefaultSamples, "importance samples per window of the held-out bound")
	fs.IntVar(&c.train, "train-samples", selection.DefaultTrainSamples, "importance samples per window of the fits' training objective: 1 is the ELBO; above 1 the importance-weighted bound, closer to the true model but 2.6 times slower at 5 and not yet more accurate (see docs/counting.md)")
	fs.IntVar(&c.prSamples, "principal-samples", selection.DefaultPrincipalSamples, "importance samples per window of the principal-components fits' training objective (1 is the ELBO)")
	fs.Float64Var(&c.minConf, "min-confidence", 0, "exit with code 3 when the estimated count's confidence (0 to 1) is under this: count prints no count, fit stops before fitting and writes nothing")
	fs.BoolVar(&c.principal, "principal", true, fmt.Sprintf("when the count is at least 2, leaves at most %d channels unexplained and the channel fits put at least %.0f%% of the weakest principal direction's variance into their noise, also fit the channels' whitened principal components and take their count if they fit significantly better (finds weak sources when the channels are as many as the sources); --principal=false turns it off", selection.PrincipalSlack, 100*selection.PrincipalNoiseShare))
}

func (c *countFlags) settings(seed uint64, base *ica.Settings) (*selection.Settings, error) {
	rule, err := selection.ParseRule(c.rule)
	if err != nil {
		return nil, usagef("--rule %q: want min, vote, kl or elbo", c.rule)
	}
	if c.maxSources < 0 || c.restarts < 1 || c.samples < 1 || c.train < 1 || c.prSamples < 1 {
		return nil, usagef("--max-sources must be positive, --restarts, --samples, --train-samples and --principal-samples at least 1")
	}
	if !(c.minConf >= 0 && c.minConf <= 1) {
		return nil, usagef("--min-confidence %g: want a share from 0 to 1", c.minConf)
	}
	return &selection.Settings{
		MaxSources:       c.maxSources,
		Restarts:         c.restarts,
		Samples:          c.samples,
		TrainSamples:     c.train,
		PrincipalSamples: c.prSamples,
		Rule:             rule,
		NoPrincipal:      !c.principal,
		Seed:             seed,
		ICA:              base,
	}, nil
}

// estimate runs selection.Estimate with progress on prog.
func estimate(cmd *cobra.Command, f *timeseries.Frame, s *selection.Settings, prog *progress) (*selection.Result, error) {
	s.Progress = func(p selection.Progress) {
		prog.label = fmt.Sprintf("count: fit %d/%d (K=%d)", p.Fit, p.Fits, p.Sources)
		prog.update(p.Progress)
	}
	r, err := selection.Estimate(cmd.Context(), f, s)
	prog.finish()
	return r, err
}

func newCountCmd(e *env) *cobra.Command {
	var (
		d      dataFlags
		cf     countFlags
		seed   uint64
		asJSON bool
		quiet  bool
	)
	c := &cobra.Command{
		Use:   "count FILE",
		Short: "Estimate how many independent sources drive the channels",
		Long: `count prints the estimated number of independent sources of FILE, and only
that, so that K=$(vica count sensors.csv) works in a pipeline.

Two rules are combined: the number of latent dimensions that carry
information (mean KL above a threshold) in a model fitted with the most
sources, and the smallest number of sources whose held-out importance-
weighted bound is within one standard error of the best, over fits of
1..--max-sources sources with --restarts seeds each (or the dimensions
that size's best fit uses, if fewer). When that count is
at least 2, leaves at most ` + fmt.Sprint(selection.PrincipalSlack) + ` channels unexplained and the channel fits put at least
` + fmt.Sprint(100*selection.PrincipalNoiseShare) + `% of the variance along the weakest principal direction into their
noise, the most-sources fits are also made on the channels' whitened
principal components, trained on the importance-weighted bound
(--principal-samples). When those fit the data significantly better (a
weak source hides along a minor principal direction, as when there are
as many channels as sources), their count of active dimensions whose
variance changes across segments is the answer (--principal=false skips
this).

Before the fits, the rows' neighbourhoods are searched for points that
lie exactly (to rounding) in a lower-dimensional flat: noise-free
channels of a piecewise-linear mixing, such as leaky-ReLU layers, are
K-dimensional linear pieces. When two or more rows find the least
dimension directly among their nearest neighbours, it is the count;
otherwise it bounds the count from above. Noisy channels show no such
structure, and channels whose values repeat (quantised data) are not
searched. --json adds the per-dimension KL, the bound for each number of
sources with its standard error, both counts, their agreement, the final
count, a confidence (the share of restarts and rules that agree with it)
and two linear baselines (Minka's PCA dimensionality and the largest
eigenvalue gap).

In a pipeline that must not go on with a doubtful count, --min-confidence
withholds a count whose confidence is under the minimum: nothing on
stdout (with --json the estimate is still printed, to be looked at), a
message on stderr, and exit code 3. The README's Accuracy says how often
counts of each confidence were right on simulated data.`,
		Example: `  K=$(vica count sensors.csv)
  K=$(vica count sensors.csv --min-confidence 1) || echo "count doubtful: see vica count --json" >&2
  vica count sensors.csv --max-sources 6 --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := cf.settings(seed, nil)
			if err != nil {
				return err
			}
			f, _, err := d.load(args[0], e.stderr)
			if err != nil {
				return err
			}
			r, err := estimate(cmd, f, s, newProgress(e.stderr, quiet))
			if err != nil {
				return fmt.Errorf("%q: %w", args[0], err)
			}
			doubt := doubtful(args[0], r, cf.minConf)
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
				return doubt
			}
			if !quiet {
				printCount(e.stderr, r)
			}
			if doubt != nil {
				return doubt
			}
			_, err = fmt.Fprintln(e.stdout, r.K)
			return err
		},
	}
	d.register(c)
	cf.register(c, "")
	c.Flags().Uint64Var(&seed, "seed", 1, "random seed: the same seed gives the same count")
	c.Flags().BoolVar(&asJSON, "json", false, "print the whole estimate as JSON")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress or table on stderr")
	return c
}

// doubtful returns the error that withholds the count of file when its
// confidence is under minConf (--min-confidence), and nil otherwise.
func doubtful(file string, r *selection.Result, minConf float64) error {
	if r.Confidence >= minConf {
		return nil
	}
	return &doubtError{fmt.Errorf("%q: the count %d has confidence %.2f, under --min-confidence %g, so it is withheld (exit code 3): look at the per-dimension KL, the sweep and the principal fits (--json) before using it",
		file, r.K, r.Confidence, minConf)}
}

// printCount writes the estimate in words and a table of the sweep.
func printCount(w io.Writer, r *selection.Result) {
	agree := "agree"
	if !r.Agree {
		agree = "disagree"
	}
	// what set the count: the later steps override the rule
	by := "rule " + r.Rule
	switch {
	case r.Exact != nil && r.Exact.Chosen:
		by = "exact structure"
	case r.Principal != nil && r.Principal.Chosen:
		by = "principal components"
	}
	fmt.Fprintf(w, "sources: %d (%s, confidence %.2f); per-dimension KL says %d, held-out bound says %d: they %s\n",
		r.K, by, r.Confidence, r.KLCount, r.ELBOCount, agree)
	if x := r.Exact; x != nil {
		switch {
		case !x.Searched:
			fmt.Fprintf(w, "exact structure: not searched: %s\n", x.Skipped)
		case x.Dimension == 0:
			fmt.Fprintf(w, "exact structure: none in %d rows' neighbourhoods (noise, a smooth mixing, as many sources as channels, or linear pieces too small for the search)\n", x.Points)
		case x.Direct >= selection.ExactSupport && x.Chosen:
			fmt.Fprintf(w, "exact structure: %d of %d rows' neighbourhoods lie exactly in %d dimensions (%d found directly), so the count is %d\n", x.Support, x.Points, x.Dimension, x.Direct, x.Dimension)
		case x.Reached:
			fmt.Fprintf(w, "exact structure: %d of %d rows' neighbourhoods lie exactly in %d dimensions (%d found directly), an upper bound that the per-dimension KL count reaches through dimensions whose variance changes across segments, so the count is %d\n", x.Support, x.Points, x.Dimension, x.Direct, x.Dimension)
		case x.Chosen:
			fmt.Fprintf(w, "exact structure: %d of %d rows' neighbourhoods lie exactly in %d dimensions (%d found directly), which bounds the count\n", x.Support, x.Points, x.Dimension, x.Direct)
		case x.Dimension > r.MaxSources:
			fmt.Fprintf(w, "exact structure: %d of %d rows' neighbourhoods lie exactly in %d dimensions, more than the %d sources considered\n", x.Support, x.Points, x.Dimension, r.MaxSources)
		default:
			fmt.Fprintf(w, "exact structure: %d of %d rows' neighbourhoods lie exactly in %d dimensions (%d found directly), an upper bound the count does not exceed\n", x.Support, x.Points, x.Dimension, x.Direct)
		}
	}
	if p := r.Principal; p != nil {
		switch {
		case !p.Consulted:
			fmt.Fprintf(w, "principal components: not fitted: %s\n", p.Skipped)
		case math.IsNaN(p.Bound):
			fmt.Fprintf(w, "principal components: every fit failed, so the count is the rule's %d\n", p.RuleCount)
		default:
			verdict := fmt.Sprintf("not significantly better, so the count is the rule's %d", p.RuleCount)
			switch {
			case p.Chosen:
				verdict = fmt.Sprintf("significantly better, so the count is their %d active dimensions", p.KLCount)
			case p.Gain > p.Margin:
				verdict = fmt.Sprintf("better, but none of their dimensions counts, so the count is the rule's %d", p.RuleCount)
			}
			if p.Stationary > 0 {
				verdict += fmt.Sprintf(" (%d more dimensions of theirs have a variance that does not change across segments, as noise does, and do not count)", p.Stationary)
			}
			fmt.Fprintf(w, "principal components: held-out bound %.3f against %.3f for the channels, gain %.3f (margin %.3f): %s\n",
				p.Bound, p.ChannelsBound, p.Gain, p.Margin, verdict)
		}
	}
	fmt.Fprintf(w, "linear baselines: Minka %d, eigenvalue gap %d\n", r.Minka, r.EigenGap)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "K\theld-out bound\tstd. error\tdim KL\t")
	for i, row := range r.Sweep {
		kl := "-"
		if i < len(r.PerDimKL) {
			kl = fmt.Sprintf("%.3f", r.PerDimKL[i])
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t\n", row.K, num(row.Bound), num(row.StdErr), kl)
	}
	tw.Flush()
}

func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.4f", v)
}
