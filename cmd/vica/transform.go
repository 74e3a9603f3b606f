package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vica-dev/vica/ica"
)

func newTransformCmd(e *env) *cobra.Command {
	var (
		d   dataFlags
		out string
	)
	c := &cobra.Command{
		Use:   "transform MODEL FILE",
		Short: "Apply a fitted model to new data",
		Long: `transform reads a model written by vica fit --model and computes the sources
of FILE, which must hold the model's channels (found by name; others are
ignored). The sources go to -o (by extension) or to stdout as CSV.`,
		Example: `  vica transform sensors.vica today.csv -o today_sources.csv`,
		Args:    exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			m, err := ica.LoadFile(args[0])
			if err != nil {
				return err
			}
			f, _, err := d.load(args[1], e.stderr)
			if err != nil {
				return err
			}
			src, err := m.Transform(f)
			if err != nil {
				return fmt.Errorf("%q: %w", args[1], err)
			}
			if out == "" {
				return writeCSV(e.stdout, src)
			}
			if err := writeFrame(out, src); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "vica: wrote %s: %d rows, %d sources\n", out, src.Rows(), src.Channels())
			return nil
		},
	}
	d.register(c)
	c.Flags().StringVarP(&out, "output", "o", "", "file for the sources (.csv, .arrow, .feather, .arrows, .parquet); default: CSV on stdout")
	return c
}
