package bsdrc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"

	"nixproc/backends"
	"nixproc/cmdrun"
)

// Deployer runs a profile's rc scripts with onestart and onestop (they work
// whether or not the script is enabled in rc.conf), in the order rcorder
// would give them.
type Deployer struct{ env *backends.Env }

// Deployer implements backends.Backend.
func (Backend) Deployer(env *backends.Env) (backends.Deployer, error) {
	return &Deployer{env: env}, nil
}

// Units lists the profile's scripts in start order, computed from their
// PROVIDE and REQUIRE lines as rcorder(8) does: a script starts after every
// script that provides something it requires; requirements nothing in the
// profile provides (system services) do not order anything here.
func (d *Deployer) Units(p *backends.Profile) ([]backends.Unit, error) {
	type script struct {
		pp       backends.ProfileProcess
		provides []string
		requires []string
	}
	scripts := map[string]*script{}
	providers := map[string][]string{}
	for _, pp := range p.Meta.Processes {
		data, err := os.ReadFile(p.File(scriptRel(pp.Name)))
		if err != nil {
			return nil, fmt.Errorf("profile %s has no rc script for process %s: %w", p.Path, pp.Name, err)
		}
		s := &script{pp: pp}
		s.provides, s.requires = header(data)
		scripts[pp.Name] = s
		for _, name := range s.provides {
			providers[name] = append(providers[name], pp.Name)
		}
	}
	deps := map[string][]string{}
	for name, s := range scripts {
		seen := map[string]bool{}
		for _, req := range s.requires {
			for _, prov := range providers[req] {
				if prov != name && !seen[prov] {
					seen[prov] = true
					deps[name] = append(deps[name], prov)
				}
			}
		}
		sort.Strings(deps[name])
	}
	order, err := topoSort(deps, scripts)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", p.Path, err)
	}
	units := make([]backends.Unit, 0, len(order))
	for _, name := range order {
		pp := scripts[name].pp
		units = append(units, backends.Unit{Name: name, Hash: pp.Hash, Dependencies: deps[name], Lock: pp.Lock, Unlock: pp.Unlock})
	}
	return units, nil
}

// header reads the PROVIDE and REQUIRE lines of an rc script.
func header(data []byte) (provides, requires []string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "# PROVIDE:"); ok {
			provides = append(provides, strings.Fields(v)...)
		}
		if v, ok := strings.CutPrefix(line, "# REQUIRE:"); ok {
			requires = append(requires, strings.Fields(v)...)
		}
	}
	return provides, requires
}

// topoSort orders names after their dependencies; among the ones ready at
// the same time, alphabetically. A cycle is an error naming it.
func topoSort[S any](deps map[string][]string, all map[string]S) ([]string, error) {
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	done := map[string]bool{}
	var order []string
	for len(order) < len(names) {
		progress := false
		for _, n := range names {
			if done[n] {
				continue
			}
			ready := true
			for _, dep := range deps[n] {
				if !done[dep] {
					ready = false
					break
				}
			}
			if ready {
				done[n] = true
				order = append(order, n)
				progress = true
				break
			}
		}
		if !progress {
			var cycle []string
			for _, n := range names {
				if !done[n] {
					cycle = append(cycle, n)
				}
			}
			return nil, fmt.Errorf("the rc scripts %s require each other in a cycle", strings.Join(cycle, ", "))
		}
	}
	return order, nil
}

// Start runs the script with onestart.
func (d *Deployer) Start(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	return d.run(ctx, p, u, "onestart")
}

// Stop runs the script with onestop, if onestatus says the process runs: a
// process that is not running is stopped already (rc.subr's stop would
// fail, and a switch that failed half-way could not be run again).
func (d *Deployer) Stop(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	if err := d.run(ctx, p, u, "onestatus"); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil
		}
		return err
	}
	return d.run(ctx, p, u, "onestop")
}

func (d *Deployer) run(ctx context.Context, p *backends.Profile, u backends.Unit, arg string) error {
	_, err := d.env.Runner.Run(ctx, cmdrun.Cmd{Path: p.File(scriptRel(u.Name)), Args: []string{arg}, Stdout: d.env.Stdout, Stderr: d.env.Stderr})
	return err
}
