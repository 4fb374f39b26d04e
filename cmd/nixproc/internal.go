package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"nixproc/agnostic"
)

// newNixLibraryCmd prints where the Nix library is (what -I nixproc=...
// points to), for running nix-instantiate by hand on a model.
func newNixLibraryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "nix-library",
		Short: "Print the directory of nixproc's Nix library (for -I nixproc=DIR)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			dir, err := agnostic.NixLibDir()
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), dir)
			return nil
		},
	}
}

// reportPeakMemory prints nixproc's own peak resident set when
// NIXPROC_STATS=1, for the benchmarks: tools like time(1) would also count
// nix-instantiate, which nixproc runs as a child.
func reportPeakMemory() {
	if os.Getenv("NIXPROC_STATS") != "1" {
		return
	}
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Fprintf(os.Stderr, "nixproc-stats: peak-rss-kib %s\n", strings.Fields(l)[1])
		}
	}
}
