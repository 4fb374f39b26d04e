package dysnomia

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"nixproc/backends"
	"nixproc/dysnomia/agnosticconfig"
)

// managedModule is managed-process: the component holds process
// manager-agnostic configurations (<name>.json, as nixproc build
// --agnostic-configs writes them), the container's processManager property
// says which process manager runs them. The module generates that
// manager's profile with the shared generators (agnosticconfig.Generate,
// no Nix) and hands it to the manager's module.
//
// Container properties: processManager (required); stateDir, runtimeDir,
// logDir, tmpDir, cacheDir, spoolDir, lockDir, libDir and
// forceDisableUserChange (1) for the generated configuration; every other
// property reaches the manager's module (runlevel, systemdTargetDir, ...).
//
// The profile an activation deployed is recorded in Dysnomia's state
// directory: deactivation stops exactly that, even when the container's
// properties or nixproc changed meanwhile, and lock and unlock act on it
// (nothing is active: nothing to lock).
type managedModule struct{}

func (managedModule) Name() string { return "managed-process" }

func (m managedModule) Run(ctx context.Context, inv *Invocation) error {
	record := recordFile(inv, m.Name())
	recorded := ""
	if target, err := os.Readlink(record); err == nil && isProfile(target) {
		recorded = target
	}
	switch inv.Activity {
	case "lock", "unlock":
		if recorded == "" {
			return nil
		}
		return delegate(ctx, inv, recorded)
	case "activate":
		profile, err := generate(ctx, inv)
		if err != nil {
			return err
		}
		if recorded != "" && recorded != profile {
			// Active with another configuration: that goes first.
			if err := delegate(ctx, withActivity(inv, "deactivate"), recorded); err != nil {
				return err
			}
		}
		if err := delegate(ctx, inv, profile); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(record), 0o755); err != nil {
			return err
		}
		if err := replaceLink(profile, record); err != nil {
			return err
		}
		return markersOf(inv, m.Name()).markActive()
	case "deactivate":
		profile := recorded
		if profile == "" {
			var err error
			if profile, err = generate(ctx, inv); err != nil {
				return err
			}
		}
		if err := delegate(ctx, inv, profile); err != nil {
			return err
		}
		os.Remove(record)
		markersOf(inv, m.Name()).unmarkActive()
		return nil
	}
	profile := recorded
	if profile == "" {
		var err error
		if profile, err = generate(ctx, inv); err != nil {
			return err
		}
	}
	return delegate(ctx, inv, profile)
}

// generate makes the container's process manager's profile of the
// component's configurations.
func generate(ctx context.Context, inv *Invocation) (string, error) {
	pm := inv.Props["processManager"]
	if pm == "" {
		return "", fmt.Errorf("the container has no processManager property (one of: %s)", strings.Join(backends.Names, ", "))
	}
	b, err := backends.Lookup(pm)
	if err != nil {
		return "", fmt.Errorf("processManager: %w", err)
	}
	return agnosticconfig.Generate(ctx, b, agnosticconfig.GenerateOptions{
		Configs:                []string{inv.Component},
		Dirs:                   dirsFromProps(inv.Props),
		ForceDisableUserChange: inv.Props.Bool("forceDisableUserChange"),
		Warnings:               inv.stderr(),
	})
}

// delegate runs the module of a profile's process manager on it.
func delegate(ctx context.Context, inv *Invocation, profile string) error {
	p, err := backends.OpenProfile(profile)
	if err != nil {
		return err
	}
	name := TypeFor(p.Meta.ProcessManager)
	mod, ok := LookupModule(name)
	if !ok {
		return fmt.Errorf("no module deploys %s profiles", p.Meta.ProcessManager)
	}
	if err := mod.Run(ctx, inv.with(profile)); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func withActivity(inv *Invocation, activity string) *Invocation {
	c := *inv
	c.Activity = activity
	return &c
}

func replaceLink(target, link string) error {
	tmp := link + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}
