package fgproxy

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// These tests run generated proxies with real bash against real processes.
// Every daemon is a private copy of sleep ($D/sleeper) inside the test's
// temp directory, so the cleanup finds and kills whatever a test left.

// programs are test programs written to $D/<name>; the first argument of the
// daemons is their PID file.
var programs = map[string]string{
	// Daemonizes: forks a long-running child in its own session, records
	// its PID and exits 0.
	"daemon": `setsid "$D/sleeper" 1000 </dev/null >/dev/null 2>&1 &
echo $! >"$1"`,
	// Daemonizes a child that lives a moment, then dies by itself.
	"shortlived": `setsid "$D/sleeper" 1 </dev/null >/dev/null 2>&1 &
echo $! >"$1"`,
	// Daemonizes a child that ignores TERM.
	"stubborn": `setsid bash -c 'trap "" TERM; exec "$0" 1000' "$D/sleeper" </dev/null >/dev/null 2>&1 &
echo $! >"$1"`,
	// Daemonizes a child that appends a line to $D/signals per HUP or USR1.
	"hupper": `setsid bash -c 'trap "echo hup >>\"\$0\"" HUP; trap "echo usr1 >>\"\$0\"" USR1; while :; do "$1" 0.05; done' "$D/signals" "$D/sleeper" </dev/null >/dev/null 2>&1 &
echo $! >"$1"`,
	// Takes a while before it writes its PID file.
	"slow": `setsid bash -c '"$0" 1; echo $$ >"$1"; exec "$0" 1000' "$D/sleeper" "$1" </dev/null >/dev/null 2>&1 &`,
	// Writes its PID file in two steps, as a careless daemon might.
	"halfwriter": `setsid "$D/sleeper" 1000 </dev/null >/dev/null 2>&1 &
pid=$!
printf '%s' "${pid:0:1}" >"$1"; "$D/sleeper" 0.5; printf '%s\n' "$pid" >"$1"`,
	// Fails before daemonizing.
	"failing": `echo "cannot start" >&2; exit 3`,
	// Exits 0 without writing a PID file.
	"silent": `exit 0`,
	// Stays in the foreground and reports what it got: arguments and
	// environment NUL-separated, working directory, umask, niceness, uid.
	"reporter": `printf '%s\0' "$@" >"$D/args"
env -0 >"$D/env"
pwd >"$D/pwd"
umask >"$D/umask"
read -r stat </proc/$$/stat; set -- ${stat##*) }; echo "${17}" >"$D/nice"
id -u >"$D/uid"`,
}

type proxyEnv struct {
	t   *testing.T
	dir string
}

func newProxyEnv(t *testing.T) *proxyEnv {
	t.Helper()
	backendtest.Require(t, "bash", "setsid")
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	bin, err := os.ReadFile(sleep)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sleeper"), bin, 0o755))
	for name, body := range programs {
		script := "#!/bin/bash\nD=" + strconv.Quote(dir) + "\n" + body + "\n"
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755))
	}
	t.Cleanup(func() { killUnder(dir) })
	return &proxyEnv{t: t, dir: dir}
}

func (e *proxyEnv) path(name string) string { return filepath.Join(e.dir, name) }

// write renders a proxy into an executable file.
func (e *proxyEnv) write(s Spec) string {
	e.t.Helper()
	script, err := Render(s)
	require.NoError(e.t, err)
	file := filepath.Join(e.dir, "profile", s.Name+"-foregroundproxy.sh")
	require.NoError(e.t, os.MkdirAll(filepath.Dir(file), 0o755))
	require.NoError(e.t, os.WriteFile(file, []byte(script), 0o755))
	return file
}

// running is a started proxy.
type running struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

func (e *proxyEnv) start(script string, args ...string) *running {
	e.t.Helper()
	cmd := exec.Command(script, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r := &running{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = r.stderr
	require.NoError(e.t, cmd.Start())
	go func() { r.err = cmd.Wait(); close(r.done) }()
	e.t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
	})
	return r
}

// exitCode waits for the proxy to exit and returns its status.
func (r *running) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the proxy did not exit; stderr: %s", r.stderr)
	}
	var ee *exec.ExitError
	if errors.As(r.err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(t, r.err)
	return 0
}

func (r *running) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (e *proxyEnv) waitPID(file string) int {
	e.t.Helper()
	var pid int
	backendtest.WaitFor(e.t, 20*time.Second, "PID file "+file, func() error {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		if err == nil && !alive(pid) {
			return fmt.Errorf("process %d is not alive", pid)
		}
		return err
	})
	return pid
}

func (e *proxyEnv) daemonSpec(program string) Spec {
	return Spec{Name: program, Executable: e.path(program), Args: []string{e.path(program + ".pid")}, Daemon: true, PIDFile: e.path(program + ".pid")}
}

func TestDaemonStopsWithTheProxy(t *testing.T) {
	e := newProxyEnv(t)
	r := e.start(e.write(e.daemonSpec("daemon")))
	pid := e.waitPID(e.path("daemon.pid"))
	time.Sleep(300 * time.Millisecond)
	require.False(t, r.exited(), "the proxy stays in the foreground while the daemon runs: %s", r.stderr)

	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, r.exitCode(t), "a stop asked for is a success: %s", r.stderr)
	assert.False(t, alive(pid), "TERM to the proxy stops the daemon")
	assert.Empty(t, e.sleepers())
	assert.NoFileExists(t, e.path("daemon.pid"), "no stale PID file is left")
}

func TestDaemonStopsWhenTheProcessGroupIsSignalled(t *testing.T) {
	// supervisord's stopasgroup signals the proxy's whole process group; the
	// daemon is in a session of its own and still has to stop.
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			e := newProxyEnv(t)
			r := e.start(e.write(e.daemonSpec("daemon")))
			pid := e.waitPID(e.path("daemon.pid"))
			require.NoError(t, syscall.Kill(-r.cmd.Process.Pid, sig))
			assert.Equal(t, 0, r.exitCode(t), r.stderr.String())
			assert.False(t, alive(pid))
			assert.Empty(t, e.sleepers())
		})
	}
}

func TestProxyFailsWhenTheDaemonDies(t *testing.T) {
	e := newProxyEnv(t)
	r := e.start(e.write(e.daemonSpec("shortlived")))
	code := r.exitCode(t)
	assert.NotEqual(t, 0, code, "a daemon that dies by itself makes the proxy fail")
	assert.Regexp(t, `shortlived: daemon process \d+ exited`, r.stderr.String())
	assert.Empty(t, e.sleepers())
}

func TestSignalsArePassedOn(t *testing.T) {
	e := newProxyEnv(t)
	r := e.start(e.write(e.daemonSpec("hupper")))
	pid := e.waitPID(e.path("hupper.pid"))
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(e.path("signals"))
		return string(b) == "hup\n"
	}, 10*time.Second, 50*time.Millisecond, "the daemon got HUP")
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGUSR1))
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(e.path("signals"))
		return string(b) == "hup\nusr1\n"
	}, 10*time.Second, 50*time.Millisecond, "the daemon got USR1")
	assert.False(t, r.exited(), "HUP and USR1 do not stop the proxy")
	assert.True(t, alive(pid))
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, r.exitCode(t))
	assert.False(t, alive(pid))
}

func TestDaemonThatIgnoresTERMIsKilled(t *testing.T) {
	e := newProxyEnv(t)
	s := e.daemonSpec("stubborn")
	s.StopTimeout = 1
	r := e.start(e.write(s))
	pid := e.waitPID(e.path("stubborn.pid"))
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, r.exitCode(t))
	assert.False(t, alive(pid))
	assert.Contains(t, r.stderr.String(), "did not stop within 1s of TERM; killing it")
}

func TestStopWhileTheDaemonStarts(t *testing.T) {
	e := newProxyEnv(t)
	r := e.start(e.write(e.daemonSpec("slow")))
	time.Sleep(300 * time.Millisecond) // the PID file comes after 1s
	require.NoFileExists(t, e.path("slow.pid"))
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, r.exitCode(t), r.stderr.String())
	assert.Empty(t, e.sleepers(), "the daemon that came up after the stop request is stopped too")
}

func TestHalfWrittenPIDFile(t *testing.T) {
	e := newProxyEnv(t)
	r := e.start(e.write(e.daemonSpec("halfwriter")))
	backendtest.WaitFor(t, 20*time.Second, "the full PID file", func() error {
		b, _ := os.ReadFile(e.path("halfwriter.pid"))
		if !strings.HasSuffix(string(b), "\n") {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	pid := e.waitPID(e.path("halfwriter.pid"))
	time.Sleep(300 * time.Millisecond)
	require.False(t, r.exited(), "the proxy follows the daemon, not the first digit: %s", r.stderr)
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, r.exitCode(t))
	assert.False(t, alive(pid))
}

func TestStalePIDFileIsReplaced(t *testing.T) {
	e := newProxyEnv(t)
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	require.NoError(t, os.WriteFile(e.path("daemon.pid"), []byte(strconv.Itoa(dead.ProcessState.Pid())+"\n"), 0o644))
	r := e.start(e.write(e.daemonSpec("daemon")))
	pid := e.waitPID(e.path("daemon.pid"))
	assert.NotEqual(t, dead.ProcessState.Pid(), pid)
	time.Sleep(300 * time.Millisecond)
	require.False(t, r.exited(), r.stderr.String())
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, r.exitCode(t))
	assert.Empty(t, e.sleepers())
}

func TestLiveDaemonIsNotStartedTwice(t *testing.T) {
	e := newProxyEnv(t)
	first := e.start(e.write(e.daemonSpec("daemon")))
	pid := e.waitPID(e.path("daemon.pid"))
	second := e.start(e.write(e.daemonSpec("daemon")))
	assert.Equal(t, 1, second.exitCode(t))
	assert.Contains(t, second.stderr.String(), fmt.Sprintf("daemon: already running as process %d (PID file %s)", pid, e.path("daemon.pid")))
	assert.Equal(t, []int{pid}, e.sleepers())
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, first.exitCode(t))
}

func TestStartFailures(t *testing.T) {
	tests := []struct {
		program string
		stderr  string
	}{
		{"failing", "failing: " + "%D/failing failed with exit status 3"},
		{"silent", "silent: %D/silent wrote no PID file %D/silent.pid naming a live process within 1s"},
	}
	for _, tc := range tests {
		t.Run(tc.program, func(t *testing.T) {
			e := newProxyEnv(t)
			s := e.daemonSpec(tc.program)
			s.StartTimeout = 1
			r := e.start(e.write(s))
			assert.NotEqual(t, 0, r.exitCode(t))
			assert.Contains(t, r.stderr.String(), strings.ReplaceAll(tc.stderr, "%D", e.dir))
		})
	}
}

func TestInitializeFailure(t *testing.T) {
	e := newProxyEnv(t)
	s := e.daemonSpec("daemon")
	s.Initialize = "echo preparing\nfalse\necho never"
	r := e.start(e.write(s))
	assert.Equal(t, 1, r.exitCode(t))
	assert.Contains(t, r.stderr.String(), "daemon: initialize failed (exit status 1)")
	assert.NoFileExists(t, e.path("daemon.pid"))
}

// tricky values: every byte a shell could mangle.
var tricky = []string{"with space", `"double"`, "it's", "$HOME", "`date`", "100%", `back\slash`, "semi;colon", "#hash", "new\nline", "tab\there", "ünïcödé ☃", "", "-n"}

func TestPlainModeSetsUpAndExecs(t *testing.T) {
	e := newProxyEnv(t)
	work := e.path("work dir")
	require.NoError(t, os.Mkdir(work, 0o755))
	nice := 5
	env := map[string]string{"TRICKY": strings.Join(tricky, "|"), "EMPTY": ""}
	s := Spec{
		Name: "reporter", Executable: e.path("reporter"), Args: tricky,
		Initialize: "echo initialized >\"$D_INIT\"",
		Directory:  work, Umask: "0027", Nice: &nice, Environment: env,
		Path: []string{e.path("pkg")},
	}
	script := e.write(s)
	cmd := exec.Command(script, "extra arg")
	cmd.Env = append(os.Environ(), "D_INIT="+e.path("init"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))

	args, err := os.ReadFile(e.path("args"))
	require.NoError(t, err)
	want := strings.Join(append(append([]string{}, tricky...), "extra arg"), "\x00") + "\x00"
	assert.Equal(t, want, string(args), "arguments arrive byte for byte, extra ones last")
	envRaw, err := os.ReadFile(e.path("env"))
	require.NoError(t, err)
	vars := strings.Split(string(envRaw), "\x00")
	assert.Contains(t, vars, "TRICKY="+env["TRICKY"])
	assert.Contains(t, vars, "EMPTY=")
	assert.Contains(t, vars, "PATH="+e.path("pkg")+"/bin:"+os.Getenv("PATH"), "path goes before the inherited PATH")
	for file, want := range map[string]string{"pwd": work + "\n", "umask": "0027\n", "nice": "5\n", "init": "initialized\n"} {
		got, err := os.ReadFile(e.path(file))
		require.NoError(t, err)
		assert.Equal(t, want, string(got), file)
	}
	assert.Empty(t, psChildren(cmd.Process.Pid), "exec leaves no proxy shell behind")
}

func TestDaemonModeAppliesDirectoryUmaskNice(t *testing.T) {
	e := newProxyEnv(t)
	nice := 3
	s := e.daemonSpec("daemon")
	s.Directory, s.Umask, s.Nice = e.dir, "077", &nice
	s.Initialize = "touch " + e.path("init-ran")
	r := e.start(e.write(s), "ignored-extra-arg")
	pid := e.waitPID(e.path("daemon.pid"))
	st := procStat(pid)
	require.Greater(t, len(st), 16)
	assert.Equal(t, "3", st[16], "the daemon runs with the niceness")
	info, err := os.Stat(e.path("daemon.pid"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the daemon runs with the umask")
	_, err = os.Stat(filepath.Join(e.dir, "init-ran"))
	assert.NoError(t, err)
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, r.exitCode(t))
}

func TestUserSwitch(t *testing.T) {
	backendtest.RequireRoot(t)
	backendtest.Require(t, "setpriv")
	e := newProxyEnv(t)
	s := Spec{Name: "reporter", Executable: e.path("reporter"), User: "nobody", Initialize: "id -u >\"$0.init-uid\""}
	script := e.write(s)
	require.NoError(t, os.Chmod(e.dir, 0o777))
	require.NoError(t, os.Chmod(filepath.Dir(e.dir), 0o755))
	out, err := exec.Command(script).CombinedOutput()
	require.NoError(t, err, string(out))
	uid, _ := os.ReadFile(e.path("uid"))
	assert.Equal(t, "65534\n", string(uid), "the program runs as the user")
	initUID, _ := os.ReadFile(script + ".init-uid")
	assert.Equal(t, "0\n", string(initUID), "initialize runs as the caller")

	s = e.daemonSpec("daemon")
	s.User = "nobody"
	r := e.start(e.write(s))
	pid := e.waitPID(e.path("daemon.pid"))
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	assert.Regexp(t, `(?m)^Uid:\s+65534\s`, string(status))
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, r.exitCode(t))
	assert.False(t, alive(pid))
}

func TestUnknownUser(t *testing.T) {
	e := newProxyEnv(t)
	s := Spec{Name: "reporter", Executable: e.path("reporter"), User: "no-such-user-nixproc"}
	out, err := exec.Command(e.write(s)).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "reporter: user no-such-user-nixproc does not exist")
}

func TestShellcheckAcceptsProxies(t *testing.T) {
	backendtest.Require(t, "shellcheck")
	nice := -2
	specs := map[string]Spec{
		"daemon": {Name: "d", Executable: "/bin/d", Args: tricky, Daemon: true, PIDFile: "/run/d.pid", Initialize: "mkdir -p /var/lib/d", Directory: "/var/lib/d", Umask: "022", Nice: &nice, User: "d", Environment: map[string]string{"A": "$x"}},
		"plain":  {Name: "p", Executable: "/bin/p", Args: tricky, Initialize: "mkdir -p /var/lib/p", Directory: "/var/lib/p", Umask: "022", Nice: &nice, User: "p"},
		"bare":   {Name: "b", Executable: "/bin/b"},
	}
	for name, s := range specs {
		t.Run(name, func(t *testing.T) {
			script, err := Render(s)
			require.NoError(t, err)
			file := filepath.Join(t.TempDir(), name)
			require.NoError(t, os.WriteFile(file, []byte(script), 0o755))
			out, err := exec.Command("shellcheck", file).CombinedOutput()
			assert.NoError(t, err)
			assert.Empty(t, string(out))
		})
	}
}

func TestCheckNamesTheField(t *testing.T) {
	nice := 40
	tests := map[string]struct {
		spec Spec
		err  string
	}{
		"relative":    {Spec{Executable: "bin/x"}, `program "bin/x" must be an absolute path`},
		"no pid file": {Spec{Executable: "/bin/x", Daemon: true}, "pidFile: a daemon needs a PID file"},
		"umask":       {Spec{Executable: "/bin/x", Umask: "999"}, `umask "999" is not an octal mask`},
		"nice":        {Spec{Executable: "/bin/x", Nice: &nice}, "nice 40 is not between -20 and 19"},
		"nul arg":     {Spec{Executable: "/bin/x", Args: []string{"a", "b\x00"}}, "args[1] contains a NUL byte"},
		"env name":    {Spec{Executable: "/bin/x", Environment: map[string]string{"A-B": "x"}}, `environment variable name "A-B"`},
		"nul env":     {Spec{Executable: "/bin/x", Environment: map[string]string{"A": "\x00"}}, "environment.A contains a NUL byte"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Render(tc.spec)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}

func TestPIDFileRules(t *testing.T) {
	dirs := backendsDirs("/srv/state")
	assert.Equal(t, "/x.pid", PIDFile(dirs, "", "i", "/x.pid", "/bin/d"))
	assert.Equal(t, "/srv/state/run/i.pid", PIDFile(dirs, "", "i", "", "/bin/d"))
	assert.Equal(t, "/srv/state/tmp/i.pid", PIDFile(dirs, "u", "i", "", "/bin/d"))
	assert.Equal(t, "/srv/state/run/d.pid", PIDFile(dirs, "", "", "", "/bin/d"))
}
