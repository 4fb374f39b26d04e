package agnosticconfig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
)

// GenerateOptions say what to generate a profile from.
type GenerateOptions struct {
	// Configs are configuration files, or directories whose *.json files
	// are configurations.
	Configs                []string
	Dirs                   agnostic.Dirs
	ForceDisableUserChange bool
	// OutLink, when set, is made a symlink to the profile.
	OutLink string
	// Warnings receives the fields the process manager cannot express and
	// the dependencies on processes outside the configurations.
	Warnings io.Writer
}

// Config is one configuration read from a file.
type Config struct {
	File    string
	Process *agnostic.Process
	raw     map[string]json.RawMessage
}

// Load reads configurations: files, and the *.json files of directories.
// Every file must hold a valid configuration, and no two the same process.
func Load(paths []string) ([]*Config, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no configuration given")
	}
	var files []string
	for _, path := range paths {
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("configuration %s: %w", path, unwrap(err))
		}
		if !st.IsDir() {
			files = append(files, path)
			continue
		}
		found, _ := filepath.Glob(filepath.Join(path, "*.json"))
		if len(found) == 0 {
			return nil, fmt.Errorf("configuration directory %s holds no .json file", path)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	var out []*Config
	byName := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("configuration %s: %w", f, unwrap(err))
		}
		p, err := agnostic.DecodeConfig(data)
		if err != nil {
			return nil, fmt.Errorf("configuration %s: %w", f, err)
		}
		if p.Name == "" {
			return nil, fmt.Errorf("configuration %s: no process name (set name or instanceName)", f)
		}
		if other, dup := byName[p.Name]; dup {
			return nil, fmt.Errorf("configuration %s: process %s is also configured by %s", f, p.Name, other)
		}
		byName[p.Name] = f
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("configuration %s: %w", f, err)
		}
		out = append(out, &Config{File: f, Process: p, raw: raw})
	}
	return out, nil
}

// Generate builds a process manager's profile from configurations with the
// shared pipeline and returns its path. Nix is not evaluated: store paths the
// configurations name must be on this machine already.
func Generate(ctx context.Context, b backends.Backend, o GenerateOptions) (string, error) {
	configs, err := Load(o.Configs)
	if err != nil {
		return "", err
	}
	model, fileOf, err := modelOf(configs, b.Name(), o.Warnings)
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(model)
	if err != nil {
		return "", err
	}
	// Checked here, so that an error names the configuration's file.
	if _, err := agnostic.DecodeProcesses(data); err != nil {
		return "", inFile(err, fileOf)
	}
	tmp, err := os.MkdirTemp("", "nixproc-generate-config-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	modelFile := filepath.Join(tmp, "configurations.json")
	if err := os.WriteFile(modelFile, data, 0o644); err != nil {
		return "", err
	}
	path, err := backends.Build(ctx, b, backends.BuildOptions{
		Eval:                   agnostic.EvalOptions{ExprFile: modelFile, Dirs: o.Dirs},
		ForceDisableUserChange: o.ForceDisableUserChange,
		OutLink:                o.OutLink,
		Warnings:               o.Warnings,
	})
	if err != nil {
		return "", inFile(err, fileOf)
	}
	return path, nil
}

// modelOf makes a JSON processes model of configurations: every process
// under its name, its dependencies on processes outside the configurations
// left out.
func modelOf(configs []*Config, pm string, warnings io.Writer) (map[string]any, map[string]string, error) {
	names := map[string]bool{}
	fileOf := map[string]string{}
	for _, c := range configs {
		names[c.Process.Name] = true
		fileOf[c.Process.Name] = c.File
	}
	model := map[string]any{}
	for _, c := range configs {
		p := c.Process
		for _, f := range functionOverrides(p) {
			if f == pm {
				return nil, nil, fmt.Errorf("configuration %s: process %s: overrides.%s was a Nix function, which a JSON configuration cannot carry (build the profile from the Nix model instead)", c.File, p.Name, pm)
			}
		}
		pkg := map[string]json.RawMessage{}
		for k, v := range c.raw {
			pkg[k] = v
		}
		var kept []string
		for _, d := range p.Dependencies {
			if names[d] {
				kept = append(kept, d)
			} else if warnings != nil {
				fmt.Fprintf(warnings, "note: configuration %s: process %s depends on %s, which is not among the configurations: it is deployed on its own, so the generated configuration does not refer to it\n", c.File, p.Name, d)
			}
		}
		if _, ok := pkg["dependencies"]; ok || len(kept) > 0 {
			deps, _ := json.Marshal(list(kept))
			pkg["dependencies"] = deps
		}
		model[p.Name] = map[string]any{"pkg": pkg}
	}
	return model, fileOf, nil
}

// inFile puts the file of the process an error is about in front of it.
func inFile(err error, fileOf map[string]string) error {
	var fe *agnostic.FieldError
	if errors.As(err, &fe) {
		if f, ok := fileOf[fe.Process]; ok {
			return fmt.Errorf("configuration %s: %w", f, err)
		}
	}
	// The temporary model's name says nothing to the user.
	if strings.Contains(err.Error(), "configurations.json: ") {
		return errors.New(err.Error()[strings.Index(err.Error(), "configurations.json: ")+len("configurations.json: "):])
	}
	return err
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
