package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/spf13/cobra"

	"nixproc/agnostic"
	"nixproc/backends/s6rc"
)

// newS6SvscanCmd is nixproc-s6-svscan: the supervision tree the s6-rc
// backend deploys to. It becomes s6-svscan (exec, so that signals reach it
// directly), scanning <runtime-dir>/service.
func newS6SvscanCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "s6-svscan [OPTION]",
		Short: "Run s6-svscan on the scan directory the s6-rc backend deploys to",
		Long: `Creates <runtime-dir>/service and runs s6-svscan on it in the foreground, as
the supervision tree of nixproc-s6-rc-switch and nixproc-s6-rc-deploy (with the
same --state-dir and --runtime-dir). s6-svscanctl -t <runtime-dir>/service
stops it and every service it supervises.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fs := c.Flags()
			dirs := agnostic.Dirs{
				StateDir:   flagOrEnv(fs, "state-dir", "NIXPROC_STATE_DIR"),
				RuntimeDir: flagOrEnv(fs, "runtime-dir", "NIXPROC_RUNTIME_DIR"),
			}
			scan := s6rc.LayoutFor(dirs).ScanDir
			if err := os.MkdirAll(scan, 0o755); err != nil {
				return fmt.Errorf("creating the scan directory %s: %w", scan, err)
			}
			svscan, err := exec.LookPath("s6-svscan")
			if err != nil {
				return fmt.Errorf("s6-svscan is not installed (it comes with s6)")
			}
			return syscall.Exec(svscan, []string{"s6-svscan", scan}, os.Environ())
		},
	}
	c.Flags().String("state-dir", "", "base directory of all state (default /var) [$NIXPROC_STATE_DIR]")
	c.Flags().String("runtime-dir", "", "runtime directory; the scan directory is its service subdirectory (default <state-dir>/run) [$NIXPROC_RUNTIME_DIR]")
	return c
}
