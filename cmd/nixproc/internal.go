package main

import (
	"fmt"
	"os"
	"runtime/pprof"
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

// startCPUProfile writes a Go CPU profile of the command to the file named
// by NIXPROC_CPUPROFILE, for finding where a slow build spends its time
// (go tool pprof bin/nixproc FILE). It returns what ends the profile.
func startCPUProfile() func() {
	path := os.Getenv("NIXPROC_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nixproc: NIXPROC_CPUPROFILE: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		fmt.Fprintf(os.Stderr, "nixproc: NIXPROC_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
