package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newConvertCmd(e *env) *cobra.Command {
	var d dataFlags
	c := &cobra.Command{
		Use:   "convert IN OUT",
		Short: "Convert between CSV, Arrow (IPC file or stream) and Parquet, losslessly",
		Long: `convert reads IN and writes OUT, each in the format of its extension:
.csv (.tsv), .arrow or .feather (Arrow IPC file, Feather v2), .arrows or .ipc
(Arrow IPC stream), .parquet. Values round-trip bit for bit; missing values
stay missing (empty in CSV, null in Arrow and Parquet). OUT is written to a
temporary file and renamed into place, so a failure leaves nothing behind.

The data flags select channels and say how to read IN. --missing applies
only if given a policy other than "error"; by default missing values are
kept as they are.`,
		Example: `  vica convert sensors.csv sensors.parquet
  vica convert AirQualityUCI.csv air.arrow --na -200`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			f, _, err := d.read(args[0])
			if err != nil {
				return err
			}
			if d.missing != "error" {
				p, _ := d.policy()
				g, rep, err := f.HandleMissing(p)
				if err != nil {
					return fmt.Errorf("%q: %w", args[0], err)
				}
				if rep.Total() > 0 {
					fmt.Fprintf(e.stderr, "vica: %d missing values handled by --missing %s (%s)\n", rep.Total(), p, missingSummary(rep))
				}
				f = g
			}
			if err := writeFrame(args[1], f); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "vica: wrote %s: %d rows, %d channels\n", args[1], f.Rows(), f.Channels())
			return nil
		},
	}
	d.register(c)
	return c
}
