package agnosticconfig

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
)

// WriteOptions say how to write the configurations of a model.
type WriteOptions struct {
	// Eval evaluates the model; its ProcessManager is ignored: agnostic
	// configurations are evaluated for no process manager (null).
	Eval agnostic.EvalOptions
	// OutLink, when set, is made a symlink to the written directory.
	OutLink string
	// Warnings receives a line per override a configuration cannot carry.
	Warnings io.Writer
}

// DirSuffix ends the name of every directory Write makes.
const DirSuffix = "-nixproc-agnostic-configs"

// Write evaluates a processes model and writes one configuration per
// process, <name>.json, into a new directory named by the hash of its
// files, next to the profiles nixproc builds, and returns it. The store paths
// the model refers to are realised, so the configurations can be deployed
// on this machine. The directory appears whole or not at all.
func Write(ctx context.Context, o WriteOptions) (string, error) {
	o.Eval.ProcessManager = ""
	ev, err := agnostic.Evaluate(ctx, o.Eval)
	if err != nil {
		return "", err
	}
	model, err := agnostic.DecodeProcesses(ev.JSON)
	if err != nil {
		return "", fmt.Errorf("%s: %w", o.Eval.ExprFile, err)
	}
	files := map[string][]byte{}
	for _, p := range model.Order() {
		data, err := Encode(p)
		if err != nil {
			return "", err
		}
		files[p.Name+".json"] = data
		if o.Warnings != nil {
			for _, pm := range functionOverrides(p) {
				fmt.Fprintf(o.Warnings, "warning: process %s: overrides.%s is a Nix function, which a JSON configuration cannot carry: generate-config -P %s refuses %s.json\n", p.Key, pm, pm, p.Name)
			}
		}
	}
	if _, err := backends.Realise(ctx, ev.StorePaths); err != nil {
		return "", err
	}
	dir, err := backends.BuildsDir()
	if err != nil {
		return "", err
	}
	final := filepath.Join(dir, treeHash(files)+DirSuffix)
	if _, err := os.Stat(final); err != nil {
		tmp, err := os.MkdirTemp(dir, ".configs-")
		if err != nil {
			return "", fmt.Errorf("cannot write the configurations: %w", err)
		}
		os.Chmod(tmp, 0o755) // readable by the users processes run as
		for _, name := range agnostic.SortedKeys(files) {
			if err := os.WriteFile(filepath.Join(tmp, name), files[name], 0o444); err != nil {
				os.RemoveAll(tmp)
				return "", fmt.Errorf("cannot write the configurations: %w", err)
			}
		}
		if err := os.Rename(tmp, final); err != nil {
			os.RemoveAll(tmp)
			if _, statErr := os.Stat(final); statErr != nil {
				return "", fmt.Errorf("cannot write the configurations: %w", err)
			}
		}
	}
	if o.OutLink != "" {
		if err := replaceSymlink(final, o.OutLink); err != nil {
			return "", fmt.Errorf("making the result link %s: %w", o.OutLink, err)
		}
	}
	return final, nil
}

// treeHash names a directory after its files, as profiles are named.
func treeHash(files map[string][]byte) string {
	h := sha256.New()
	for _, name := range agnostic.SortedKeys(files) {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(files[name]))
		h.Write(files[name])
	}
	enc := base32.NewEncoding("0123456789abcdfghijklmnpqrsvwxyz").WithPadding(base32.NoPadding)
	return strings.ToLower(enc.EncodeToString(h.Sum(nil)[:20]))
}

func replaceSymlink(target, link string) error {
	tmp := link + ".nixproc-tmp"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}
