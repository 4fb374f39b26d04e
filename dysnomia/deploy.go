package dysnomia

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"nixproc/agnostic"
	"nixproc/backends"
)

// pmModule deploys a component with one process manager: the component is
// a profile nixproc built for that manager (nixproc/profile.json says
// which), or, for the modules that have one, a component in the original
// Dysnomia layout. Its processes start and stop through the backend's own
// deployer, one unit at a time, as the switch engine drives it; only that
// component's processes are touched, so components come and go in the same
// container independently.
type pmModule struct {
	name, pm string
	// hooks says the backend's switch hooks act on the profiles they are
	// given only (linking units, checking the engine), so they can be run
	// for one component.
	hooks bool
	// aliases map Dysnomia's container properties to deployer options.
	aliases map[string]string
	// fixed are options the module always sets.
	fixed map[string]string
	// plain opens a component in the original layout (nil: none).
	plain func(inv *Invocation) (p *backends.Profile, cleanup func(), err error)
	// afterDeactivate runs once the component's processes are stopped.
	afterDeactivate func(ctx context.Context, inv *Invocation, dep backends.Deployer, p *backends.Profile) error
	// hints are shell commands the shell activity suggests.
	hints func(inv *Invocation, p *backends.Profile) []string
}

func (m *pmModule) Name() string { return m.name }

// isProfile tells whether a directory is a profile nixproc built.
func isProfile(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, backends.MetaFile))
	return err == nil
}

// open reads the component as a profile.
func (m *pmModule) open(inv *Invocation) (*backends.Profile, func(), error) {
	if isProfile(inv.Component) {
		p, err := backends.OpenProfile(inv.Component)
		if err != nil {
			return nil, nil, err
		}
		if p.Meta.ProcessManager != m.pm {
			return nil, nil, fmt.Errorf("the component is a profile for %s, not %s (deploy it with the %s module)", p.Meta.ProcessManager, m.pm, TypeFor(p.Meta.ProcessManager))
		}
		return p, func() {}, nil
	}
	if m.plain != nil {
		return m.plain(inv)
	}
	return nil, nil, fmt.Errorf("the component is not a profile built by nixproc (it has no %s): the %s module deploys what nixproc build -P %s or the managed-process module makes", backends.MetaFile, m.name, m.pm)
}

// options maps container properties to the deployer's options: a property
// named as an option of the switch tools in camel case (runlevel, unitDir,
// plistDir...), and the module's aliases of Dysnomia's own names.
func (m *pmModule) options(b backends.Backend, props Props) map[string]string {
	out := map[string]string{}
	bools := map[string]bool{}
	if fp, ok := b.(backends.FlagProvider); ok {
		for _, f := range fp.SwitchFlags() {
			bools[f.Name] = f.Bool
			if v := props[camelCase(f.Name)]; v != "" {
				out[f.Name] = v
			}
		}
	}
	for prop, opt := range m.aliases {
		if v := props[prop]; v != "" {
			out[opt] = v
		}
	}
	for opt, v := range out {
		if bools[opt] {
			out[opt] = strconv.FormatBool(truthy(v))
		}
	}
	for opt, v := range m.fixed {
		out[opt] = v
	}
	return out
}

func camelCase(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		if r == '-' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// deployment is one component opened for an activity.
type deployment struct {
	m     *pmModule
	inv   *Invocation
	p     *backends.Profile
	env   *backends.Env
	dep   backends.Deployer
	hooks backends.SwitchHooks
	// empty stands for "nothing of this component", the other side of its
	// activation and deactivation.
	empty *backends.Profile
}

func (m *pmModule) Run(ctx context.Context, inv *Invocation) error {
	switch inv.Activity {
	case "snapshot", "restore", "collect-garbage":
		return nil // processes keep no state that Dysnomia manages
	}
	p, cleanup, err := m.open(inv)
	if err != nil {
		return err
	}
	defer cleanup()
	b, err := backends.Lookup(m.pm)
	if err != nil {
		return err
	}
	dirs := p.Meta.Dirs
	env := &backends.Env{
		Dirs:                   dirs.Resolved(),
		ForceDisableUserChange: p.Meta.ForceDisableUserChange,
		Runner:                 inv.Runner,
		Stdout:                 inv.stdout(),
		Stderr:                 inv.stderr(),
		Options:                m.options(b, inv.Props),
	}
	dep, err := b.Deployer(env)
	if err != nil {
		return err
	}
	d := &deployment{m: m, inv: inv, p: p, env: env, dep: dep,
		empty: &backends.Profile{Meta: backends.ProfileMeta{ProcessManager: m.pm, Dirs: dirs}}}
	if h, ok := dep.(backends.SwitchHooks); ok && m.hooks {
		d.hooks = h
	}
	switch inv.Activity {
	case "activate":
		return d.activate(ctx)
	case "deactivate":
		return d.deactivate(ctx)
	case "lock":
		return d.lock(ctx)
	case "unlock":
		return d.unlock(ctx)
	case "shell":
		d.shell()
		return nil
	}
	return fmt.Errorf("unknown activity %q", inv.Activity)
}

// activate creates the component's accounts and state directories, then
// starts its processes in order. If one fails, what started is stopped and
// the accounts created go again; the error names the process.
func (d *deployment) activate(ctx context.Context) error {
	acc, err := accountsOf(d.inv, d.inv.Component)
	if err != nil {
		return err
	}
	units, err := d.dep.Units(d.p)
	if err != nil {
		return err
	}
	if d.p.Path != "" && isProfile(d.p.Path) {
		if err := backends.InitState(d.p.Meta.Dirs, d.p.Meta.ForceDisableUserChange); err != nil {
			return err
		}
	}
	if err := acc.add(ctx); err != nil {
		if delErr := acc.del(ctx); delErr != nil {
			fmt.Fprintf(d.inv.stderr(), "warning: removing the accounts again: %v\n", delErr)
		}
		return err
	}
	var started []backends.Unit
	fail := func(cause error, failed *backends.Unit) error {
		if failed != nil {
			_ = d.dep.Stop(ctx, d.p, *failed)
		}
		for i := len(started) - 1; i >= 0; i-- {
			if err := d.dep.Stop(ctx, d.p, started[i]); err != nil {
				fmt.Fprintf(d.inv.stderr(), "warning: stopping %s again: %v\n", started[i].Name, err)
			}
		}
		if d.hooks != nil {
			_ = d.hooks.BeforeStop(ctx, d.p, d.empty)
			_ = d.hooks.AfterStart(ctx, d.p, d.empty)
		}
		if d.m.afterDeactivate != nil {
			_ = d.m.afterDeactivate(ctx, d.inv, d.dep, d.p)
		}
		if err := acc.del(ctx); err != nil {
			fmt.Fprintf(d.inv.stderr(), "warning: removing the accounts again: %v\n", err)
		}
		return cause
	}
	if d.hooks != nil {
		if err := d.hooks.BeforeStop(ctx, d.empty, d.p); err != nil {
			return fail(err, nil)
		}
	}
	for _, u := range units {
		if err := d.dep.Start(ctx, d.p, u); err != nil {
			return fail(fmt.Errorf("starting %s failed: %w", u.Name, err), &u)
		}
		started = append(started, u)
	}
	if d.hooks != nil {
		if err := d.hooks.AfterStart(ctx, d.empty, d.p); err != nil {
			return fail(err, nil)
		}
	}
	return markersOf(d.inv, d.m.name).markActive()
}

// deactivate stops the component's processes in reverse order, then lets
// go of its accounts. A process that does not stop is reported after the
// others were stopped; the accounts then stay, so deactivating again can
// finish the job.
func (d *deployment) deactivate(ctx context.Context) error {
	units, err := d.dep.Units(d.p)
	if err != nil {
		return err
	}
	if d.hooks != nil {
		if err := d.hooks.BeforeStop(ctx, d.p, d.empty); err != nil {
			return err
		}
	}
	var problems []error
	for i := len(units) - 1; i >= 0; i-- {
		if err := d.dep.Stop(ctx, d.p, units[i]); err != nil {
			problems = append(problems, fmt.Errorf("stopping %s failed: %w", units[i].Name, err))
		}
	}
	if d.hooks != nil {
		if err := d.hooks.AfterStart(ctx, d.p, d.empty); err != nil {
			problems = append(problems, err)
		}
	}
	if d.m.afterDeactivate != nil {
		if err := d.m.afterDeactivate(ctx, d.inv, d.dep, d.p); err != nil {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	acc, err := accountsOf(d.inv, d.inv.Component)
	if err != nil {
		return err
	}
	if err := acc.del(ctx); err != nil {
		return err
	}
	markersOf(d.inv, d.m.name).unmarkActive()
	return nil
}

// lockTimeout is the lockTimeout property, else NIXPROC_LOCK_TIMEOUT
// (seconds or a duration such as 2m, as the switch tools take it), else
// the switch engine's default.
func (d *deployment) lockTimeout() time.Duration {
	for _, v := range []string{d.inv.Props["lockTimeout"], os.Getenv("NIXPROC_LOCK_TIMEOUT")} {
		if t, err := backends.ParseLockTimeout(v); err == nil && v != "" {
			return t
		}
	}
	return backends.DefaultLockTimeout
}

// lock runs the lock commands of the component's processes (a nixproc
// extension of the model) as the switch engine does before it stops
// anything, in the same order: the first that refuses or times out fails
// the activity, and those locked before it are unlocked again.
func (d *deployment) lock(ctx context.Context) error {
	units, err := d.dep.Units(d.p)
	if err != nil {
		return err
	}
	return backends.LockAll(ctx, d.env, units, d.lockTimeout())
}

// unlock runs the unlock commands, every one even when one fails, in the
// switch engine's order.
func (d *deployment) unlock(ctx context.Context) error {
	units, err := d.dep.Units(d.p)
	if err != nil {
		return err
	}
	return backends.UnlockAll(ctx, d.env, units, d.lockTimeout())
}

// shell prints what a maintainer can do with the component.
func (d *deployment) shell() {
	var names []string
	for _, pp := range d.p.Meta.Processes {
		names = append(names, pp.Name)
	}
	w := d.inv.stderr()
	fmt.Fprintf(w, "This is a shell session for the %s processes of %s: %s.\n", d.m.pm, ComponentName(d.inv.Component), strings.Join(names, ", "))
	fmt.Fprintf(w, "\nSome useful commands:\n")
	self := "nixproc dysnomia-module " + d.m.name
	fmt.Fprintf(w, "%s activate %s    # start them\n", self, d.inv.Component)
	fmt.Fprintf(w, "%s deactivate %s  # stop them\n", self, d.inv.Component)
	if d.m.hints != nil {
		for _, h := range d.m.hints(d.inv, d.p) {
			fmt.Fprintln(w, h)
		}
	}
}

// dirsFromProps reads the directory properties of a container.
func dirsFromProps(p Props) agnostic.Dirs {
	return agnostic.Dirs{
		StateDir: p["stateDir"], RuntimeDir: p["runtimeDir"], LogDir: p["logDir"],
		TmpDir: p["tmpDir"], CacheDir: p["cacheDir"], SpoolDir: p["spoolDir"],
		LockDir: p["lockDir"], LibDir: p["libDir"],
	}
}
