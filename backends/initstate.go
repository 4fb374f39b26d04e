package backends

import (
	"fmt"
	"os"

	"nixproc/agnostic"
)

// InitState creates the state directories of a deployment, as
// nixproc-init-state does: every directory exists afterwards, and a temp
// directory nixproc creates is world-writable with the sticky bit (unless
// user changes are disabled, then it belongs to the caller alone).
func InitState(dirs agnostic.Dirs, forceDisableUserChange bool) error {
	d := dirs.Resolved()
	if err := os.MkdirAll(d.StateDir, 0o755); err != nil {
		return fmt.Errorf("creating state directory %s: %w", d.StateDir, unwrap(err))
	}
	if _, err := os.Stat(d.TmpDir); os.IsNotExist(err) {
		if err := os.MkdirAll(d.TmpDir, 0o755); err != nil {
			return fmt.Errorf("creating temp directory %s: %w", d.TmpDir, unwrap(err))
		}
		if !forceDisableUserChange {
			if err := os.Chmod(d.TmpDir, 0o777|os.ModeSticky); err != nil {
				return err
			}
		}
	}
	for _, dir := range []string{d.RuntimeDir, d.LogDir, d.CacheDir, d.SpoolDir, d.LockDir, d.LibDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating state directory %s: %w", dir, unwrap(err))
		}
	}
	return nil
}
