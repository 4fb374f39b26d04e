package templates

import (
	"bytes"
	"context"
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
)

// These tests run the init functions with real bash against real processes.
// Every daemon runs a private copy of sleep ($SLEEPER) inside the test's temp
// directory, so the cleanup can find and kill whatever a test left behind.

// daemonScripts are test programs written to $D/<name>; $1 is the PID file.
var daemonScripts = map[string]string{
	// Forks a long-running child, records its PID and exits 0.
	"daemon": `setsid "$SLEEPER" 1000 </dev/null >/dev/null 2>&1 &
echo $! >"$1"`,
	// Forks a child that dies at once.
	"crasher": `setsid false </dev/null >/dev/null 2>&1 &
echo $! >"$1"`,
	// Forks a child that lives long enough to be seen, then dies.
	"shortlived": `setsid "$SLEEPER" 0.1 </dev/null >/dev/null 2>&1 &
echo $! >"$1"`,
	// Forks a child that ignores TERM (the ignore survives exec).
	"stubborn": `setsid bash -c 'trap "" TERM; exec "$0" 1000' "$SLEEPER" </dev/null >/dev/null 2>&1 &
echo $! >"$1"`,
	// Forks a child that appends a line to $D/hups on every HUP.
	"hupper": `setsid bash -c 'trap "echo hup >>\"\$0\"" HUP; while :; do sleep 0.1; done' "$D/hups" </dev/null >/dev/null 2>&1 &
echo $! >"$1"`,
	// Exits with a failure before doing anything.
	"failing": `exit 3`,
	// Exits 0 without ever writing its PID file.
	"silent": `exit 0`,
}

type initEnv struct {
	t       *testing.T
	dir     string // $D
	lib     string
	rundir  string // $NIXPROC_RUNTIME_DIR
	sleeper string // $SLEEPER
}

type shResult struct {
	stdout, stderr string
	code           int
}

func newInitEnv(t *testing.T) *initEnv {
	t.Helper()
	dir := t.TempDir()
	e := &initEnv{
		t:       t,
		dir:     dir,
		lib:     filepath.Join(dir, "init-functions.sh"),
		rundir:  filepath.Join(dir, "run"),
		sleeper: filepath.Join(dir, "sleeper"),
	}
	require.NoError(t, os.WriteFile(e.lib, []byte(SysvinitInitFunctions), 0o644))
	require.NoError(t, os.Mkdir(e.rundir, 0o755))
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	bin, err := os.ReadFile(sleep)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(e.sleeper, bin, 0o755))
	for name, body := range daemonScripts {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/bash\n"+body+"\n"), 0o755))
	}
	t.Cleanup(func() { killUnder(dir) })
	return e
}

// sh runs script in bash after sourcing the library, with $D, $SLEEPER and
// NIXPROC_RUNTIME_DIR set, plus extra VAR=value pairs.
func (e *initEnv) sh(script string, extra ...string) shResult {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", ". \"$D/init-functions.sh\"\n"+script)
	cmd.Env = append(os.Environ(), "D="+e.dir, "SLEEPER="+e.sleeper, "NIXPROC_RUNTIME_DIR="+e.rundir)
	cmd.Env = append(cmd.Env, extra...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := shResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		res.code = exitErr.ExitCode()
	} else {
		require.NoError(e.t, err, "bash: %s", res.stderr)
	}
	return res
}

func (e *initEnv) path(name string) string { return filepath.Join(e.dir, name) }

// pidIn reads the PID recorded in a PID file.
func (e *initEnv) pidIn(file string) int {
	e.t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(e.t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(e.t, err)
	return pid
}

// sleepers lists the live processes running this test's copy of sleep.
func (e *initEnv) sleepers() []int {
	var pids []int
	for _, pid := range procPIDs() {
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && exe == e.sleeper && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func procPIDs() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, ent := range entries {
		if pid, err := strconv.Atoi(ent.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// procStat returns the fields of /proc/PID/stat after the command name,
// starting with the state.
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

// alive reports whether pid is a live process; zombies are dead.
func alive(pid int) bool {
	st := procStat(pid)
	return len(st) > 0 && st[0] != "Z" && st[0] != "X"
}

// killUnder kills every process whose executable or command line names a
// file under dir.
func killUnder(dir string) {
	for _, pid := range procPIDs() {
		if pid == os.Getpid() {
			continue
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.HasPrefix(exe, dir+"/") || bytes.Contains(cmdline, []byte(dir+"/")) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// deadPID returns the PID of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	return cmd.ProcessState.Pid()
}

func TestLogInfoMsgAndEvaluateRetval(t *testing.T) {
	e := newInitEnv(t)
	for _, status := range []int{0, 1, 3, 7} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			res := e.sh(fmt.Sprintf("log_info_msg 'Doing it...'; (exit %d); evaluate_retval", status))
			assert.Equal(t, status, res.code, "evaluate_retval returns the status it reports")
			want := "Doing it... [ OK ]\n"
			if status != 0 {
				want = "Doing it... [ FAIL ]\n"
			}
			assert.Equal(t, want, res.stdout)
		})
	}
}

func TestStartDaemonLifecycle(t *testing.T) {
	e := newInitEnv(t)
	pidfile := e.path("daemon.pid")

	res := e.sh(`start_daemon -p "$D/daemon.pid" "$D/daemon" "$D/daemon.pid"`)
	require.Equal(t, 0, res.code, res.stderr)
	pid := e.pidIn(pidfile)
	require.True(t, alive(pid))
	assert.Equal(t, []int{pid}, e.sleepers())

	res = e.sh(`statusproc -p "$D/daemon.pid" "$D/daemon"`)
	assert.Equal(t, 0, res.code)
	assert.Equal(t, fmt.Sprintf("daemon is running with Process ID(s) %d.\n", pid), res.stdout)

	res = e.sh(`pidofproc -p "$D/daemon.pid" "$D/daemon"`)
	assert.Equal(t, 0, res.code)
	assert.Equal(t, fmt.Sprintf("%d\n", pid), res.stdout)

	// Starting again without -f is a no-op.
	res = e.sh(`start_daemon -p "$D/daemon.pid" "$D/daemon" "$D/daemon.pid"`)
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, pid, e.pidIn(pidfile))
	assert.Equal(t, []int{pid}, e.sleepers(), "a second start must not start a second process")

	res = e.sh(`killproc -p "$D/daemon.pid" "$D/daemon"`)
	assert.Equal(t, 0, res.code, res.stderr)
	assert.False(t, alive(pid))
	assert.Empty(t, e.sleepers())
	assert.NoFileExists(t, pidfile)

	res = e.sh(`statusproc -p "$D/daemon.pid" "$D/daemon"`)
	assert.Equal(t, 3, res.code)
	assert.Equal(t, "daemon is not running.\n", res.stdout)

	res = e.sh(`killproc -p "$D/daemon.pid" "$D/daemon"`)
	assert.Equal(t, 0, res.code, "stopping a stopped process succeeds")
	for _, sig := range []string{"-HUP", "HUP"} {
		res = e.sh(`killproc -p "$D/daemon.pid" "$D/daemon" ` + sig)
		assert.Equal(t, 7, res.code, "signalling a stopped process with %s", sig)
	}
}

func TestStartDaemonForceStartsAnotherInstance(t *testing.T) {
	e := newInitEnv(t)
	res := e.sh(`start_daemon -p "$D/daemon.pid" "$D/daemon" "$D/daemon.pid" &&
start_daemon -f -p "$D/daemon.pid" "$D/daemon" "$D/daemon.pid"`)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Len(t, e.sleepers(), 2)
}

func TestStartDaemonFailures(t *testing.T) {
	tests := []struct {
		name   string
		script string
		code   int
		stderr string
	}{
		{"program exits non-zero", `start_daemon -p "$D/p.pid" "$D/failing" "$D/p.pid"`, 1, ""},
		{"child dies at once", `start_daemon -p "$D/p.pid" "$D/crasher" "$D/p.pid"`, 1, "start_daemon:"},
		{"child dies while settling", `start_daemon -p "$D/p.pid" "$D/shortlived" "$D/p.pid"`, 1, "start_daemon:"},
		{"PID file never written", `start_daemon -p "$D/p.pid" "$D/silent" "$D/p.pid"`, 1, "names no live process after 1s"},
		{"missing program", `start_daemon -p "$D/p.pid" "$D/nonexistent"`, 5, "not an executable file"},
		{"program not executable", `start_daemon -p "$D/p.pid" "$D/init-functions.sh"`, 5, "not an executable file"},
		{"directory as program", `start_daemon "$D"`, 5, "not an executable file"},
		{"no program", `start_daemon`, 5, "not an executable file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newInitEnv(t)
			res := e.sh(tc.script, "NIXPROC_START_TIMEOUT=1", "NIXPROC_START_SETTLE=0.5")
			assert.Equal(t, tc.code, res.code, res.stderr)
			assert.Contains(t, res.stderr, tc.stderr)
		})
	}
}

func TestStartDaemonReplacesStalePIDFile(t *testing.T) {
	tests := map[string]string{
		"dead process": strconv.Itoa(deadPID(t)) + "\n",
		"not a number": "garbage\n",
		"empty":        "",
		"zero":         "0\n",
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			e := newInitEnv(t)
			pidfile := e.path("daemon.pid")
			require.NoError(t, os.WriteFile(pidfile, []byte(content), 0o644))

			res := e.sh(`statusproc -p "$D/daemon.pid" "$D/daemon"`)
			assert.Equal(t, 1, res.code, "dead, but the PID file exists")
			assert.Contains(t, res.stdout, "daemon is not running")

			res = e.sh(`start_daemon -p "$D/daemon.pid" "$D/daemon" "$D/daemon.pid"`)
			require.Equal(t, 0, res.code, res.stderr)
			pid := e.pidIn(pidfile)
			assert.True(t, alive(pid))
			assert.Equal(t, []int{pid}, e.sleepers())
		})
	}
}

func TestKillprocKillsProcessThatIgnoresTERM(t *testing.T) {
	e := newInitEnv(t)
	pidfile := e.path("stubborn.pid")
	res := e.sh(`start_daemon -p "$D/stubborn.pid" "$D/stubborn" "$D/stubborn.pid"`)
	require.Equal(t, 0, res.code, res.stderr)
	pid := e.pidIn(pidfile)

	// Precondition: TERM alone does not stop it.
	require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
	time.Sleep(200 * time.Millisecond)
	require.True(t, alive(pid), "the test daemon must ignore TERM")

	res = e.sh(`killproc -p "$D/stubborn.pid" "$D/stubborn"`, "NIXPROC_STOP_TIMEOUT=1")
	assert.Equal(t, 0, res.code, res.stderr)
	assert.False(t, alive(pid))
	assert.NoFileExists(t, pidfile)
}

func TestKillprocSendsSignalToRunningProcess(t *testing.T) {
	e := newInitEnv(t)
	pidfile := e.path("hupper.pid")
	res := e.sh(`start_daemon -p "$D/hupper.pid" "$D/hupper" "$D/hupper.pid"`)
	require.Equal(t, 0, res.code, res.stderr)
	pid := e.pidIn(pidfile)

	res = e.sh(`killproc -p "$D/hupper.pid" "$D/hupper" -HUP`)
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Eventually(t, func() bool {
		b, _ := os.ReadFile(e.path("hups"))
		return string(b) == "hup\n"
	}, 5*time.Second, 50*time.Millisecond, "the process received HUP")
	assert.True(t, alive(pid), "a signal other than TERM does not stop it")
	assert.FileExists(t, pidfile, "sending a signal keeps the PID file")

	res = e.sh(`killproc -p "$D/hupper.pid" "$D/hupper"`)
	assert.Equal(t, 0, res.code, res.stderr)
	assert.False(t, alive(pid))
}

func TestConventionalPIDFileInRuntimeDir(t *testing.T) {
	e := newInitEnv(t)
	pidfile := filepath.Join(e.rundir, "daemon.pid")
	res := e.sh(`start_daemon -p "$NIXPROC_RUNTIME_DIR/daemon.pid" "$D/daemon" "$NIXPROC_RUNTIME_DIR/daemon.pid"`)
	require.Equal(t, 0, res.code, res.stderr)
	pid := e.pidIn(pidfile)

	res = e.sh(`statusproc "$D/daemon"`)
	assert.Equal(t, 0, res.code)
	assert.Equal(t, fmt.Sprintf("daemon is running with Process ID(s) %d.\n", pid), res.stdout)

	res = e.sh(`start_daemon "$D/daemon" "$NIXPROC_RUNTIME_DIR/daemon.pid"`)
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, []int{pid}, e.sleepers(), "found through the conventional PID file")

	res = e.sh(`killproc "$D/daemon"`)
	assert.Equal(t, 0, res.code, res.stderr)
	assert.False(t, alive(pid))
	assert.NoFileExists(t, pidfile)
}

func TestPidofprocScansProcWithoutPIDFile(t *testing.T) {
	e := newInitEnv(t)
	cmd := exec.Command(e.sleeper, "1000")
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	pid := cmd.Process.Pid
	require.NoError(t, os.Symlink(e.sleeper, e.path("sleeper-link")))

	for _, prog := range []string{`"$SLEEPER"`, `"$D/sleeper-link"`} {
		res := e.sh(`pidofproc ` + prog)
		assert.Equal(t, 0, res.code, prog)
		assert.Equal(t, fmt.Sprintf("%d\n", pid), res.stdout, prog)
	}

	// Another copy of the same program is a different executable.
	other := e.path("other-sleeper")
	bin, err := os.ReadFile(e.sleeper)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(other, bin, 0o755))
	res := e.sh(`pidofproc "$D/other-sleeper"`)
	assert.Equal(t, 3, res.code)
	assert.Empty(t, res.stdout)

	res = e.sh(`killproc "$SLEEPER"`)
	assert.Equal(t, 0, res.code, res.stderr)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("killproc without a PID file did not stop the process")
	}
	res = e.sh(`statusproc "$SLEEPER"`)
	assert.Equal(t, 3, res.code)
	assert.Equal(t, "sleeper is not running.\n", res.stdout)
}

func TestStartDaemonAppliesNice(t *testing.T) {
	e := newInitEnv(t)
	res := e.sh(`start_daemon -n 7 -p "$D/daemon.pid" "$D/daemon" "$D/daemon.pid"`)
	require.Equal(t, 0, res.code, res.stderr)
	st := procStat(e.pidIn(e.path("daemon.pid")))
	require.Greater(t, len(st), 16)
	assert.Equal(t, "7", st[16], "field 19 of /proc/PID/stat is the nice value")
}

func TestFunctionsWorkUnderSetEU(t *testing.T) {
	e := newInitEnv(t)
	res := e.sh(`set -eu
start_daemon -p "$D/daemon.pid" "$D/daemon" "$D/daemon.pid"
start_daemon -p "$D/daemon.pid" "$D/daemon" "$D/daemon.pid"
statusproc -p "$D/daemon.pid" "$D/daemon" >/dev/null
killproc -p "$D/daemon.pid" "$D/daemon"
killproc -p "$D/daemon.pid" "$D/daemon"
rc=0; statusproc -p "$D/daemon.pid" "$D/daemon" >/dev/null || rc=$?
echo "done $rc"`)
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "done 3\n", res.stdout)
	assert.Empty(t, e.sleepers())
}

func TestUsageErrors(t *testing.T) {
	e := newInitEnv(t)
	tests := map[string]int{
		`pidofproc`:                       2,
		`pidofproc a b`:                   2,
		`pidofproc -p`:                    2,
		`killproc`:                        2,
		`killproc a HUP extra`:            2,
		`statusproc`:                      4,
		`start_daemon -p`:                 2,
		`start_daemon -n 5 -p "$D/x.pid"`: 5,
	}
	for script, code := range tests {
		assert.Equal(t, code, e.sh(script).code, script)
	}
}

func TestShellcheckAcceptsInitFunctions(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("shellcheck is not installed (apt-get install shellcheck)")
		}
		t.Skip("shellcheck is not installed")
	}
	script := "#!/bin/bash\n\n" + SysvinitInitFunctions + `
case "$1" in
  start)
    log_info_msg "Starting demo..."
    start_daemon -n 5 -p /run/demo.pid /usr/bin/demo --daemon
    evaluate_retval
    ;;
  stop)
    log_info_msg "Stopping demo..."
    killproc -p /run/demo.pid /usr/bin/demo
    evaluate_retval
    ;;
  reload)
    killproc /usr/bin/demo -HUP
    evaluate_retval
    ;;
  pid)
    pidofproc /usr/bin/demo
    ;;
  status)
    statusproc -p /run/demo.pid /usr/bin/demo
    ;;
esac
`
	file := filepath.Join(t.TempDir(), "demo")
	require.NoError(t, os.WriteFile(file, []byte(script), 0o755))
	out, err := exec.Command("shellcheck", "-s", "bash", file).CombinedOutput()
	assert.NoError(t, err)
	assert.Empty(t, string(out))
}

func TestInitFunctionsShape(t *testing.T) {
	assert.False(t, strings.HasPrefix(SysvinitInitFunctions, "#!"), "inlined text must not carry a shebang")
	assert.True(t, strings.HasPrefix(SysvinitInitFunctions, "# "))
	assert.Less(t, strings.Count(SysvinitInitFunctions, "\n"), 160, "inlined into every script: keep it small")
	for _, forbidden := range []string{`pidof "`, "pgrep", "pkill"} {
		assert.NotContains(t, SysvinitInitFunctions, forbidden)
	}
}
