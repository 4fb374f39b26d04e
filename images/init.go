package images

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/s6rc"
	"nixproc/cmdrun"
)

// deployerOptions are the deployer settings of a container: sysvinit's
// runlevel (there is no runlevel command to ask), disnix activating the
// components itself, plain s6 supervision.
var deployerOptions = map[string]map[string]string{
	"sysvinit": {"runlevel": "3"},
	"disnix":   {"mode": "builtin"},
	"s6-rc":    {"mode": "s6"},
}

// initStageEnv marks the second process of nixproc init.
const initStageEnv = "NIXPROC_INIT_STAGE"

// Init runs a profile as a container's PID 1 and returns the exit status.
//
// It is two processes. The first (PID 1) only reaps: every orphan in the
// container becomes its child, daemons that double-fork included, and it
// waits for them all so none stays a zombie; it passes signals on to the
// second and exits with its status (the kernel then ends whatever is left).
// The second starts the profile's processes in order through the backend's
// deployer and, on SIGTERM, SIGINT or SIGQUIT, stops them in reverse order
// and exits 0. Reaping in the process that also waits for the init scripts
// it runs would steal their exit statuses; hence two.
//
// Outside a container (not PID 1) the first process makes itself a child
// subreaper, so orphans come to it just the same.
func Init(profile string, stdout, stderr io.Writer) int {
	if os.Getenv(initStageEnv) == "run" {
		return runProfile(profile, stdout, stderr)
	}
	return reap(stderr)
}

const prSetChildSubreaper = 36

func reap(stderr io.Writer) int {
	if os.Getpid() != 1 {
		if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
			fmt.Fprintf(stderr, "nixproc init: cannot become a subreaper: %v\n", e)
		}
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	exe, err := os.Executable()
	if err != nil {
		exe = "/proc/self/exe"
	}
	cmd := &exec.Cmd{Path: exe, Args: os.Args, Env: append(os.Environ(), initStageEnv+"=run"),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "nixproc init: %v\n", err)
		return 1
	}
	child := cmd.Process.Pid
	done := make(chan int, 1)
	go func() {
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, 0, nil)
			if err == syscall.EINTR {
				continue
			}
			if err != nil { // ECHILD: cannot happen while the child lives
				done <- 1
				return
			}
			if pid == child {
				switch {
				case ws.Exited():
					done <- ws.ExitStatus()
				case ws.Signaled():
					done <- 128 + int(ws.Signal())
				default:
					continue
				}
				return
			}
		}
	}()
	for {
		select {
		case s := <-sigs:
			_ = syscall.Kill(child, s.(syscall.Signal))
		case code := <-done:
			return code
		}
	}
}

// runProfile starts the processes of a profile and stops them when told.
func runProfile(profilePath string, stdout, stderr io.Writer) int {
	stop := make(chan os.Signal, 4)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT)
	// Other signals the first process passes on must not end this one.
	signal.Notify(make(chan os.Signal, 4), syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)

	fail := func(err error) int {
		fmt.Fprintf(stderr, "nixproc init: %v\n", err)
		return 1
	}
	p, err := backends.OpenProfile(profilePath)
	if err != nil {
		return fail(err)
	}
	b, err := backends.Lookup(p.Meta.ProcessManager)
	if err != nil {
		return fail(err)
	}
	env := &backends.Env{
		Dirs:                   p.Meta.Dirs.Resolved(),
		ForceDisableUserChange: p.Meta.ForceDisableUserChange,
		Runner:                 cmdrun.Exec{},
		Stdout:                 stdout,
		Stderr:                 stderr,
		Options:                deployerOptions[p.Meta.ProcessManager],
	}
	d, err := b.Deployer(env)
	if err != nil {
		return fail(err)
	}
	if err := backends.InitState(p.Meta.Dirs, p.Meta.ForceDisableUserChange); err != nil {
		return fail(err)
	}
	units, err := d.Units(p)
	if err != nil {
		return fail(err)
	}
	stopTree, err := startTree(p.Meta.ProcessManager, env.Dirs, stdout, stderr)
	if err != nil {
		return fail(err)
	}
	none := &backends.Profile{}
	hooks, _ := d.(backends.SwitchHooks)

	// A stop asked for while processes start cancels the start under way.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopping := make(chan struct{})
	go func() {
		<-stop
		close(stopping)
		cancel()
	}()

	var started []backends.Unit
	var startErr error
	if hooks != nil {
		startErr = hooks.BeforeStop(ctx, none, p)
	}
	for _, u := range units {
		if startErr != nil || ctx.Err() != nil {
			break
		}
		started = append(started, u) // stopped again even if half up
		if err := d.Start(ctx, p, u); err != nil {
			startErr = fmt.Errorf("starting %s failed: %w", u.Name, err)
		}
	}
	if startErr == nil && ctx.Err() == nil && hooks != nil {
		startErr = hooks.AfterStart(ctx, none, p)
	}
	// A failure caused by a stop is no failure.
	failed := startErr != nil && ctx.Err() == nil
	switch {
	case failed:
		fmt.Fprintf(stderr, "nixproc init: %v; stopping what started\n", startErr)
	case ctx.Err() == nil:
		fmt.Fprintf(stderr, "nixproc init: %d processes of %s started\n", len(started), p.Meta.ProcessManager)
		<-stopping
	}

	fmt.Fprintf(stderr, "nixproc init: stopping %d processes\n", len(started))
	code := 0
	if failed {
		code = 1
	}
	bg := context.Background()
	if hooks != nil {
		if err := hooks.BeforeStop(bg, p, none); err != nil {
			fmt.Fprintf(stderr, "nixproc init: %v\n", err)
			code = 1
		}
	}
	for i := len(started) - 1; i >= 0; i-- {
		if err := d.Stop(bg, p, started[i]); err != nil {
			fmt.Fprintf(stderr, "nixproc init: stopping %s failed: %v\n", started[i].Name, err)
			code = 1
		}
	}
	if hooks != nil {
		if err := hooks.AfterStart(bg, p, none); err != nil {
			fmt.Fprintf(stderr, "nixproc init: %v\n", err)
			code = 1
		}
	}
	if err := stopTree(); err != nil {
		fmt.Fprintf(stderr, "nixproc init: %v\n", err)
		code = 1
	}
	return code
}

// startTree starts what a deployer needs running before it can start
// anything, and returns what stops it: for s6-rc, an s6-svscan on the scan
// directory the deployer links services into.
func startTree(pm string, dirs agnostic.Dirs, stdout, stderr io.Writer) (func() error, error) {
	if pm != "s6-rc" {
		return func() error { return nil }, nil
	}
	scan := s6rc.LayoutFor(dirs).ScanDir
	if err := os.MkdirAll(scan, 0o755); err != nil {
		return nil, fmt.Errorf("creating the scan directory %s: %w", scan, err)
	}
	svscan := exec.Command("s6-svscan", scan)
	svscan.Stdout, svscan.Stderr = stdout, stderr
	if err := svscan.Start(); err != nil {
		return nil, fmt.Errorf("starting s6-svscan: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- svscan.Wait() }()
	stop := func() error {
		_ = svscan.Process.Signal(syscall.SIGTERM) // s6-svscan ends its supervisors, then itself
		select {
		case <-exited:
			return nil
		case <-time.After(20 * time.Second):
			_ = svscan.Process.Kill()
			<-exited
			return fmt.Errorf("s6-svscan did not stop within 20s of SIGTERM; killed it")
		}
	}
	// Ready once it answers on its control FIFO.
	deadline := time.Now().Add(10 * time.Second)
	for exec.Command("s6-svscanctl", "-a", scan).Run() != nil {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("s6-svscan on %s exited at once: %v", scan, err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("s6-svscan on %s did not answer within 10s", scan)
		}
	}
	return stop, nil
}
