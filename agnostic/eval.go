package agnostic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/tidwall/gjson"
)

// EvalOptions say how to evaluate a processes model.
type EvalOptions struct {
	// ExprFile is the processes model; empty means an empty model (undeploy).
	ExprFile string
	// ProcessManager is passed to the model; empty passes null.
	ProcessManager string
	// Dirs holds the directories given on the command line; only these are
	// passed, so the model's own defaults apply to the others.
	Dirs                   Dirs
	ForceDisableUserChange bool
	CallingUser            string
	CallingGroup           string
	// ExtraParams is a Nix expression evaluating to an attribute set of
	// further arguments (--extra-params).
	ExtraParams string
	ShowTrace   bool
}

// Evaluation is an evaluated model: its JSON and the store paths it refers to.
type Evaluation struct {
	JSON       []byte
	StorePaths []string
}

// NixOptions are passed to every Nix command: there is no binary cache to ask
// on an offline machine, and asking one costs seconds of retries.
var NixOptions = []string{"--option", "substituters", ""}

// Evaluate turns a processes model into JSON. A .json file is read as is;
// anything else is evaluated with nix-instantiate --eval --strict --json.
func Evaluate(ctx context.Context, o EvalOptions) (*Evaluation, error) {
	if o.ExprFile == "" {
		return &Evaluation{JSON: []byte("{}")}, nil
	}
	abs, err := filepath.Abs(o.ExprFile)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("processes model %s: %w", o.ExprFile, unwrapPathError(err))
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(abs, "default.nix")); err != nil {
			return nil, fmt.Errorf("processes model %s: a directory without default.nix", o.ExprFile)
		}
	}
	if strings.HasSuffix(abs, ".json") {
		data, err := os.ReadFile(abs)
		if err != nil {
			return nil, fmt.Errorf("processes model %s: %w", o.ExprFile, unwrapPathError(err))
		}
		return &Evaluation{JSON: data}, nil
	}
	out, err := runNix(ctx, o, abs, "evaluate.nix", "")
	if err != nil {
		return nil, err
	}
	result := gjson.ParseBytes(out)
	model := result.Get("model")
	if !model.IsObject() {
		return nil, fmt.Errorf("evaluating %s: unexpected output of nix-instantiate: %.200s", abs, out)
	}
	ev := &Evaluation{JSON: []byte(model.Raw)}
	ev.StorePaths, err = referencedStorePaths(ctx, o, abs, ev.JSON, result.Get("storeDir").String())
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// referencedStorePaths returns what must be realised for a model: the store
// paths it mentions, when they are all there already (so realising them
// only roots them); otherwise, the contexts of its strings, which Nix
// keeps for what is still to be built, with the derivations that build it.
// The contexts are asked for only then: they cost a second serialisation of
// the whole model, as much as evaluating it.
func referencedStorePaths(ctx context.Context, o EvalOptions, exprFile string, model []byte, storeDir string) ([]string, error) {
	if storeDir == "" {
		storeDir = DefaultStoreDir
	}
	if mentioned := StorePathsIn(model, storeDir); allExist(mentioned) {
		return mentioned, nil
	}
	out, err := runNix(ctx, o, exprFile, "store-paths.nix", "")
	if err != nil {
		return nil, err
	}
	var paths []string
	if err := json.Unmarshal(out, &paths); err != nil {
		return nil, fmt.Errorf("evaluating %s: unexpected output of nix-instantiate: %.200s", exprFile, out)
	}
	return paths, nil
}

// ApplyFunctionOverrides runs the function overrides of the model for
// processManager: params maps a process key to the parameters nixproc
// generated for it; the result maps each key to what its override returned.
func ApplyFunctionOverrides(ctx context.Context, o EvalOptions, params map[string]json.RawMessage) (map[string]json.RawMessage, []string, error) {
	f, err := os.CreateTemp("", "nixproc-params-*.json")
	if err != nil {
		return nil, nil, err
	}
	defer os.Remove(f.Name())
	if err := json.NewEncoder(f).Encode(params); err != nil {
		f.Close()
		return nil, nil, err
	}
	f.Close()
	abs, _ := filepath.Abs(o.ExprFile)
	raw, err := runNix(ctx, o, abs, "apply-overrides.nix", f.Name())
	if err != nil {
		return nil, nil, err
	}
	var res struct {
		Model      map[string]json.RawMessage `json:"model"`
		StorePaths []string                   `json:"storePaths"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, nil, fmt.Errorf("function overrides: %w", err)
	}
	return res.Model, res.StorePaths, nil
}

// runNix evaluates one of the evaluation wrappers of the Nix library
// (nixlib/eval) on a model and returns what nix-instantiate printed.
func runNix(ctx context.Context, o EvalOptions, exprFile, wrapper, paramsFile string) ([]byte, error) {
	lib, err := NixLibDir()
	if err != nil {
		return nil, err
	}
	args := map[string]any{}
	for k, v := range o.Dirs.Args() {
		args[k] = v
	}
	if o.ProcessManager != "" {
		args["processManager"] = o.ProcessManager
	} else {
		args["processManager"] = nil
	}
	if o.ForceDisableUserChange {
		args["forceDisableUserChange"] = true
	}
	if o.CallingUser != "" {
		args["callingUser"] = o.CallingUser
	}
	if o.CallingGroup != "" {
		args["callingGroup"] = o.CallingGroup
	}
	argsJSON, _ := json.Marshal(args)

	extra := "{}"
	if strings.TrimSpace(o.ExtraParams) != "" {
		extra = o.ExtraParams
	}
	// The arguments travel as --argstr, so no value is ever spliced into
	// Nix code; only --extra-params, which is Nix code by definition, is.
	expr := fmt.Sprintf(`{ argsJSON, exprFile, paramsFile, processManager }:
let extraParams = (%s);
    args = builtins.fromJSON argsJSON // extraParams // { inherit extraParams; };
in import <nixproc/eval/%s> ({ exprFile = /. + exprFile; inherit args; }
   // (if paramsFile == "" then {} else { paramsFile = /. + paramsFile; inherit processManager; }))`, extra, wrapper)
	// --read-write-mode: --eval alone computes store paths (toFile,
	// derivations) without writing them, and nothing could realise them.
	cmdArgs := []string{"--eval", "--strict", "--json", "--read-write-mode", "-I", "nixproc=" + lib}
	cmdArgs = append(cmdArgs, NixOptions...)
	if o.ShowTrace {
		cmdArgs = append(cmdArgs, "--show-trace")
	}
	cmdArgs = append(cmdArgs, "-E", expr,
		"--argstr", "argsJSON", string(argsJSON),
		"--argstr", "exprFile", exprFile,
		"--argstr", "paramsFile", paramsFile,
		"--argstr", "processManager", o.ProcessManager)
	cmd := exec.CommandContext(ctx, "nix-instantiate", cmdArgs...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			return nil, fmt.Errorf("cannot run nix-instantiate: %w (install Nix: Debian package nix-bin)", err)
		}
		// A mistake in --extra-params surfaces as an error in nixproc's own
		// wrapper expression; say where it really is. (Checked only on
		// failure: a separate parse costs a process on every build.)
		if extra != "{}" {
			if err := checkExtraParams(ctx, extra); err != nil {
				return nil, err
			}
		}
		return nil, fmt.Errorf("evaluating %s: %s", exprFile, CondenseNixError(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// checkExtraParams parses --extra-params on its own, so a mistake in it is
// reported as such and not as an error somewhere in nixproc's wrapper.
func checkExtraParams(ctx context.Context, expr string) error {
	cmd := exec.CommandContext(ctx, "nix-instantiate", "--parse", "-E", expr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = nil
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("--extra-params is not a valid Nix expression: %s", CondenseNixError(stderr.String()))
	}
	return nil
}

var (
	nixErrLine = regexp.MustCompile(`(?m)^error:\s*(.*)$`)
	nixAtLine  = regexp.MustCompile(`(?m)^\s*at (.+?:\d+:\d+):?\s*$`)
	ansi       = regexp.MustCompile("\x1b\\[[0-9;]*m")
)

// CondenseNixError turns Nix's multi-line error report into one line: where
// (file:line:column) and what.
func CondenseNixError(stderr string) string {
	s := ansi.ReplaceAllString(stderr, "")
	var msg string
	if m := nixErrLine.FindAllStringSubmatch(s, -1); len(m) > 0 {
		// with --show-trace the last "error:" is the innermost cause
		msg = strings.TrimSpace(m[len(m)-1][1])
		if msg == "" {
			// the message is on the following lines
			rest := s[strings.LastIndex(s, "error:")+len("error:"):]
			for _, l := range strings.Split(rest, "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "…") && !strings.HasPrefix(l, "at ") {
					msg = l
					break
				}
			}
		}
	} else {
		msg = strings.TrimSpace(strings.SplitN(strings.TrimSpace(s), "\n", 2)[0])
	}
	if at := nixAtLine.FindAllStringSubmatch(s, -1); len(at) > 0 {
		return at[len(at)-1][1] + ": " + msg
	}
	return msg
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
