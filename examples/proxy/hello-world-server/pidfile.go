package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// writePIDFile records this process's PID atomically (a temporary file,
// then a rename); an empty path writes nothing.
func writePIDFile(path string) error {
	if path == "" {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write the PID file %s: %w", path, err)
	}
	_, err = fmt.Fprintf(tmp, "%d\n", os.Getpid())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write the PID file %s: %w", path, err)
	}
	return nil
}

// removePIDFile deletes the PID file if it still names this process.
func removePIDFile(path string) {
	if path == "" {
		return
	}
	if data, err := os.ReadFile(path); err == nil && string(bytes.TrimSpace(data)) == strconv.Itoa(os.Getpid()) {
		os.Remove(path)
	}
}
