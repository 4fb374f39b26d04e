package idassign

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"nixproc/agnostic"
)

// Options say what Run reads.
type Options struct {
	// ResourcesFile is the ID resources model (.nix or .json); required.
	ResourcesFile string
	// IDsFile holds the previous assignments (.nix or .json); optional.
	IDsFile string
	// Processes evaluates the processes model (Processes.ExprFile); it is
	// not used when ServicesFile is set.
	Processes agnostic.EvalOptions
	// ServicesFile is a Disnix services model (.nix or .json) to read
	// instead of a processes model.
	ServicesFile string
	// Property is the attribute listing the resources a process needs
	// (DefaultProperty when empty).
	Property string
	// ExtraParams is a Nix expression of further arguments for the services
	// model (the processes model takes Processes.ExtraParams).
	ExtraParams string
	ShowTrace   bool
}

// Run reads the inputs and computes the assignments. The three inputs are
// evaluated at the same time; each costs a nix-instantiate when written in
// Nix.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.ResourcesFile == "" {
		return nil, fmt.Errorf("an ID resources model must be given (--id-resources)")
	}
	if o.Property == "" {
		o.Property = DefaultProperty
	}
	var (
		wg                       sync.WaitGroup
		resources                []Resource
		prev                     *IDs
		requests                 []Request
		resErr, idsErr, modelErr error
	)
	wg.Add(3)
	go func() {
		defer wg.Done()
		resources, resErr = LoadResources(ctx, o.ResourcesFile, o.ShowTrace)
	}()
	go func() {
		defer wg.Done()
		if o.IDsFile != "" {
			prev, idsErr = LoadIDs(ctx, o.IDsFile, o.ShowTrace)
		}
	}()
	go func() {
		defer wg.Done()
		if o.ServicesFile != "" {
			requests, modelErr = LoadServices(ctx, o.ServicesFile, o.Property, o.ExtraParams, o.ShowTrace)
		} else {
			requests, modelErr = LoadProcesses(ctx, o.Processes, o.Property)
		}
	}()
	wg.Wait()
	// report the first error in the order the inputs are named
	for _, err := range []error{resErr, idsErr, modelErr} {
		if err != nil {
			return nil, err
		}
	}
	return Assign(resources, requests, prev)
}

// LoadResources reads an ID resources model.
func LoadResources(ctx context.Context, path string, showTrace bool) ([]Resource, error) {
	data, err := evalData(ctx, "ID resources", path, showTrace)
	if err != nil {
		return nil, err
	}
	r, err := ParseResources(data)
	if err != nil {
		return nil, fmt.Errorf("ID resources %s: %w", path, err)
	}
	return r, nil
}

// LoadIDs reads previous assignments.
func LoadIDs(ctx context.Context, path string, showTrace bool) (*IDs, error) {
	data, err := evalData(ctx, "IDs", path, showTrace)
	if err != nil {
		return nil, err
	}
	ids, err := ParseIDs(data)
	if err != nil {
		return nil, fmt.Errorf("IDs %s: %w", path, err)
	}
	return ids, nil
}

// LoadProcesses evaluates a processes model the way every nixproc tool does
// and reads the requests from it.
func LoadProcesses(ctx context.Context, o agnostic.EvalOptions, property string) ([]Request, error) {
	if o.ExprFile == "" {
		return nil, fmt.Errorf("a processes model must be given")
	}
	ev, err := agnostic.Evaluate(ctx, o)
	if err != nil {
		return nil, err
	}
	m, err := agnostic.DecodeProcesses(ev.JSON)
	if err != nil {
		return nil, fmt.Errorf("processes model %s: %w", o.ExprFile, err)
	}
	r, err := RequestsFromModel(m, property)
	if err != nil {
		return nil, fmt.Errorf("processes model %s: %w", o.ExprFile, err)
	}
	return r, nil
}

//go:embed services.nix
var servicesWrapper string

// LoadServices reads a Disnix services model. A .nix model is called as
// Disnix does in services mode (no distribution) and only each service's
// property attribute is evaluated, so its packages are never built.
func LoadServices(ctx context.Context, path, property, extraParams string, showTrace bool) ([]Request, error) {
	abs, err := existing("services model", path)
	if err != nil {
		return nil, err
	}
	var data []byte
	if strings.HasSuffix(abs, ".json") {
		if data, err = os.ReadFile(abs); err != nil {
			return nil, fmt.Errorf("services model %s: %w", path, unwrap(err))
		}
	} else {
		if strings.TrimSpace(extraParams) == "" {
			extraParams = "{}"
		}
		// Paths travel as --argstr; only --extra-params, Nix code by
		// definition, is spliced in.
		expr := fmt.Sprintf("{ servicesFile, property }: (%s) { inherit servicesFile property; extraParams = (%s); }",
			servicesWrapper, extraParams)
		args := []string{"-E", expr, "--argstr", "servicesFile", abs, "--argstr", "property", property}
		if data, err = instantiate(ctx, args, showTrace); err != nil {
			return nil, fmt.Errorf("evaluating services model %s: %w", path, err)
		}
	}
	r, err := ParseServices(data, property)
	if err != nil {
		return nil, fmt.Errorf("services model %s: %w", path, err)
	}
	return r, nil
}

// evalData reads a data file: .json as is, anything else through
// nix-instantiate --eval --strict --json.
func evalData(ctx context.Context, what, path string, showTrace bool) ([]byte, error) {
	abs, err := existing(what, path)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(abs, ".json") {
		data, err := os.ReadFile(abs)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", what, path, unwrap(err))
		}
		return data, nil
	}
	data, err := instantiate(ctx, []string{abs}, showTrace)
	if err != nil {
		return nil, fmt.Errorf("evaluating %s %s: %w", what, path, err)
	}
	return data, nil
}

func existing(what, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, path, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, path, unwrap(err))
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(abs, "default.nix")); err != nil {
			return "", fmt.Errorf("%s %s: a directory without default.nix", what, path)
		}
	}
	return abs, nil
}

func instantiate(ctx context.Context, args []string, showTrace bool) ([]byte, error) {
	all := append([]string{"--eval", "--strict", "--json"}, agnostic.NixOptions...)
	if showTrace {
		all = append(all, "--show-trace")
	}
	cmd := exec.CommandContext(ctx, "nix-instantiate", append(all, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return nil, fmt.Errorf("cannot run nix-instantiate: %w (install Nix: Debian package nix-bin)", err)
		}
		return nil, errors.New(agnostic.CondenseNixError(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
