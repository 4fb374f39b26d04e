package agnostic

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

//go:embed nixlib
var nixlibFS embed.FS

var (
	nixlibOnce sync.Once
	nixlibDir  string
	nixlibErr  error
)

// NixLibDir returns a directory holding nixproc's Nix library, the one handed
// to models as -I nixproc=DIR. The NIXPROC environment variable points to
// another copy (for working on the library); otherwise the embedded copy is
// unpacked once into the user's cache, in a directory named by its hash, so a
// new nixproc never sees an old library.
func NixLibDir() (string, error) {
	if dir := os.Getenv("NIXPROC"); dir != "" {
		return dir, nil
	}
	nixlibOnce.Do(func() { nixlibDir, nixlibErr = unpackNixLib() })
	return nixlibDir, nixlibErr
}

func unpackNixLib() (string, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(nixlibFS, "nixlib", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := nixlibFS.ReadFile(path)
		files[path[len("nixlib/"):]] = data
		return err
	})
	if err != nil {
		return "", err
	}
	names := SortedKeys(files)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	cache, err := os.UserCacheDir()
	if err != nil || cache == "" {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "nixproc", "nixlib-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("unpacking the Nix library: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".nixlib-")
	if err != nil {
		return "", fmt.Errorf("unpacking the Nix library: %w", err)
	}
	for _, n := range names {
		p := filepath.Join(tmp, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, files[n], 0o444); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, statErr := os.Stat(dir); statErr == nil {
			return dir, nil // another nixproc unpacked it at the same time
		}
		return "", fmt.Errorf("unpacking the Nix library: %w", err)
	}
	return dir, nil
}
