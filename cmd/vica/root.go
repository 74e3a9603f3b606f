package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, documented in the README and in `vica help exit-codes`.
const (
	exitOK      = 0 // success
	exitFailure = 1 // bad data, I/O, a fit that failed
	exitUsage   = 2 // unknown command or flag, wrong number of arguments, bad flag value
	exitDoubt   = 3 // --min-confidence: the count's confidence is under the minimum
)

// usageError marks an error in how vica was called, as opposed to a failure
// while doing the work; it maps to exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// doubtError marks an answer withheld because its confidence is under
// the minimum asked for; it maps to exit code 3.
type doubtError struct{ err error }

func (e *doubtError) Error() string { return e.err.Error() }
func (e *doubtError) Unwrap() error { return e.err }

// env is what every command writes to.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run executes vica with args and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "vica: interrupted; no output file was left half-written")
		return exitFailure
	}
	fmt.Fprintf(stderr, "vica: %s\n", flagHints.Replace(err.Error()))
	return exitCode(err)
}

// exitCode is the exit code of a command that failed with err.
func exitCode(err error) int {
	var ue *usageError
	var de *doubtError
	switch {
	case errors.As(err, &ue) || isCobraUsage(err):
		return exitUsage
	case errors.As(err, &de):
		return exitDoubt
	}
	return exitFailure
}

// flagHints turns the library's advice, which names Go options, into the
// command-line flags that do the same.
var flagHints = strings.NewReplacer(
	"WithNonNumeric(SkipNonNumeric)", "--skip-non-numeric",
	"WithMissing", "--na",
	"WithSentinel", "--na",
	"WithColumns", "--columns or --exclude",
	"WithNoTimeColumn", "--time-column none",
	"WithTimeColumn", "--time-column",
	"WithDateFormat", "--date-format",
	"WithDecimalComma", "--decimal",
	"WithDelimiter", "--delimiter",
)

// isCobraUsage recognises the errors cobra returns for unknown commands and
// argument-count mistakes, which carry no type of their own.
func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") ||
		strings.HasPrefix(s, "unknown flag") ||
		strings.HasPrefix(s, "unknown shorthand flag") ||
		strings.Contains(s, "arg(s), received") ||
		strings.HasPrefix(s, "invalid argument")
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "vica",
		Short: "Nonlinear independent component analysis of multichannel time series",
		Long: `vica finds how many independent sources drive a multichannel time series,
unmixes them, and keeps a model that applies to new data. It fits
identifiable variational autoencoders (iVAE, Khemakhem et al. 2020) whose
prior is conditioned on the time segment.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w (see 'vica %s --help')", err, c.Name())}
	})
	root.AddCommand(
		newVersionCmd(e),
		newDescribeCmd(e),
		newConvertCmd(e),
		newSimulateCmd(e),
		newFitCmd(e),
		newCountCmd(e),
		newTransformCmd(e),
		newEvalCmd(e),
		newBenchCmd(e),
		exitCodesHelp(),
	)
	return root
}

// exactArgs is cobra.ExactArgs with a usage error and the command's usage line.
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %d argument(s), got %d: usage: %s", c.Name(), n, len(args), c.UseLine())
		}
		return nil
	}
}

func exitCodesHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "What vica's exit codes mean",
		Long: `Exit codes:
  0  success
  1  failure: bad data (the message names the file, line and column), I/O errors,
     a fit that could not be done, or an interrupt (Ctrl-C); no output file is
     left half-written
  2  usage: unknown command or flag, wrong number of arguments, a bad flag value
  3  --min-confidence: the estimated count's confidence is under the minimum,
     so count prints no count (with --json the estimate still is) and fit
     stops before fitting, writing nothing`,
	}
}
