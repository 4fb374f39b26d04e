package images

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"nixproc/agnostic"
	"nixproc/imagebuild"
)

// ProcessManagers are the process managers an image can run, in the order
// the original documents them.
var ProcessManagers = []string{"supervisord", "sysvinit", "disnix", "s6-rc"}

// Spec describes a multi-process image: the parameters of
// createMultiProcessImage.
type Spec struct {
	Name string
	// Tag defaults to a digest of the image's config.
	Tag            string
	ExprFile       string
	ProcessManager string
	// Interactive adds a shell and the usual tools, and a /root/.bashrc.
	Interactive bool
	// Manpages adds man and the manual pages of the image's programs.
	Manpages               bool
	ForceDisableUserChange bool
	// Dirs holds the directories given; the others are the model's defaults.
	Dirs agnostic.Dirs
	// ExtraParams is a Nix expression of further model arguments.
	ExtraParams string
	// HostPrograms are further programs of the host the processes run by
	// name (names are looked up in SystemPath).
	HostPrograms []string
	Config       Config
}

// Config is what the image's run configuration takes from the user; the
// command is the process manager's.
type Config struct {
	Env          []string            `json:"Env,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
}

// Check tells whether a spec can be built.
func (s *Spec) Check() error {
	if s.Name == "" {
		return fmt.Errorf("the image has no name")
	}
	if err := imagebuild.CheckName(s.Name, s.Tag); err != nil {
		return err
	}
	if s.ExprFile == "" {
		return fmt.Errorf("image %s: no processes model (exprFile)", s.Name)
	}
	if !supported(s.ProcessManager) {
		if s.ProcessManager == "" {
			return fmt.Errorf("image %s: no process manager (processManager: one of %s)", s.Name, strings.Join(ProcessManagers, ", "))
		}
		return fmt.Errorf("image %s: process manager %q cannot run a multi-process image (one of %s)", s.Name, s.ProcessManager, strings.Join(ProcessManagers, ", "))
	}
	for _, e := range s.Config.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return fmt.Errorf("image %s: config.Env entry %q is not NAME=value", s.Name, e)
		}
	}
	if d := s.Config.WorkingDir; d != "" && !filepath.IsAbs(d) {
		return fmt.Errorf("image %s: config.WorkingDir %q is not an absolute path", s.Name, d)
	}
	return nil
}

func supported(pm string) bool {
	for _, p := range ProcessManagers {
		if p == pm {
			return true
		}
	}
	return false
}

// imageJSON is what createMultiProcessImage evaluates to.
type imageJSON struct {
	NixprocImage           int             `json:"nixprocImage"`
	Name                   string          `json:"name"`
	Tag                    string          `json:"tag"`
	ExprFile               string          `json:"exprFile"`
	ProcessManager         string          `json:"processManager"`
	Interactive            bool            `json:"interactive"`
	Manpages               bool            `json:"manpages"`
	ForceDisableUserChange bool            `json:"forceDisableUserChange"`
	ExtraParams            json.RawMessage `json:"extraParams"`
	HostPrograms           []string        `json:"hostPrograms"`
	Config                 json.RawMessage `json:"config"`
	StateDir               string          `json:"stateDir"`
	RuntimeDir             string          `json:"runtimeDir"`
	LogDir                 string          `json:"logDir"`
	TmpDir                 string          `json:"tmpDir"`
	CacheDir               string          `json:"cacheDir"`
	SpoolDir               string          `json:"spoolDir"`
	LockDir                string          `json:"lockDir"`
	LibDir                 string          `json:"libDir"`
}

// LoadOptions say how to evaluate an image expression.
type LoadOptions struct {
	// Args are passed to the expression's function as --arg passes them
	// (values are Nix expressions); ArgStrs as --argstr (strings).
	Args, ArgStrs map[string]string
	ShowTrace     bool
}

// loadExpr calls the image expression: a function gets the arguments
// given, the others keep their defaults (pkgs is never evaluated); an
// argument the function does not take is an error.
const loadExpr = `{ __nixprocImageFile, ... }@args:
let
  f = import (/. + __nixprocImageFile);
  given = removeAttrs args [ "__nixprocImageFile" ];
  formals = builtins.functionArgs f;
  unknown = builtins.filter (n: !(formals ? ${n})) (builtins.attrNames given);
in
if !(builtins.isFunction f) then
  (if given == {} then f else throw "the image expression is not a function; it takes no arguments")
else if unknown != [] && formals != {} then
  throw "the image expression takes no argument ${builtins.head unknown} (it takes: ${builtins.concatStringsSep ", " (builtins.attrNames formals)})"
else f given`

// Load evaluates an image expression (a file calling
// createMultiProcessImage, or a directory with a default.nix) into a Spec.
func Load(ctx context.Context, file string, o LoadOptions) (*Spec, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("image expression %s: %w", file, unwrapPath(err))
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(abs, "default.nix")); err != nil {
			return nil, fmt.Errorf("image expression %s: a directory without default.nix", file)
		}
	}
	lib, err := agnostic.NixLibDir()
	if err != nil {
		return nil, err
	}
	args := []string{"--eval", "--strict", "--json", "--read-write-mode", "-I", "nixproc=" + lib}
	args = append(args, agnostic.NixOptions...)
	if o.ShowTrace {
		args = append(args, "--show-trace")
	}
	args = append(args, "-E", loadExpr, "--argstr", "__nixprocImageFile", abs)
	for _, k := range agnostic.SortedKeys(o.Args) {
		args = append(args, "--arg", k, o.Args[k])
	}
	for _, k := range agnostic.SortedKeys(o.ArgStrs) {
		args = append(args, "--argstr", k, o.ArgStrs[k])
	}
	cmd := exec.CommandContext(ctx, "nix-instantiate", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			return nil, fmt.Errorf("cannot run nix-instantiate: %w (install Nix: Debian package nix-bin)", err)
		}
		return nil, fmt.Errorf("evaluating %s: %s", file, agnostic.CondenseNixError(stderr.String()))
	}
	spec, err := decodeSpec(stdout.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return spec, nil
}

// decodeSpec reads the attribute set createMultiProcessImage returns.
func decodeSpec(data []byte) (*Spec, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil || probe["nixprocImage"] == nil {
		return nil, fmt.Errorf("does not describe an image (call createMultiProcessImage from <nixproc/create-image-from-steps/create-multi-process-image-universal.nix>)")
	}
	var j imageJSON
	if err := agnostic.DecodeStrict(data, &j); err != nil {
		return nil, fmt.Errorf("createMultiProcessImage: %w", err)
	}
	if j.NixprocImage != 1 {
		return nil, fmt.Errorf("describes an image in a format this nixproc does not know (version %d)", j.NixprocImage)
	}
	s := &Spec{
		Name:                   j.Name,
		Tag:                    j.Tag,
		ExprFile:               j.ExprFile,
		ProcessManager:         j.ProcessManager,
		Interactive:            j.Interactive,
		Manpages:               j.Manpages,
		ForceDisableUserChange: j.ForceDisableUserChange,
		Dirs: agnostic.Dirs{StateDir: j.StateDir, RuntimeDir: j.RuntimeDir, LogDir: j.LogDir, TmpDir: j.TmpDir,
			CacheDir: j.CacheDir, SpoolDir: j.SpoolDir, LockDir: j.LockDir, LibDir: j.LibDir},
	}
	if len(j.HostPrograms) > 0 {
		s.HostPrograms = j.HostPrograms
	}
	for what, d := range s.Dirs.Args() {
		if !filepath.IsAbs(d) {
			return nil, fmt.Errorf("createMultiProcessImage: %s %q is not an absolute path", what, d)
		}
	}
	if len(j.ExtraParams) > 0 && string(j.ExtraParams) != "null" {
		var params map[string]json.RawMessage
		if err := json.Unmarshal(j.ExtraParams, &params); err != nil {
			return nil, fmt.Errorf("createMultiProcessImage: extraParams is not an attribute set")
		}
		if len(params) > 0 {
			s.ExtraParams = "builtins.fromJSON " + nixString(string(j.ExtraParams))
		}
	}
	if len(j.Config) > 0 && string(j.Config) != "null" {
		if err := agnostic.DecodeStrict(j.Config, &s.Config); err != nil {
			return nil, fmt.Errorf("createMultiProcessImage: config: %w (the image takes Env, WorkingDir, Labels and ExposedPorts; the command is the process manager's)", err)
		}
	}
	return s, s.Check()
}

// nixString writes a Nix string literal.
func nixString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
