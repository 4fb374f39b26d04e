package idassign

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data: a temporary file in the same
// directory, synced, then renamed over it, so readers see the old or the new
// file and never a part. An existing file keeps its permissions; a link is
// written through.
func WriteFileAtomic(path string, data []byte) (err error) {
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(target); err == nil {
		if !st.Mode().IsRegular() {
			return fmt.Errorf("output file %s: not a regular file", path)
		}
		mode = st.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return fmt.Errorf("output file %s: %w", path, unwrap(err))
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("output file %s: %w", path, unwrap(err))
	}
	if err = f.Chmod(mode); err != nil {
		return fmt.Errorf("output file %s: %w", path, unwrap(err))
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("output file %s: %w", path, unwrap(err))
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("output file %s: %w", path, unwrap(err))
	}
	if err = os.Rename(f.Name(), target); err != nil {
		return fmt.Errorf("output file %s: %w", path, unwrap(err))
	}
	return nil
}
