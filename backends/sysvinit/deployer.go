package sysvinit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"nixproc/backends"
	"nixproc/cmdrun"
)

// Deployer runs the init scripts of one runlevel.
type Deployer struct {
	env      *backends.Env
	runlevel string
}

// Deployer implements backends.Backend. The runlevel comes from the
// "runlevel" option, else from the system's runlevel command, else 3.
func (Backend) Deployer(env *backends.Env) (backends.Deployer, error) {
	return &Deployer{env: env, runlevel: Runlevel(env.Options["runlevel"])}, nil
}

// Runlevel resolves the runlevel to deploy for.
func Runlevel(given string) string {
	if given != "" {
		return given
	}
	if path, err := exec.LookPath("runlevel"); err == nil {
		if out, err := exec.Command(path).Output(); err == nil {
			if f := strings.Fields(string(out)); len(f) == 2 && f[1] != "unknown" {
				return f[1]
			}
		}
	}
	return "3"
}

// Units lists the scripts with a start link in the runlevel, in the order
// of their links.
func (d *Deployer) Units(p *backends.Profile) ([]backends.Unit, error) {
	dir := p.File(filepath.Join("etc/rc.d", "rc"+d.runlevel+".d"))
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "S") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var units []backends.Unit
	for _, n := range names {
		target, err := os.Readlink(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		name := filepath.Base(target)
		pp := p.Process(name)
		if pp == nil {
			return nil, fmt.Errorf("profile %s: %s links to %s, which is not a process of the profile", p.Path, n, target)
		}
		units = append(units, backends.Unit{Name: name, Hash: pp.Hash, Dependencies: pp.Dependencies, Lock: pp.Lock, Unlock: pp.Unlock})
	}
	return units, nil
}

// Start runs the unit's script with start.
func (d *Deployer) Start(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	return d.run(ctx, p, u, "start")
}

// Stop runs the unit's script with stop.
func (d *Deployer) Stop(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	return d.run(ctx, p, u, "stop")
}

func (d *Deployer) run(ctx context.Context, p *backends.Profile, u backends.Unit, activity string) error {
	script := p.File("etc/rc.d/init.d/" + u.Name)
	_, err := d.env.Runner.Run(ctx, cmdrun.Cmd{Path: script, Args: []string{activity}, Stdout: d.env.Stdout, Stderr: d.env.Stderr})
	return err
}

// RunActivity runs an activity on every script with a start link in the
// runlevel, in link order or reversed (nixproc-sysvinit-runactivity).
func RunActivity(ctx context.Context, env *backends.Env, p *backends.Profile, runlevel, activity string, reverse bool) error {
	d := &Deployer{env: env, runlevel: Runlevel(runlevel)}
	units, err := d.Units(p)
	if err != nil {
		return err
	}
	if reverse {
		for i, j := 0, len(units)-1; i < j; i, j = i+1, j-1 {
			units[i], units[j] = units[j], units[i]
		}
	}
	for _, u := range units {
		if err := d.run(ctx, p, u, activity); err != nil {
			return fmt.Errorf("%s %s: %w", u.Name, activity, err)
		}
	}
	return nil
}
