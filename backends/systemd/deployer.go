package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"nixproc/backends"
	"nixproc/cmdrun"
)

// Deployer links a profile's units into a unit directory and drives them
// with systemctl. Within a switch the engine stops what is obsolete or
// changed (with the old units still loaded), then starts what is new or
// changed: before the first start, and at the end of a switch that starts
// nothing, the unit directory is made to match the new profile (links,
// enable links from [Install]) and the manager reloaded, once.
type Deployer struct {
	env  *backends.Env
	user bool
	dir  string
	// prev is the profile deployed when the switch began; linked the units
	// this deployer linked last; synced the profile they come from.
	prev     *backends.Profile
	linked   []string
	synced   string
	isSynced bool
}

// Deployer implements backends.Backend.
func (Backend) Deployer(env *backends.Env) (backends.Deployer, error) {
	user := env.Options[OptionUser] == "true"
	dir, err := UnitDir(env.Options[OptionUnitDir], user)
	if err != nil {
		return nil, err
	}
	return &Deployer{env: env, user: user, dir: dir}, nil
}

// UnitDir is where units are linked: the given directory, else
// $SYSTEMD_TARGET_DIR, else /etc/systemd/system, or the user's unit
// directory (~/.config/systemd/user) for user units.
func UnitDir(given string, user bool) (string, error) {
	if given == "" {
		given = os.Getenv("SYSTEMD_TARGET_DIR")
	}
	if given != "" {
		return filepath.Abs(given)
	}
	if !user {
		return "/etc/systemd/system", nil
	}
	config := os.Getenv("XDG_CONFIG_HOME")
	if config == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find the user unit directory: %w", err)
		}
		config = filepath.Join(home, ".config")
	}
	return filepath.Join(config, "systemd", "user"), nil
}

// Units lists the profile's units in activation order.
func (d *Deployer) Units(p *backends.Profile) ([]backends.Unit, error) {
	units := backends.DefaultUnits(p)
	for _, u := range units {
		if _, err := os.Stat(unitFile(p, u.Name)); err != nil {
			return nil, fmt.Errorf("profile %s has no unit for process %s: %w", p.Path, u.Name, err)
		}
	}
	return units, nil
}

func unitFile(p *backends.Profile, name string) string {
	return p.File(filepath.Join(unitDirRel, UnitName(name)))
}

// BeforeStop implements backends.SwitchHooks: it remembers what is deployed
// and refuses, before anything is touched, user units that switch user.
func (d *Deployer) BeforeStop(ctx context.Context, old, new *backends.Profile) error {
	if d.user {
		for _, pp := range new.Meta.Processes {
			if pp.User != "" {
				return fmt.Errorf("process %s runs as user %s, which a --user deployment cannot do (build it with --force-disable-user-change)", pp.Name, pp.User)
			}
		}
	}
	d.prev, d.isSynced = old, false
	return nil
}

// AfterStart implements backends.SwitchHooks: a switch that started
// nothing still unlinks what it stopped and reloads the manager.
func (d *Deployer) AfterStart(ctx context.Context, old, new *backends.Profile) error {
	defer func() { d.isSynced = false }()
	if !d.isSynced || d.synced != new.Path {
		return d.sync(ctx, new)
	}
	return nil
}

// Stop stops a process: its socket and timer first, so that nothing
// starts the service again, then the service. A unit systemd does not know
// (exit status 5) is stopped already, so a switch that failed half-way can
// be run again.
func (d *Deployer) Stop(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	for _, unit := range append(companions(p, u.Name), UnitName(u.Name)) {
		err := d.systemctl(ctx, "stop", unit)
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 5) {
			return err
		}
	}
	return nil
}

// Start starts a unit, after linking the profile's units and reloading.
func (d *Deployer) Start(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	if !d.isSynced || d.synced != p.Path {
		if err := d.sync(ctx, p); err != nil {
			return err
		}
	}
	return d.systemctl(ctx, "start", activationUnit(p, u.Name))
}

func (d *Deployer) systemctl(ctx context.Context, args ...string) error {
	if d.user {
		args = append([]string{"--user"}, args...)
	}
	_, err := d.env.Runner.Run(ctx, cmdrun.Cmd{Path: "systemctl", Args: args, Stdout: d.env.Stdout, Stderr: d.env.Stderr})
	return err
}

// sync makes the unit directory hold exactly p's units (services, and the
// sockets and timers that activate them): links to the profile's unit
// files, enable links as their [Install] sections say, and no links for
// units this deployment had and p has not. Then it reloads.
func (d *Deployer) sync(ctx context.Context, p *backends.Profile) error {
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return fmt.Errorf("creating the unit directory %s: %w", d.dir, err)
	}
	want := map[string]bool{}
	var units []string // of p: every process's service and companions
	if p.Path != "" {
		for _, pp := range p.Meta.Processes {
			for _, u := range processUnits(p, pp.Name) {
				want[u] = true
				units = append(units, u)
			}
		}
	}
	gone := map[string]bool{}
	for _, u := range d.linked {
		gone[u] = true
	}
	if d.prev != nil && d.prev.Path != "" {
		for _, pp := range d.prev.Meta.Processes {
			for _, u := range processUnits(d.prev, pp.Name) {
				gone[u] = true
			}
		}
	}
	for _, u := range sortedKeys(gone) {
		if want[u] {
			continue
		}
		if err := d.setEnableLinks(u, nil); err != nil {
			return err
		}
		if err := removeLink(filepath.Join(d.dir, u)); err != nil {
			return err
		}
	}
	var linked []string
	for _, u := range units {
		file := p.File(filepath.Join(unitDirRel, u))
		if err := replaceSymlink(file, filepath.Join(d.dir, u)); err != nil {
			return fmt.Errorf("linking %s into %s: %w", u, d.dir, err)
		}
		targets, err := installTargets(file)
		if err != nil {
			return err
		}
		if err := d.setEnableLinks(u, targets); err != nil {
			return err
		}
		linked = append(linked, u)
	}
	d.linked, d.synced, d.isSynced = linked, p.Path, true
	return d.systemctl(ctx, "daemon-reload")
}

// installTargets reads a unit's [Install] section: the .wants and
// .requires directories systemctl enable would link it into.
func installTargets(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opts, err := unit.DeserializeOptions(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []string
	for _, o := range opts {
		if o.Section != "Install" {
			continue
		}
		suffix := map[string]string{"WantedBy": ".wants", "RequiredBy": ".requires", "UpheldBy": ".upholds"}[o.Name]
		if suffix == "" {
			continue
		}
		if strings.TrimSpace(o.Value) == "" {
			out = nil // an empty assignment resets the list
			continue
		}
		for _, t := range strings.Fields(o.Value) {
			out = append(out, t+suffix)
		}
	}
	return out, nil
}

// setEnableLinks makes <dir>/<target dir>/<unit> links exist for exactly
// the given target directories.
func (d *Deployer) setEnableLinks(u string, targets []string) error {
	want := map[string]bool{}
	for _, t := range targets {
		want[t] = true
	}
	for _, pattern := range []string{"*.wants", "*.requires", "*.upholds"} {
		existing, _ := filepath.Glob(filepath.Join(d.dir, pattern, u))
		for _, link := range existing {
			t := filepath.Base(filepath.Dir(link))
			if !want[t] {
				if err := removeLink(link); err != nil {
					return err
				}
				_ = os.Remove(filepath.Dir(link)) // only if empty
			}
		}
	}
	for _, t := range targets {
		if err := os.MkdirAll(filepath.Join(d.dir, t), 0o755); err != nil {
			return err
		}
		if err := replaceSymlink(filepath.Join(d.dir, u), filepath.Join(d.dir, t, u)); err != nil {
			return fmt.Errorf("enabling %s: %w", u, err)
		}
	}
	return nil
}

// removeLink removes a symlink; a regular file someone put there is left
// alone.
func removeLink(path string) error {
	info, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if info.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("%s is not a link nixproc made; remove it by hand", path)
	}
	return os.Remove(path)
}

func replaceSymlink(target, link string) error {
	if cur, err := os.Readlink(link); err == nil && cur == target {
		return nil
	}
	if info, err := os.Lstat(link); err == nil && info.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("%s exists and is not a link nixproc made", link)
	}
	tmp := link + ".nixproc-tmp"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
