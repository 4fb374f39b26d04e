package backends

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"nixproc/agnostic"
)

// BuildOptions say how to build a profile.
type BuildOptions struct {
	Eval                   agnostic.EvalOptions
	ForceDisableUserChange bool
	// OutLink, when set, is made a symlink to the built profile.
	OutLink string
	// Warnings receives one line per field a backend cannot express.
	Warnings io.Writer
}

// Build runs the pipeline: evaluate the model, realise the store paths it
// refers to, translate every process (overrides merged), render the profile
// into a temporary directory and move it into place under its content hash.
// Nothing is left behind on failure.
func Build(ctx context.Context, b Backend, o BuildOptions) (string, error) {
	o.Eval.ProcessManager = b.Name()
	o.Eval.ForceDisableUserChange = o.ForceDisableUserChange
	st := newStageTimer()
	defer st.report()
	// 1. Evaluate: nix-instantiate, or a JSON model as it is.
	ev, err := agnostic.Evaluate(ctx, o.Eval)
	if err != nil {
		return "", err
	}
	st.done("evaluate")
	// 2. Decode and validate: defaults, names, dependencies, cycles.
	model, err := agnostic.DecodeProcesses(ev.JSON)
	if err != nil {
		return "", fmt.Errorf("%s: %w", modelName(o.Eval.ExprFile), err)
	}
	st.done("decode")
	bctx := &Context{
		ProcessManager:         b.Name(),
		Dirs:                   o.Eval.Dirs.Resolved(),
		ForceDisableUserChange: o.ForceDisableUserChange,
		Model:                  model,
	}
	// 3. Translate, merging attribute set overrides and applying function
	//    overrides in a second evaluation pass.
	translated, storePaths, err := translateAll(ctx, b, bctx, o)
	if err != nil {
		return "", err
	}
	st.done("translate")
	// 4. Realise every store path the model and its overrides refer to.
	realised, err := Realise(ctx, append(ev.StorePaths, storePaths...))
	if err != nil {
		return "", err
	}
	st.done("realise")
	// 5. Render into a temporary directory, then move it into place.
	return writeProfile(bctx, b, translated, realised, o.OutLink, st)
}

func modelName(expr string) string {
	if expr == "" {
		return "empty model"
	}
	return expr
}

func translateAll(ctx context.Context, b Backend, bctx *Context, o BuildOptions) ([]Translated, []string, error) {
	pm := b.Name()
	order := bctx.Model.Order()
	out := make([]Translated, len(order))
	// Processes translate independently, so large models use every core;
	// results, warnings and the first error are taken in model order, so
	// the outcome does not depend on scheduling.
	results := make([]translation, len(order))
	Parallel(len(order), func(i int) { results[i] = translateOne(b, bctx, order[i]) })
	pending := map[string]json.RawMessage{}
	pendingIdx := map[string]int{}
	for i, r := range results {
		if r.err != nil {
			return nil, nil, r.err
		}
		if o.Warnings != nil {
			for _, w := range r.warnings {
				fmt.Fprintln(o.Warnings, w.String())
			}
		}
		out[i] = Translated{Process: order[i], Params: r.params}
		if r.functionOverride != nil {
			pending[order[i].Key] = r.functionOverride
			pendingIdx[order[i].Key] = i
		}
	}
	if len(pending) == 0 {
		return out, nil, nil
	}
	applied, storePaths, err := agnostic.ApplyFunctionOverrides(ctx, o.Eval, pending)
	if err != nil {
		return nil, nil, err
	}
	for key, raw := range applied {
		t := &out[pendingIdx[key]]
		params, err := b.Decode(bctx, t.Process, raw)
		if err != nil {
			return nil, nil, overrideError(t.Process, pm, err)
		}
		t.Params = params
	}
	return out, storePaths, nil
}

// translation is the outcome of translating one process.
type translation struct {
	params   any
	warnings []Warning
	// functionOverride holds the generated parameters when a function
	// override must still be applied to them.
	functionOverride json.RawMessage
	err              error
}

func translateOne(b Backend, bctx *Context, p *agnostic.Process) translation {
	pm := b.Name()
	if p.Kind != agnostic.KindManagedProcess {
		if p.Kind != pm {
			return translation{err: &agnostic.FieldError{Process: p.Key, Msg: fmt.Sprintf("is a %s-specific process; it cannot be built for %s (write it with createManagedProcess to target every process manager)", p.Kind, pm)}}
		}
		params, err := b.Decode(bctx, p, p.Native)
		if err != nil {
			return translation{err: &agnostic.FieldError{Process: p.Key, Msg: err.Error()}}
		}
		return translation{params: params}
	}
	params, warnings, err := b.Translate(bctx, p)
	if err != nil {
		return translation{err: err}
	}
	r := translation{params: params, warnings: append(unsupportedFields(b, p), warnings...)}
	if override, ok := p.Overrides[pm]; ok && string(override) != "null" {
		raw, err := json.Marshal(params)
		if err != nil {
			return translation{err: err}
		}
		if isFunctionOverride(override) {
			r.functionOverride = raw
			return r
		}
		merged, err := DeepMerge(raw, override)
		if err != nil {
			return translation{err: overrideError(p, pm, err)}
		}
		if r.params, err = b.Decode(bctx, p, merged); err != nil {
			return translation{err: overrideError(p, pm, err)}
		}
	}
	return r
}

// Parallel runs f(0) … f(n-1) on as many workers as there are cores.
func Parallel(n int, f func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 64 || workers < 2 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// Realise builds or checks every store path, the way nix-build would, and
// returns the resulting paths.
func Realise(ctx context.Context, paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	args := append([]string{"--realise"}, agnostic.NixOptions...)
	args = append(args, paths...)
	cmd := exec.CommandContext(ctx, "nix-store", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("realising the store paths of the model: %s", agnostic.CondenseNixError(stderr.String()))
	}
	var res []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			res = append(res, l)
		}
	}
	return res, nil
}

func writeProfile(bctx *Context, b Backend, translated []Translated, storePaths []string, outLink string, st *stageTimer) (string, error) {
	dir, err := BuildsDir()
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return "", fmt.Errorf("cannot write the profile: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	w := NewProfileWriter(tmp)
	if err := b.Render(bctx, translated, w); err != nil {
		return "", err
	}
	st.done("render")
	// A backend that cannot create accounts (its warning says they are
	// ignored) gets none to create.
	if b.Capabilities().Credentials {
		if err := writeCredentials(bctx, translated, w); err != nil {
			return "", err
		}
	}
	if err := writePostInstallScripts(translated, w); err != nil {
		return "", err
	}
	for i, sp := range storePaths {
		if err := w.Symlink("", fmt.Sprintf("nixproc/gcroots/%d", i), sp); err != nil {
			return "", err
		}
	}
	files := w.processFiles()
	st.done("hash")
	meta := ProfileMeta{
		ProcessManager:         b.Name(),
		Dirs:                   bctx.Dirs,
		ForceDisableUserChange: bctx.ForceDisableUserChange,
		StorePaths:             storePaths,
	}
	for _, t := range translated {
		p := t.Process
		pp := files[p.Name]
		pp.Name, pp.Dependencies = p.Name, p.Dependencies
		if pp.Dependencies == nil {
			pp.Dependencies = []string{}
		}
		pp.User, pp.Lock, pp.Unlock = bctx.User(p.User), p.Lock, p.Unlock
		meta.Processes = append(meta.Processes, pp)
	}
	data, err := json.Marshal(meta)
	if err != nil {
		return "", err
	}
	if err := w.WriteFile("", MetaFile, append(data, '\n'), 0o444); err != nil {
		return "", err
	}
	st.done("meta")
	final := filepath.Join(dir, w.treeHash()+"-nixproc-"+b.Name()+"-profile")
	// A profile is named by the hash of its files (and of the postInstall
	// scripts that add to them), so one that exists already is this one,
	// as a valid Nix store path is: it is used as it is, without writing
	// tens of thousands of files to throw them away.
	if isDir(final) {
		st.done("write")
		return finishProfile(final, len(storePaths), outLink)
	}
	w.resolveSelfRefs(final)
	if err := w.flush(); err != nil {
		return "", fmt.Errorf("cannot write the profile: %w", err)
	}
	st.done("write")
	if err := runPostInstall(translated, tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(final); statErr != nil {
			return "", fmt.Errorf("cannot write the profile: %w", err)
		}
		// the same profile was built before: keep that one
		os.RemoveAll(tmp)
	}
	ok = true
	return finishProfile(final, len(storePaths), outLink)
}

// finishProfile protects the store paths of a profile in place and points
// the out link at it.
func finishProfile(final string, storePaths int, outLink string) (string, error) {
	registerGCRoots(final, storePaths)
	if outLink != "" {
		if err := replaceSymlink(final, outLink); err != nil {
			return "", err
		}
	}
	return final, nil
}

// writePostInstallScripts keeps each process's postInstall in the profile,
// as one of the process's files: what it adds is only known once it has
// run, after the profile is named, so the script stands for it in the
// hashes; a changed postInstall makes a new profile and restarts the
// process.
func writePostInstallScripts(translated []Translated, w *ProfileWriter) error {
	for _, t := range translated {
		if p := t.Process; p.PostInstall != "" {
			if err := w.WriteFile(p.Name, postInstallDir+"/"+p.Name, []byte(p.PostInstall), 0o444); err != nil {
				return err
			}
		}
	}
	return nil
}

// postInstallDir holds the postInstall scripts of a profile's processes.
const postInstallDir = "nixproc/post-install"

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// writeCredentials writes dysnomia-support/{groups,users}: groups and users
// are left out when user changes are disabled, except users that want a home
// directory, which get one made.
func writeCredentials(bctx *Context, translated []Translated, w *ProfileWriter) error {
	for _, t := range translated {
		files := CredentialFiles(t.Process.Credentials, bctx.ForceDisableUserChange)
		for _, rel := range agnostic.SortedKeys(files) {
			if err := w.WriteFile("", "dysnomia-support/"+rel, files[rel], 0o444); err != nil {
				return err
			}
		}
	}
	return nil
}

// runPostInstall runs each process's postInstall in the profile being built,
// with $out pointing at it, as the original runs it at the end of its build.
func runPostInstall(translated []Translated, root string) error {
	for _, t := range translated {
		if t.Process.PostInstall == "" {
			continue
		}
		cmd := exec.Command("sh", "-ec", t.Process.PostInstall)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "out="+root)
		if out, err := cmd.CombinedOutput(); err != nil {
			return &agnostic.FieldError{Process: t.Process.Key, Field: "postInstall", Msg: fmt.Sprintf("failed: %v: %s", err, strings.TrimSpace(string(out)))}
		}
	}
	return nil
}

// registerGCRoots protects the store paths a profile refers to from Nix's
// garbage collector while the profile exists, with indirect roots as
// nix-build --add-root makes them. Without write access to Nix's gcroots it
// does nothing: the paths stay as safe as any nix-build result link.
func registerGCRoots(profile string, n int) {
	auto := "/nix/var/nix/gcroots/auto"
	if st, err := os.Stat(auto); err != nil || !st.IsDir() {
		return
	}
	for i := 0; i < n; i++ {
		link := filepath.Join(profile, "nixproc/gcroots", fmt.Sprint(i))
		sum := sha256.Sum256([]byte(link))
		name := filepath.Join(auto, "nixproc-"+nixBase32(sum[:20]))
		_ = replaceSymlink(link, name)
	}
}

// replaceSymlink points link at target atomically.
func replaceSymlink(target, link string) error {
	tmp := link + ".nixproc-tmp"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}

// BuildsDir is where built profiles live: NIXPROC_BUILD_DIR if set, else
// next to Nix's own state for root, else in the user's state directory.
func BuildsDir() (string, error) {
	dir := os.Getenv("NIXPROC_BUILD_DIR")
	if dir == "" {
		if os.Geteuid() == 0 {
			dir = "/nix/var/nix/nixproc/builds"
		} else if state := os.Getenv("XDG_STATE_HOME"); state != "" {
			dir = filepath.Join(state, "nixproc", "builds")
		} else {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			dir = filepath.Join(home, ".local", "state", "nixproc", "builds")
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cannot create the profile directory %s: %w", dir, unwrap(err))
	}
	return dir, nil
}
