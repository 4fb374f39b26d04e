package supervisord

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/cmdrun"
)

// Deployer implements backends.Backend.
func (Backend) Deployer(env *backends.Env) (backends.Deployer, error) {
	return &Deployer{env: env, reread: map[string]bool{}}, nil
}

// Deployer drives the supervisord of a deployment, one per state directory,
// which it starts when it is not running. supervisord reads
// <libDir>/supervisord/supervisord.conf and includes conf.d/*.conf from
// there: both are links the switch points at the profile being deployed.
// Programs are added and removed one by one, in the order the switch engine
// decides, and a program counts as started once supervisord says RUNNING.
type Deployer struct {
	env    *backends.Env
	reread map[string]bool // instances whose configuration is read since the links last moved
}

// Timeouts.
var (
	// startWait bounds the wait for a program to be RUNNING; the proxy
	// alone may wait 30s for a daemon's PID file.
	startWait = 90 * time.Second
	// daemonWait bounds the wait for supervisord to listen or to exit.
	daemonWait = 60 * time.Second
)

// instance is the supervisord of one deployment.
type instance struct {
	d    *Deployer
	dirs agnostic.Dirs // resolved
}

func (d *Deployer) instance(p *backends.Profile) *instance {
	dirs := p.Meta.Dirs
	if p.Path == "" {
		dirs = d.env.Dirs
	}
	return &instance{d: d, dirs: dirs.Resolved()}
}

// Home is where a deployment's supervisord keeps its configuration links.
func Home(dirs agnostic.Dirs) string { return filepath.Join(dirs.Resolved().LibDir, "supervisord") }

func (i *instance) home() string      { return Home(i.dirs) }
func (i *instance) confLink() string  { return filepath.Join(i.home(), ConfFile) }
func (i *instance) confDLink() string { return filepath.Join(i.home(), ConfDir) }
func (i *instance) emptyDir() string  { return filepath.Join(i.home(), "empty") }
func (i *instance) ctlConf() string   { return filepath.Join(i.home(), "supervisorctl.conf") }
func (i *instance) socket() string    { return SocketPath(i.dirs) }

func (i *instance) stderr() io.Writer {
	if i.d.env.Stderr != nil {
		return i.d.env.Stderr
	}
	return io.Discard
}

// running tells whether supervisord answers on the socket.
func (i *instance) running() bool {
	c, err := net.DialTimeout("unix", i.socket(), 2*time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// ctl runs supervisorctl against this supervisord and returns its output,
// also when it exits non-zero (which it does for "no such process" too).
func (i *instance) ctl(ctx context.Context, args ...string) (string, error) {
	out, err := i.d.env.Runner.Run(ctx, cmdrun.Cmd{Path: "supervisorctl", Args: append([]string{"-c", i.ctlConf()}, args...)})
	var ce *cmdrun.Error
	if errors.As(err, &ce) {
		return ce.Output, err
	}
	return string(out), err
}

// prepare makes the home directory: the supervisorctl configuration (only
// the socket, so supervisorctl works whichever profile the links name) and
// an empty conf.d to start with.
func (i *instance) prepare() error {
	if err := os.MkdirAll(i.emptyDir(), 0o755); err != nil {
		return err
	}
	conf := "[supervisorctl]\nserverurl = unix://" + strings.ReplaceAll(i.socket(), "%", "%%") + "\n"
	if old, err := os.ReadFile(i.ctlConf()); err == nil && string(old) == conf {
		return nil
	}
	tmp := i.ctlConf() + ".tmp"
	if err := os.WriteFile(tmp, []byte(conf), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, i.ctlConf())
}

// link points name at target atomically; it tells whether it changed.
func link(target, name string) (bool, error) {
	if cur, err := os.Readlink(name); err == nil && cur == target {
		return false, nil
	}
	tmp := name + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, name)
}

// ensureRunning starts supervisord, with no programs, unless it runs; it
// tells whether it started it.
func (i *instance) ensureRunning(ctx context.Context, p *backends.Profile) (bool, error) {
	if err := i.prepare(); err != nil {
		return false, fmt.Errorf("supervisord: %w", err)
	}
	if i.running() {
		return false, nil
	}
	if _, err := link(p.File(ConfFile), i.confLink()); err != nil {
		return false, err
	}
	if _, err := link(i.emptyDir(), i.confDLink()); err != nil {
		return false, err
	}
	delete(i.d.reread, i.home())
	log := filepath.Join(i.dirs.LogDir, "supervisord.log")
	// supervisord checks its configuration, then daemonizes.
	if _, err := i.d.env.Runner.Run(ctx, cmdrun.Cmd{Path: "supervisord", Args: []string{"-c", i.confLink()}}); err != nil {
		return false, fmt.Errorf("starting supervisord: %w", err)
	}
	deadline := time.Now().Add(daemonWait)
	for !i.running() {
		if time.Now().After(deadline) {
			return false, fmt.Errorf("supervisord did not listen on %s within %s (see %s: %s)", i.socket(), daemonWait, log, lastLine(log))
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return false, err
		}
	}
	fmt.Fprintf(i.stderr(), "nixproc: started supervisord (configuration %s, socket %s)\n", i.confLink(), i.socket())
	return true, nil
}

// use points the configuration links at profile p and has supervisord
// read it.
func (i *instance) use(ctx context.Context, p *backends.Profile) error {
	confD := p.File(ConfDir)
	if st, err := os.Stat(confD); err != nil || !st.IsDir() {
		confD = i.emptyDir()
	}
	c1, err := link(p.File(ConfFile), i.confLink())
	if err != nil {
		return err
	}
	c2, err := link(confD, i.confDLink())
	if err != nil {
		return err
	}
	if !c1 && !c2 && i.d.reread[i.home()] {
		return nil
	}
	if out, err := i.ctl(ctx, "reread"); err != nil || strings.Contains(out, "ERROR") {
		return fmt.Errorf("supervisord cannot read the configuration of %s: %s", p.Path, cmdrun.LastLine(out))
	}
	i.d.reread[i.home()] = true
	return nil
}

var statusLine = regexp.MustCompile(`^(\S+)\s+(STOPPED|STARTING|RUNNING|BACKOFF|STOPPING|EXITED|FATAL|UNKNOWN)\b\s*(.*)$`)

// status returns the state of every loaded process, by "group" for a group
// with one process of the same name, else by "group:process". Programs are
// groups: name:* addresses all processes of one (numprocs may make more).
func (i *instance) status(ctx context.Context, specs ...string) (map[string]string, error) {
	out, err := i.ctl(ctx, append([]string{"status"}, specs...)...)
	states := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if m := statusLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			states[m[1]] = m[2]
		}
	}
	if err != nil && len(states) == 0 && !strings.Contains(out, "no such") {
		return nil, fmt.Errorf("asking supervisord for the status of its programs: %s", cmdrun.LastLine(out))
	}
	return states, nil
}

// group is the program a process of the status belongs to.
func group(process string) string {
	g, _, _ := strings.Cut(process, ":")
	return g
}

// groups lists the loaded programs.
func (i *instance) groups(ctx context.Context) (map[string]bool, error) {
	states, err := i.status(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for p := range states {
		out[group(p)] = true
	}
	return out, nil
}

// Units implements backends.Deployer: every process, in activation order.
func (d *Deployer) Units(p *backends.Profile) ([]backends.Unit, error) {
	return backends.DefaultUnits(p), nil
}

// Start adds the program to supervisord, from profile p, and waits until it
// is RUNNING.
func (d *Deployer) Start(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	i := d.instance(p)
	if _, err := i.ensureRunning(ctx, p); err != nil {
		return err
	}
	if err := i.use(ctx, p); err != nil {
		return err
	}
	return i.start(ctx, u.Name)
}

func (i *instance) start(ctx context.Context, name string) error {
	loaded, err := i.groups(ctx)
	if err != nil {
		return err
	}
	if loaded[name] {
		// Loaded from an earlier configuration: replace it.
		if err := i.stop(ctx, name); err != nil {
			return err
		}
	}
	if out, err := i.ctl(ctx, "add", name); err != nil || strings.Contains(out, "ERROR") {
		return fmt.Errorf("supervisord cannot add program %s: %s", name, cmdrun.LastLine(out))
	}
	// autostart usually starts it already; start covers autostart = false
	// and waits for startsecs.
	out, _ := i.ctl(ctx, "start", name+":*")
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "ERROR") && !strings.Contains(l, "already started") {
			process, what, _ := strings.Cut(strings.TrimSpace(l), ": ")
			return i.failure(ctx, process, what)
		}
	}
	deadline := time.Now().Add(startWait)
	for {
		states, err := i.status(ctx, name+":*")
		if err != nil {
			return err
		}
		if len(states) == 0 {
			return i.failure(ctx, name, stateMeaning(""))
		}
		running := 0
		for _, process := range agnostic.SortedKeys(states) {
			switch st := states[process]; st {
			case "RUNNING":
				running++
			case "BACKOFF", "FATAL", "EXITED", "STOPPED", "UNKNOWN":
				return i.failure(ctx, process, stateMeaning(st))
			}
		}
		if running == len(states) {
			return nil
		}
		if time.Now().After(deadline) {
			return i.failure(ctx, name, fmt.Sprintf("that it is not RUNNING after %s", startWait))
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

func stateMeaning(st string) string {
	switch st {
	case "BACKOFF":
		// It exited before startsecs, so it failed to start.
		return "that it exited too quickly (BACKOFF)"
	case "FATAL":
		return "that it could not be started (FATAL)"
	case "EXITED", "STOPPED":
		return "that it is not running (" + st + ")"
	case "":
		return "no such program"
	}
	return st
}

// failure reports a process that did not start, with the last line of its
// error output.
func (i *instance) failure(ctx context.Context, process, what string) error {
	msg := "supervisord reports " + what
	if group(process) != process {
		msg += " for " + process
	}
	if out, err := i.ctl(ctx, "tail", process, "stderr"); err == nil {
		if l := cmdrun.LastLine(out); l != "" {
			msg += "; its last error output: " + l
		}
	}
	return errors.New(msg)
}

// Stop stops the program and removes it from supervisord. A program (or a
// supervisord) that is not there counts as stopped.
func (d *Deployer) Stop(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	i := d.instance(p)
	if !i.running() {
		return nil
	}
	if err := i.prepare(); err != nil {
		return err
	}
	return i.stop(ctx, u.Name)
}

func (i *instance) stop(ctx context.Context, name string) error {
	out, _ := i.ctl(ctx, "stop", name+":*")
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "ERROR") && !strings.Contains(l, "not running") && !strings.Contains(l, "no such") {
			return fmt.Errorf("supervisord cannot stop program %s: %s", name, strings.TrimSpace(l))
		}
	}
	out, _ = i.ctl(ctx, "remove", name)
	if strings.Contains(out, "ERROR") && !strings.Contains(out, "no such") {
		return fmt.Errorf("supervisord cannot remove program %s: %s", name, cmdrun.LastLine(out))
	}
	return nil
}

// BeforeStop implements backends.SwitchHooks: supervisord runs before
// anything is stopped or started. If it was not running (after a reboot),
// the deployed programs are started first, so the switch starts from the
// deployment as it was.
func (d *Deployer) BeforeStop(ctx context.Context, old, new *backends.Profile) error {
	if old.Path != "" {
		i := d.instance(old)
		started, err := i.ensureRunning(ctx, old)
		if err != nil {
			return err
		}
		if started {
			if err := i.use(ctx, old); err != nil {
				return err
			}
			for _, u := range backends.DefaultUnits(old) {
				if err := i.start(ctx, u.Name); err != nil {
					fmt.Fprintf(i.stderr(), "nixproc: warning: restarting the deployed %s: %v\n", u.Name, err)
				}
			}
		}
	}
	if new.Path != "" && len(new.Meta.Processes) > 0 {
		if _, err := d.instance(new).ensureRunning(ctx, new); err != nil {
			return err
		}
	}
	return nil
}

// AfterStart implements backends.SwitchHooks: supervisord is left with the
// new profile's configuration and exactly its programs; a deployment with
// no programs left has no supervisord either.
func (d *Deployer) AfterStart(ctx context.Context, old, new *backends.Profile) error {
	if new.Path == "" || len(new.Meta.Processes) == 0 {
		seen := map[string]bool{}
		for _, p := range []*backends.Profile{old, new} {
			i := d.instance(p)
			if seen[i.home()] {
				continue
			}
			seen[i.home()] = true
			if err := i.shutdown(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	i := d.instance(new)
	if _, err := i.ensureRunning(ctx, new); err != nil {
		return err
	}
	if err := i.use(ctx, new); err != nil {
		return err
	}
	loaded, err := i.groups(ctx)
	if err != nil {
		return err
	}
	units := backends.DefaultUnits(new)
	want := map[string]bool{}
	for _, u := range units {
		want[u.Name] = true
	}
	for _, name := range agnostic.SortedKeys(loaded) {
		if !want[name] {
			if err := i.stop(ctx, name); err != nil {
				return err
			}
		}
	}
	for _, u := range units {
		if !loaded[u.Name] {
			if err := i.start(ctx, u.Name); err != nil {
				return fmt.Errorf("starting %s failed: %w", u.Name, err)
			}
		}
	}
	return nil
}

// shutdown stops every program and supervisord itself.
func (i *instance) shutdown(ctx context.Context) error {
	if !i.running() {
		return nil
	}
	if err := i.prepare(); err != nil {
		return err
	}
	pid := readPID(filepath.Join(i.dirs.RuntimeDir, "supervisord.pid"))
	if out, err := i.ctl(ctx, "shutdown"); err != nil && i.running() {
		return fmt.Errorf("shutting supervisord down: %s", cmdrun.LastLine(out))
	}
	deadline := time.Now().Add(daemonWait)
	for i.running() || (pid > 0 && alive(pid)) {
		if time.Now().After(deadline) {
			return fmt.Errorf("supervisord (socket %s) did not exit within %s", i.socket(), daemonWait)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	if _, err := link(i.emptyDir(), i.confDLink()); err != nil {
		return err
	}
	delete(i.d.reread, i.home())
	fmt.Fprintf(i.stderr(), "nixproc: stopped supervisord (socket %s): no programs are left\n", i.socket())
	return nil
}

func readPID(file string) int {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	var pid int
	fmt.Sscanf(strings.TrimSpace(string(data)), "%d", &pid)
	return pid
}

// alive tells whether pid is a live process (a zombie is dead).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

func lastLine(file string) string {
	data, _ := os.ReadFile(file)
	return cmdrun.LastLine(string(data))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
