package backends

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockProfile takes an exclusive lock for switching a profile, so two
// switches never interleave. The lock goes away with the process, even if it
// is killed.
func lockProfile(g Profiles) (func(), error) {
	if err := os.MkdirAll(g.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the profile directory %s: %w", g.Dir, unwrap(err))
	}
	path := filepath.Join(g.Dir, g.Name+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open the lock %s: %w", path, unwrap(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another switch of profile %s is running (lock %s is held)", filepath.Join(g.Dir, g.Name), path)
	}
	return func() { f.Close() }, nil
}
