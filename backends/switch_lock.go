package backends

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"nixproc/cmdrun"
)

// Locking, as Disnix does it: before a switch stops anything, every process
// of the running deployment that has a lock command is asked to refuse new
// work and to finish what it is doing (a TCP proxy stops forwarding new
// connections and waits until the open ones close); after the switch,
// whether it succeeded or was rolled back, those processes are unlocked.
//
// Which processes: all the running ones with a lock command, touched by the
// switch or not. A process that guards others is usually not the one that
// changes: the proxy stays up, locked, while the server behind it restarts,
// and clients that arrive meanwhile wait in the proxy's queue. Locking only
// the processes a switch restarts would never lock the proxy. (That is also
// why a proxy must not restart with its server: the proxy example locates
// the server by port, not through a dependency, whose change would restart
// the proxy and lose its queue.)
//
// When: only a switch that stops something (a removed, changed or undeployed
// process) locks. A switch that only starts new processes disturbs nothing
// that runs, and one that changes nothing has nothing to wait for.
//
// The contract of a lock command: exit 0 once the process is locked (and
// drained); exit non-zero to refuse, leaving the process as it was (the
// engine does not unlock it: the lock may be someone else's). A lock command
// that is still running at the timeout is stopped (SIGTERM to its process
// group, SIGKILL 5s later) and, since it may have got half-way, unlocked.
// Any lock failure aborts the switch before anything changed: the processes
// locked so far are unlocked, no process stops, no generation is added.

// DefaultLockTimeout bounds each lock and unlock command when the caller
// sets no timeout (--lock-timeout, NIXPROC_LOCK_TIMEOUT).
const DefaultLockTimeout = 60 * time.Second

// lockKillDelay is how long a timed-out lock command has between SIGTERM,
// which lets it undo what it did, and SIGKILL.
const lockKillDelay = 5 * time.Second

// LockError is a lock or unlock command that failed or took too long.
type LockError struct {
	Process  string
	Activity string // "lock" or "unlock"
	// TimedOut says the command was stopped at Timeout; Interrupted that
	// nixproc got a signal while it ran.
	TimedOut, Interrupted bool
	Timeout               time.Duration
	Err                   error
	Output                string
}

func (e *LockError) Error() string {
	what := fmt.Sprintf("cannot %s process %s: its %s command", e.Activity, e.Process, e.Activity)
	switch {
	case e.TimedOut:
		return fmt.Sprintf("%s did not finish within %s (--lock-timeout)", what, e.Timeout)
	case e.Interrupted:
		return what + " was interrupted"
	}
	msg := fmt.Sprintf("%s failed (%v)", what, e.Err)
	if last := cmdrun.LastLine(e.Output); last != "" {
		msg += ": " + last
	}
	return msg
}

func (e *LockError) Unwrap() error { return e.Err }

// RunLockCommand runs a process's lock or unlock command (activity says
// which) with /bin/sh -c, its output going to the deployment's output, and
// stops it at timeout (0 means DefaultLockTimeout). The Dysnomia modules'
// lock and unlock activities run the same commands with this function.
//
// With the real runner (cmdrun.Exec, or none) the command runs in a process
// group of its own, so that a timeout stops everything it started; while it
// runs, SIGINT, SIGTERM and SIGHUP to nixproc stop it in the same way
// instead of leaving it to finish a lock nobody will release. Any other
// runner (a cmdrun.Recorder) gets the command as /bin/sh -c COMMAND.
func RunLockCommand(ctx context.Context, env *Env, process, activity, command string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	lerr := &LockError{Process: process, Activity: activity, Timeout: timeout}
	if r := env.Runner; r != nil {
		if _, real := r.(cmdrun.Exec); !real {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			out, err := r.Run(cctx, cmdrun.Cmd{Path: "/bin/sh", Args: []string{"-c", command}, Stdout: env.Stdout, Stderr: env.Stderr})
			if err == nil {
				return nil
			}
			lerr.Err, lerr.Output, lerr.TimedOut = err, string(out), errors.Is(cctx.Err(), context.DeadlineExceeded)
			return lerr
		}
	}

	cctx, cancel := context.WithTimeoutCause(ctx, timeout, errLockTimeout)
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	interrupted := make(chan struct{})
	stopWatching := make(chan struct{})
	defer close(stopWatching)
	go func() {
		select {
		case <-sigs:
			close(interrupted)
			cancel()
		case <-stopWatching:
		}
	}()

	var out tail
	cmd := exec.CommandContext(cctx, "/bin/sh", "-c", command)
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, orDiscard(env.Stdout)), io.MultiWriter(&out, orDiscard(env.Stderr))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = lockKillDelay
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) && cctx.Err() == nil {
		err = nil // done; something it started in the background keeps its output open
	}
	if cctx.Err() != nil && cmd.Process != nil {
		// Whatever the command started and left behind goes with it.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err == nil && cctx.Err() == nil {
		return nil
	}
	select {
	case <-interrupted:
		lerr.Interrupted = true
	default:
		lerr.TimedOut = errors.Is(context.Cause(cctx), errLockTimeout)
	}
	if err == nil {
		err = context.Cause(cctx)
	}
	lerr.Err, lerr.Output = err, out.String()
	return lerr
}

var errLockTimeout = errors.New("lock timeout")

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// tail keeps the last few KiB of a command's output, for its error message.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tail) String() string { return strings.ToValidUTF8(string(t.b), "?") }

// heldLocks are the processes a switch locked, in the order it locked them.
type heldLocks struct {
	env     *Env
	timeout time.Duration
	units   []Unit // units of the running deployment
}

// acquireLocks locks every unit of running (the deployed units, in start
// order) that has a lock command, in reverse start order: what is in front
// (a proxy) is locked before what is behind it. On failure it unlocks what
// it locked and changes nothing.
func acquireLocks(ctx context.Context, env *Env, timeout time.Duration, running []Unit) (*heldLocks, error) {
	h := &heldLocks{env: env, timeout: timeout}
	for i := len(running) - 1; i >= 0; i-- {
		u := running[i]
		if u.Lock == "" {
			continue
		}
		if err := RunLockCommand(ctx, env, u.Name, "lock", u.Lock, timeout); err != nil {
			var le *LockError
			if errors.As(err, &le) && (le.TimedOut || le.Interrupted) {
				// It may have got half-way: undo that too.
				h.units = append(h.units, u)
			}
			if uerr := h.release(ctx, nil); uerr != nil {
				fmt.Fprintf(orDiscard(env.Stderr), "nixproc: warning: %v\n", uerr)
			}
			return nil, err
		}
		h.units = append(h.units, u)
	}
	return h, nil
}

// LockAll locks units (in start order) as a switch does: the lock command
// of each that has one, in reverse start order, each bounded by timeout
// (0: DefaultLockTimeout). If one fails, those locked before it (and it,
// when it timed out or was interrupted) are unlocked again and its error
// returned. The Dysnomia modules' lock activity uses it.
func LockAll(ctx context.Context, env *Env, units []Unit, timeout time.Duration) error {
	_, err := acquireLocks(ctx, env, timeout, units)
	return err
}

// UnlockAll unlocks units (in start order) as a switch does after LockAll:
// the unlock command of each that has one, in start order (the front door
// last), every one even when one fails. The Dysnomia modules' unlock
// activity uses it.
func UnlockAll(ctx context.Context, env *Env, units []Unit, timeout time.Duration) error {
	h := &heldLocks{env: env, timeout: timeout}
	for i := len(units) - 1; i >= 0; i-- {
		h.units = append(h.units, units[i])
	}
	return h.release(ctx, nil)
}

// ParseLockTimeout reads a lock timeout as users give it (--lock-timeout,
// NIXPROC_LOCK_TIMEOUT, a container property): a Go duration (90s, 2m) or
// a number of seconds; "" is DefaultLockTimeout.
func ParseLockTimeout(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultLockTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if n, nerr := strconv.ParseFloat(v, 64); nerr == nil {
		d, err = time.Duration(n*float64(time.Second)), nil
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("must be a positive duration such as 90s, 2m or 30 (seconds), not %q", v)
	}
	return d, nil
}

// switchOutcome is what a successful switch did to the locked units.
type switchOutcome struct {
	stopped, started map[string]bool
	newUnits         map[string]Unit
}

// release unlocks the held units, in the reverse of the order they were
// locked (what is behind a proxy first, the proxy last). After a rollback
// or an aborted switch (done == nil) every held unit runs as before and
// gets its own unlock command. After a successful switch a unit that kept
// running gets the unlock command it was locked with, one that restarted
// gets its new definition's, and one that was removed gets none.
func (h *heldLocks) release(ctx context.Context, done *switchOutcome) error {
	if h == nil {
		return nil
	}
	// Unlock even when the switch was cancelled: a locked proxy holds its
	// clients until someone unlocks it.
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for i := len(h.units) - 1; i >= 0; i-- {
		u := h.units[i]
		command := u.Unlock
		if done != nil && done.stopped[u.Name] {
			if !done.started[u.Name] {
				continue
			}
			command = done.newUnits[u.Name].Unlock
		}
		if command == "" {
			continue
		}
		if err := RunLockCommand(ctx, h.env, u.Name, "unlock", command, h.timeout); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
