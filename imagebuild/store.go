package imagebuild

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"

	"nixproc/agnostic"
)

// StoreDir is the Nix store images hold their store paths in.
const StoreDir = "/nix/store"

// StorePaths returns the store paths a text refers to (a file below a store
// path counts as the store path), sorted and without duplicates.
func StorePaths(text string) []string {
	return agnostic.StorePathsIn([]byte(text), StoreDir)
}

// Closure returns the store paths roots need at run time, roots included,
// sorted (nix-store --query --requisites). Every root must be a valid store
// path or a path inside one.
func Closure(ctx context.Context, roots []string) ([]string, error) {
	if len(roots) == 0 {
		return nil, nil
	}
	var paths []string
	for _, r := range roots {
		sp := StorePaths(r)
		if len(sp) != 1 || !strings.HasPrefix(r, sp[0]) {
			return nil, fmt.Errorf("%s is not a path in the Nix store", r)
		}
		paths = append(paths, sp[0])
	}
	args := append([]string{"--query", "--requisites"}, agnostic.NixOptions...)
	args = append(args, paths...)
	cmd := exec.CommandContext(ctx, "nix-store", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := agnostic.CondenseNixError(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("computing the closure of %s: %s", strings.Join(paths, " "), msg)
	}
	closure := strings.Fields(string(out))
	sort.Strings(closure)
	return closure, nil
}

// MaxStoreLayers is how many layers StoreLayers makes at most; the store
// paths that do not get a layer of their own share the last one. Engines
// limit the layers of an image (overlay mounts take ~128 lower directories).
const MaxStoreLayers = 100

// StoreLayers returns layers holding the closure of roots under /nix/store:
// one layer per store path, in sorted order, so that two images with a store
// path in common share that layer; beyond maxLayers (MaxStoreLayers when 0)
// the remaining paths share the last layer.
func StoreLayers(ctx context.Context, roots []string, maxLayers int) ([]Layer, error) {
	closure, err := Closure(ctx, roots)
	if err != nil {
		return nil, err
	}
	if maxLayers <= 0 {
		maxLayers = MaxStoreLayers
	}
	var layers []Layer
	for i := 0; i < len(closure); i++ {
		group := closure[i : i+1]
		if i == maxLayers-1 {
			group = closure[i:]
		}
		tree := NewTree()
		if err := tree.Dir("/nix", 0o755); err != nil {
			return nil, err
		}
		if err := tree.Dir(StoreDir, 0o555); err != nil {
			return nil, err
		}
		for _, sp := range group {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := tree.copyHost(sp); err != nil {
				return nil, err
			}
		}
		what := "store path " + group[0]
		if len(group) > 1 {
			what = fmt.Sprintf("store paths %s and %d more", group[0], len(group)-1)
		}
		layers = append(layers, Layer{Tree: tree, CreatedBy: "nixproc: " + what})
		if len(group) > 1 {
			break
		}
	}
	return layers, nil
}
