package backends

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/cmdrun"
)

// The engine's locking is tested with a fake process manager whose
// deployer writes "start X" and "stop X" into the same log file the lock
// and unlock commands (real shell commands) append to, so one file shows
// the order of everything a switch did.

const fakePM = "locktest"

func init() { Register(fakeBackend{}) }

type fakeBackend struct{}

func (fakeBackend) Name() string               { return fakePM }
func (fakeBackend) Capabilities() Capabilities { return Capabilities{} }
func (fakeBackend) Translate(*Context, *agnostic.Process) (any, []Warning, error) {
	return nil, nil, nil
}
func (fakeBackend) Decode(*Context, *agnostic.Process, json.RawMessage) (any, error) {
	return nil, nil
}
func (fakeBackend) Render(*Context, []Translated, *ProfileWriter) error { return nil }
func (fakeBackend) Deployer(env *Env) (Deployer, error) {
	return &fakeDeployer{log: env.Options["log"], fail: env.Options["fail"]}, nil
}

type fakeDeployer struct {
	log  string
	fail string // a unit whose start fails
}

var logMu sync.Mutex

func appendLog(path, line string) error {
	logMu.Lock()
	defer logMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, line)
	return err
}

func (d *fakeDeployer) Units(p *Profile) ([]Unit, error) { return DefaultUnits(p), nil }
func (d *fakeDeployer) Start(_ context.Context, p *Profile, u Unit) error {
	if err := appendLog(d.log, "start "+u.Name); err != nil {
		return err
	}
	if u.Name == d.fail && filepath.Base(p.Path) == "new" {
		return fmt.Errorf("it crashed")
	}
	return nil
}
func (d *fakeDeployer) Stop(_ context.Context, p *Profile, u Unit) error {
	return appendLog(d.log, "stop "+u.Name)
}

// lockEnv is one test's deployment: a log, profiles and a state directory.
type lockEnv struct {
	t        *testing.T
	dir, log string
	profiles Profiles
	env      *Env
	stderr   bytes.Buffer
}

func newLockEnv(t *testing.T) *lockEnv {
	dir := t.TempDir()
	e := &lockEnv{t: t, dir: dir, log: filepath.Join(dir, "log"),
		profiles: Profiles{Dir: filepath.Join(dir, "profiles"), Name: "processes"}}
	e.env = &Env{Runner: cmdrun.Exec{}, Stdout: &e.stderr, Stderr: &e.stderr, Options: map[string]string{"log": e.log},
		ForceDisableUserChange: true}
	return e
}

// proc is a process of a fake profile; lock and unlock get "LOG" replaced
// by the log's path.
type proc struct {
	name, hash, lock, unlock string
	deps                     []string
}

// profile writes a fake profile directory named name.
func (e *lockEnv) profile(name string, procs ...proc) string {
	path := filepath.Join(e.dir, name)
	require.NoError(e.t, os.MkdirAll(filepath.Join(path, "nixproc"), 0o755))
	meta := ProfileMeta{ProcessManager: fakePM, ForceDisableUserChange: true,
		Dirs: agnostic.Dirs{StateDir: filepath.Join(e.dir, "state")}.Resolved()}
	for _, p := range procs {
		deps := p.deps
		if deps == nil {
			deps = []string{}
		}
		meta.Processes = append(meta.Processes, ProfileProcess{Name: p.name, Hash: p.hash, Dependencies: deps,
			Lock: strings.ReplaceAll(p.lock, "LOG", e.log), Unlock: strings.ReplaceAll(p.unlock, "LOG", e.log)})
	}
	data, err := json.Marshal(meta)
	require.NoError(e.t, err)
	require.NoError(e.t, os.WriteFile(filepath.Join(path, MetaFile), data, 0o644))
	return path
}

func (e *lockEnv) switchTo(path string, timeout time.Duration) error {
	os.Remove(e.log)
	return Switch(context.Background(), SwitchOptions{Env: e.env, Profiles: e.profiles, NewPath: path, LockTimeout: timeout})
}

func (e *lockEnv) logLines() []string {
	data, _ := os.ReadFile(e.log)
	return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(data)), " ", "_"))
}

func (e *lockEnv) generations() int {
	gens, err := e.profiles.List()
	require.NoError(e.t, err)
	return len(gens)
}

func locking(name string) proc {
	return proc{name: name, hash: "1", lock: "echo lock " + name + " >> LOG", unlock: "echo unlock " + name + " >> LOG"}
}

// The server behind a proxy restarts; the proxy (which does not restart)
// and a cache are locked first, front to back, before anything stops, and
// unlocked back to front after everything started and the generation is
// recorded.
func TestSwitchLocksRunningProcessesBeforeStoppingAndUnlocksAfter(t *testing.T) {
	e := newLockEnv(t)
	server := proc{name: "server", hash: "1"}
	proxy := locking("proxy")
	cache := locking("cache")
	require.NoError(t, e.switchTo(e.profile("old", server, proxy, cache), 0))
	assert.Equal(t, []string{"start_server", "start_proxy", "start_cache"}, e.logLines(), "a first deployment has nothing running to lock")

	server.hash = "2"
	require.NoError(t, e.switchTo(e.profile("new", server, proxy, cache), 0))
	assert.Equal(t, []string{
		"lock_cache", "lock_proxy", // reverse start order: the front door first
		"stop_server", "start_server",
		"unlock_proxy", "unlock_cache",
	}, e.logLines())
	assert.Equal(t, 2, e.generations())
}

// A switch that stops nothing (it only adds a process, or changes nothing)
// locks nothing.
func TestSwitchThatStopsNothingLocksNothing(t *testing.T) {
	e := newLockEnv(t)
	proxy := locking("proxy")
	require.NoError(t, e.switchTo(e.profile("one", proxy), 0))
	require.NoError(t, e.switchTo(e.profile("two", proxy, proc{name: "extra", hash: "1"}), 0))
	assert.Equal(t, []string{"start_extra"}, e.logLines())
	require.NoError(t, e.switchTo(e.profile("three", proxy, proc{name: "extra", hash: "1"}), 0))
	assert.Empty(t, e.logLines())
}

// A lock command that refuses aborts the switch before anything stops:
// what was locked is unlocked, the refusing process is not (its lock may be
// someone else's), no generation is added, and the error names the process
// and says why.
func TestSwitchAbortsWhenALockRefuses(t *testing.T) {
	e := newLockEnv(t)
	server := proc{name: "server", hash: "1"}
	proxy := locking("proxy")
	proxy.lock = "echo lock proxy >> LOG; echo 'proxy: already locked by another deployment' >&2; exit 3"
	cache := locking("cache")
	require.NoError(t, e.switchTo(e.profile("old", server, proxy, cache), 0))

	server.hash = "2"
	err := e.switchTo(e.profile("new", server, proxy, cache), 0)
	require.Error(t, err)
	assert.Equal(t, "cannot lock process proxy: its lock command failed (exit status 3): proxy: already locked by another deployment; the deployment was left as it was", err.Error())
	assert.Equal(t, []string{"lock_cache", "lock_proxy", "unlock_cache"}, e.logLines(), "nothing stopped, nothing started")
	assert.Equal(t, 1, e.generations())
	cur, _, _ := e.profiles.Current()
	assert.Equal(t, filepath.Join(e.dir, "old"), cur)
}

// A lock command still running at the timeout is stopped with SIGTERM (it
// gets to clean up), the process is unlocked since the lock may have got
// half-way, and the switch aborts with nothing changed.
func TestSwitchAbortsWhenALockTimesOut(t *testing.T) {
	e := newLockEnv(t)
	server := proc{name: "server", hash: "1"}
	proxy := locking("proxy")
	// sleep runs in the background, so the shell's trap runs as soon as
	// the signal comes; the sleep itself must go too (same process group).
	sleeper := fmt.Sprintf("1000.%d", time.Now().UnixNano()%1000000)
	proxy.lock = "trap 'echo lock-terminated proxy >> LOG; exit 1' TERM; echo lock proxy >> LOG; sleep " + sleeper + " & wait"
	require.NoError(t, e.switchTo(e.profile("old", server, proxy), 0))

	server.hash = "2"
	err := e.switchTo(e.profile("new", server, proxy), 300*time.Millisecond)
	require.Error(t, err)
	assert.Equal(t, "cannot lock process proxy: its lock command did not finish within 300ms (--lock-timeout); the deployment was left as it was", err.Error())
	assert.Equal(t, []string{"lock_proxy", "lock-terminated_proxy", "unlock_proxy"}, e.logLines())
	assert.Equal(t, 1, e.generations())
	deadline := time.Now().Add(10 * time.Second)
	for len(sleeping(sleeper)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	assert.Empty(t, sleeping(sleeper), "the timed-out lock command left its sleep running")
}

// A switch that fails and rolls back unlocks every locked process with its
// old unlock command: all of them run as before.
func TestSwitchUnlocksAfterRollback(t *testing.T) {
	e := newLockEnv(t)
	server := proc{name: "server", hash: "1"}
	proxy := locking("proxy")
	require.NoError(t, e.switchTo(e.profile("old", server, proxy), 0))

	server.hash = "2"
	newProxy := proxy
	newProxy.unlock = "echo new-unlock proxy >> LOG"
	e.env.Options["fail"] = "server"
	err := e.switchTo(e.profile("new", server, newProxy), 0)
	require.ErrorContains(t, err, "starting server failed: it crashed")
	assert.Equal(t, []string{
		"lock_proxy",
		"stop_server", "start_server", // the new server fails to start
		"stop_server", "start_server", // rollback: the old one is back
		"unlock_proxy",
	}, e.logLines())
	assert.Equal(t, 1, e.generations())
}

// A locked process that the switch restarts is unlocked with its new
// definition's command; one the switch removes is not unlocked at all.
func TestSwitchUnlocksRestartedProcessesWithTheirNewCommandAndSkipsRemovedOnes(t *testing.T) {
	e := newLockEnv(t)
	proxy := locking("proxy")
	gone := locking("gone")
	require.NoError(t, e.switchTo(e.profile("old", proxy, gone), 0))

	newProxy := proxy
	newProxy.hash, newProxy.unlock = "2", "echo new-unlock proxy >> LOG"
	require.NoError(t, e.switchTo(e.profile("new", newProxy), 0))
	assert.Equal(t, []string{"lock_gone", "lock_proxy", "stop_gone", "stop_proxy", "start_proxy", "new-unlock_proxy"}, e.logLines())
}

// An unlock that fails after a successful switch leaves the new
// deployment in place and recorded, and fails the command, naming the
// process: someone has to unlock it by hand.
func TestSwitchReportsAFailedUnlock(t *testing.T) {
	e := newLockEnv(t)
	server := proc{name: "server", hash: "1"}
	proxy := locking("proxy")
	proxy.unlock = "echo 'no such socket' >&2; exit 1"
	require.NoError(t, e.switchTo(e.profile("old", server, proxy), 0))
	server.hash = "2"
	err := e.switchTo(e.profile("new", server, proxy), 0)
	require.Error(t, err)
	assert.Equal(t, "the new deployment is in place, but cannot unlock process proxy: its unlock command failed (exit status 1): no such socket", err.Error())
	assert.Equal(t, 2, e.generations())
}

// With a recording runner (process managers that cannot run here) the lock
// commands are recorded as /bin/sh -c COMMAND, not run.
func TestLockCommandsGoThroughARecordingRunner(t *testing.T) {
	rec := &cmdrun.Recorder{}
	err := RunLockCommand(context.Background(), &Env{Runner: rec}, "proxy", "lock", "tcp-proxy lock -admin '/run/a b.sock'", 0)
	require.NoError(t, err)
	require.Len(t, rec.Calls, 1)
	assert.Equal(t, "/bin/sh", rec.Calls[0].Path)
	assert.Equal(t, []string{"-c", "tcp-proxy lock -admin '/run/a b.sock'"}, rec.Calls[0].Args)
}

// sleeping lists the live processes running "sleep <arg>".
func sleeping(arg string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, ent := range entries {
		var pid int
		if _, err := fmt.Sscanf(ent.Name(), "%d", &pid); err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		parts := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(parts) != 2 || filepath.Base(parts[0]) != "sleep" || parts[1] != arg {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue // dead, not yet reaped
		}
		out = append(out, pid)
	}
	return out
}

// LockAll and UnlockAll, which the Dysnomia modules use, lock and unlock
// in the switch's order; a failed LockAll unlocks what it locked.
func TestLockAllAndUnlockAll(t *testing.T) {
	e := newLockEnv(t)
	units := func(procs ...proc) []Unit {
		var out []Unit
		for _, p := range procs {
			out = append(out, Unit{Name: p.name, Lock: strings.ReplaceAll(p.lock, "LOG", e.log), Unlock: strings.ReplaceAll(p.unlock, "LOG", e.log)})
		}
		return out
	}
	server, proxy := locking("server"), locking("proxy")
	ctx := context.Background()
	require.NoError(t, LockAll(ctx, e.env, units(server, proc{name: "plain"}, proxy), 0))
	require.NoError(t, UnlockAll(ctx, e.env, units(server, proc{name: "plain"}, proxy), 0))
	assert.Equal(t, []string{"lock_proxy", "lock_server", "unlock_server", "unlock_proxy"}, e.logLines())

	os.Remove(e.log)
	server.lock = "echo busy >&2; exit 1"
	err := LockAll(ctx, e.env, units(server, proxy), 0)
	assert.EqualError(t, err, "cannot lock process server: its lock command failed (exit status 1): busy")
	assert.Equal(t, []string{"lock_proxy", "unlock_proxy"}, e.logLines())
}
