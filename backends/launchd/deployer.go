package launchd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"howett.net/plist"

	"nixproc/backends"
	"nixproc/cmdrun"
)

// Deployer installs a profile's plists into the LaunchDaemons directory and
// loads them with launchctl (bootstrap/bootout in the system domain, which
// report failures, unlike the legacy load/unload). Plists are copied, not
// linked: launchd wants regular files owned by root.
type Deployer struct {
	env    *backends.Env
	dir    string
	warned map[string]bool
}

// Deployer implements backends.Backend.
func (Backend) Deployer(env *backends.Env) (backends.Deployer, error) {
	dir := env.Options[OptionPlistDir]
	if dir == "" {
		dir = os.Getenv("LAUNCHD_TARGET_DIR")
	}
	if dir == "" {
		dir = "/Library/LaunchDaemons"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &Deployer{env: env, dir: abs, warned: map[string]bool{}}, nil
}

// Units lists the profile's jobs in activation order.
func (d *Deployer) Units(p *backends.Profile) ([]backends.Unit, error) {
	units := backends.DefaultUnits(p)
	for _, u := range units {
		if _, err := plistOf(p, u.Name); err != nil {
			return nil, err
		}
	}
	return units, nil
}

// plistOf finds a process's plist in a profile.
func plistOf(p *backends.Profile, name string) (string, error) {
	if pp := p.Process(name); pp != nil {
		for _, f := range pp.Files {
			if filepath.Dir(f) == plistDirRel && strings.HasSuffix(f, ".plist") {
				return f, nil
			}
		}
	}
	return "", fmt.Errorf("profile %s has no plist for process %s", p.Path, name)
}

func labelOf(rel string) string { return strings.TrimSuffix(filepath.Base(rel), ".plist") }

// BeforeStop implements backends.SwitchHooks: launchd knows nothing of
// dependencies, which is said once per process that has some.
func (d *Deployer) BeforeStop(ctx context.Context, old, new *backends.Profile) error {
	for _, pp := range new.Meta.Processes {
		if len(pp.Dependencies) > 0 && !d.warned[pp.Name] && d.env.Stderr != nil {
			d.warned[pp.Name] = true
			fmt.Fprintf(d.env.Stderr, "warning: process %s: launchd has no dependencies: nixproc starts it after %s now, but launchd does not keep that order when it restarts processes or boots\n",
				pp.Name, strings.Join(pp.Dependencies, ", "))
		}
	}
	return nil
}

// AfterStart implements backends.SwitchHooks: the installed plists of jobs
// that did not change are refreshed from the new profile (their proxies
// live there now); launchd reads them at the next boot.
func (d *Deployer) AfterStart(ctx context.Context, old, new *backends.Profile) error {
	if new.Path == "" {
		return nil
	}
	for _, pp := range new.Meta.Processes {
		rel, err := plistOf(new, pp.Name)
		if err != nil {
			return err
		}
		target := filepath.Join(d.dir, filepath.Base(rel))
		if _, err := os.Stat(target); err == nil {
			if err := install(new.File(rel), target); err != nil {
				return err
			}
		}
	}
	return nil
}

// Start installs the job's plist and loads it; a job that does not run at
// load is started explicitly.
func (d *Deployer) Start(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	rel, err := plistOf(p, u.Name)
	if err != nil {
		return err
	}
	label := labelOf(rel)
	target := filepath.Join(d.dir, filepath.Base(rel))
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return err
	}
	if err := install(p.File(rel), target); err != nil {
		return err
	}
	// A job disabled earlier (launchctl disable, unload -w) would not load.
	if err := d.launchctl(ctx, "enable", "system/"+label); err != nil {
		return err
	}
	if err := d.launchctl(ctx, "bootstrap", "system", target); err != nil {
		return err
	}
	if !runsAtLoad(target) {
		return d.launchctl(ctx, "kickstart", "system/"+label)
	}
	return nil
}

// Stop unloads the job (launchd stops it) and removes its plist. A job
// launchd does not know is stopped already, so a switch that failed
// half-way can be run again.
func (d *Deployer) Stop(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	rel, err := plistOf(p, u.Name)
	if err != nil {
		return err
	}
	err = d.launchctl(ctx, "bootout", "system/"+labelOf(rel))
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && (exit.ExitCode() == 3 || exit.ExitCode() == 113)) {
		return err
	}
	target := filepath.Join(d.dir, filepath.Base(rel))
	if err := os.Remove(target); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func (d *Deployer) launchctl(ctx context.Context, args ...string) error {
	_, err := d.env.Runner.Run(ctx, cmdrun.Cmd{Path: "launchctl", Args: args, Stdout: d.env.Stdout, Stderr: d.env.Stderr})
	return err
}

// install copies a plist into place atomically, readable by all and
// writable by its owner only, as launchd requires.
func install(src, target string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if cur, err := os.ReadFile(target); err == nil && bytes.Equal(cur, data) {
		return nil
	}
	tmp := target + ".nixproc-tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, target)
}

// runsAtLoad tells whether a plist has RunAtLoad set.
func runsAtLoad(file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	var keys struct {
		RunAtLoad bool `plist:"RunAtLoad"`
	}
	if _, err := plist.Unmarshal(data, &keys); err != nil {
		return false
	}
	return keys.RunAtLoad
}
