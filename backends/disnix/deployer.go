package disnix

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"nixproc/backends"
	"nixproc/cmdrun"
	"nixproc/shellquote"
)

// ModeOption is the switch option that picks who activates the components.
const ModeOption = "mode"

// Modes: Disnix's disnix-env, or nixproc itself.
const (
	ModeDisnix  = "disnix-env"
	ModeBuiltin = "builtin"
)

// DisnixProfile is the Disnix coordinator profile nixproc deploys with.
const DisnixProfile = "nixproc"

// Deployer activates the components of a profile.
//
// With Disnix (disnix-env mode) the whole switch is one disnix-env run on
// the profile's Disnix model, after the switch engine has created the
// accounts: Disnix compares with its own previous deployment, deactivates
// and activates components in dependency order and rolls back by itself.
//
// In builtin mode nixproc does what Dysnomia's process module does for each
// component, in the order of the switch engine: run the component's process
// (which daemonizes) unless its PID file names a live process, and stop it
// by the PID in its PID file. Unlike the module it fails when the daemon
// does not appear or dies at once, waits for a stopped process to exit
// (killing it after a while), and ignores stale PID files.
type Deployer struct {
	env    *backends.Env
	mode   string
	marker string
}

// Deployer implements backends.Backend.
func (Backend) Deployer(env *backends.Env) (backends.Deployer, error) {
	d := &Deployer{env: env, marker: filepath.Join(env.Dirs.Resolved().RuntimeDir, "nixproc-disnix-builtin")}
	switch m := env.Options[ModeOption]; m {
	case ModeDisnix, ModeBuiltin:
		d.mode = m
	case "", "auto":
		d.mode = ModeBuiltin
		if _, err := os.Stat(d.marker); os.IsNotExist(err) {
			if _, err := exec.LookPath("disnix-env"); err == nil {
				d.mode = ModeDisnix
			}
		}
	default:
		return nil, fmt.Errorf("--mode %q is not an activation mode of the disnix backend (disnix-env or builtin)", m)
	}
	return d, nil
}

// Mode is the activation mode the deployer uses.
func (d *Deployer) Mode() string { return d.mode }

// Units implements backends.Deployer: every process, in activation order.
func (d *Deployer) Units(p *backends.Profile) ([]backends.Unit, error) {
	return backends.DefaultUnits(p), nil
}

// BeforeStop implements backends.SwitchHooks.
func (d *Deployer) BeforeStop(ctx context.Context, old, new *backends.Profile) error {
	return nil
}

// AfterStart implements backends.SwitchHooks: disnix-env deploys the new
// model (in builtin mode, a marker says a builtin deployment runs, so that
// a later switch keeps activating it the same way).
func (d *Deployer) AfterStart(ctx context.Context, old, new *backends.Profile) error {
	if d.mode == ModeBuiltin {
		if len(new.Meta.Processes) == 0 {
			os.Remove(d.marker)
			return nil
		}
		return os.WriteFile(d.marker, nil, 0o644)
	}
	env := []string{}
	if os.Getenv("DISNIX_CLIENT_INTERFACE") == "" {
		// Activate on this machine, without a Disnix service.
		env = append(env, "DISNIX_CLIENT_INTERFACE=disnix-run-activity")
	}
	_, err := d.env.Runner.Run(ctx, cmdrun.Cmd{
		Path: "disnix-env",
		Args: []string{
			"-s", new.File(ServicesFile),
			"-i", new.File(InfrastructureFile),
			"-d", new.File(DistributionFile),
			"--profile", DisnixProfile,
		},
		Env:    env,
		Stdout: d.env.Stdout,
		Stderr: d.env.Stderr,
	})
	return err
}

// Start implements backends.Deployer (builtin mode; Disnix activates by
// itself).
func (d *Deployer) Start(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	if d.mode != ModeBuiltin {
		return nil
	}
	process, pidFile, err := d.spec(p, u.Name)
	if err != nil {
		return err
	}
	if pid, ok := readPID(pidFile); ok && alive(pid) {
		fmt.Fprintf(d.stderr(), "nixproc: %s already runs (PID %d in %s)\n", u.Name, pid, pidFile)
		return nil
	}
	os.Remove(pidFile) // stale
	if _, err := d.env.Runner.Run(ctx, cmdrun.Cmd{Path: process, Stdout: d.env.Stdout, Stderr: d.env.Stderr}); err != nil {
		return err
	}
	timeout := seconds("NIXPROC_START_TIMEOUT", 10*time.Second)
	deadline := time.Now().Add(timeout)
	var pid int
	for {
		var ok bool
		pid, ok = readPID(pidFile)
		if ok && alive(pid) {
			break
		}
		if ok {
			return fmt.Errorf("its daemon (PID %d in %s) exited right after it started", pid, pidFile)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no daemon appeared in its PID file %s within %s", pidFile, timeout)
		}
		// A daemon whose process fails at once may come and go between
		// two looks; then only the timeout tells.
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
	if err := sleep(ctx, seconds("NIXPROC_START_SETTLE", 300*time.Millisecond)); err != nil {
		return err
	}
	if !alive(pid) {
		return fmt.Errorf("its daemon (PID %d) exited right after it started", pid)
	}
	return nil
}

// Stop implements backends.Deployer (builtin mode): TERM to the PID in the
// PID file, KILL if the process is still there after the stop timeout.
func (d *Deployer) Stop(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	if d.mode != ModeBuiltin {
		return nil
	}
	_, pidFile, err := d.spec(p, u.Name)
	if err != nil {
		return err
	}
	pid, ok := readPID(pidFile)
	if !ok || !alive(pid) {
		os.Remove(pidFile)
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && err != syscall.ESRCH {
		return fmt.Errorf("stopping PID %d: %w", pid, err)
	}
	timeout := seconds("NIXPROC_STOP_TIMEOUT", 10*time.Second)
	if !waitGone(ctx, pid, timeout) {
		fmt.Fprintf(d.stderr(), "nixproc: %s (PID %d) did not stop within %s; killing it\n", u.Name, pid, timeout)
		syscall.Kill(pid, syscall.SIGKILL)
		if !waitGone(ctx, pid, 5*time.Second) {
			return fmt.Errorf("PID %d does not stop", pid)
		}
	}
	if now, ok := readPID(pidFile); ok && now == pid {
		os.Remove(pidFile)
	}
	return nil
}

func (d *Deployer) stderr() io.Writer {
	if d.env.Stderr != nil {
		return d.env.Stderr
	}
	return io.Discard
}

// spec reads a component's process specification: the program that starts
// the process and its PID file, with Dysnomia's default for the latter.
func (d *Deployer) spec(p *backends.Profile, name string) (process, pidFile string, err error) {
	file := p.File(SpecFile(name))
	data, err := os.ReadFile(file)
	if err != nil {
		return "", "", fmt.Errorf("component %s: %w", name, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		words, werr := shellquote.Split(value)
		if !ok || werr != nil || len(words) != 1 {
			return "", "", fmt.Errorf("%s: cannot read %q", file, line)
		}
		switch key {
		case "process":
			process = words[0]
		case "pidFile":
			pidFile = words[0]
		}
	}
	if process == "" {
		return "", "", fmt.Errorf("%s names no process", file)
	}
	if pidFile == "" {
		pidFile = filepath.Join(d.env.Dirs.Resolved().RuntimeDir, filepath.Base(process)+".pid")
	}
	return process, pidFile, nil
}

func readPID(file string) (int, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid, err == nil && pid > 0
}

// alive tells whether a process runs; a zombie does not.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) == nil // no /proc
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || (stat[i+2] != 'Z' && stat[i+2] != 'X')
}

func waitGone(ctx context.Context, pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for alive(pid) {
		if time.Now().After(deadline) || sleep(ctx, 50*time.Millisecond) != nil {
			return false
		}
	}
	return true
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// seconds reads a duration in seconds from the environment, as the
// sysvinit init functions do.
func seconds(env string, def time.Duration) time.Duration {
	if v := os.Getenv(env); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
			return time.Duration(f * float64(time.Second))
		}
	}
	return def
}
