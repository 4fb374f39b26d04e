package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// writePIDFile records the PID of this process. It writes a temporary file
// next to the target and renames it, so that a reader never sees a partial
// PID. An empty path means no PID file was asked for.
func writePIDFile(path string) error {
	if path == "" {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write PID file %s: %w", path, err)
	}
	_, writeErr := fmt.Fprintf(tmp, "%d\n", os.Getpid())
	closeErr := tmp.Close()
	if writeErr == nil {
		writeErr = closeErr
	}
	if writeErr == nil {
		writeErr = os.Chmod(tmp.Name(), 0o644)
	}
	if writeErr == nil {
		writeErr = os.Rename(tmp.Name(), path)
	}
	if writeErr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write PID file %s: %w", path, writeErr)
	}
	return nil
}

// removePIDFile deletes the PID file if it still names this process, so a
// newer instance that took over the same path keeps its file.
func removePIDFile(path string) {
	if path == "" {
		return
	}
	content, err := os.ReadFile(path)
	if err != nil {
		return
	}
	if string(bytes.TrimSpace(content)) == strconv.Itoa(os.Getpid()) {
		os.Remove(path)
	}
}
