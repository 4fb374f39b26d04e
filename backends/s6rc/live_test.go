package s6rc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// These tests run the generated run scripts under the real s6-svscan and
// s6-supervise of this machine. s6-rc is not packaged here, so they deploy
// in plain s6 mode (the same service definitions, supervised without
// s6-rc), through the switch engine; TestLiveS6RC_... runs the same cycle
// with the real s6-rc where it is installed.

func webappProcess(bin, name string, port int, pidFile string, extraEnv map[string]any, deps ...string) map[string]any {
	env := map[string]any{"PORT": port, "PID_FILE": pidFile}
	for k, v := range extraEnv {
		env[k] = v
	}
	if deps == nil {
		deps = []string{}
	}
	return map[string]any{"pkg": map[string]any{
		"name": name, "foregroundProcess": bin, "environment": env, "dependencies": deps,
	}}
}

// cycle deploys two webapps (the second depends on the first), upgrades
// one, fails to upgrade it to a broken version and undeploys.
func cycle(t *testing.T, l *live) {
	bin := l.install(buildWebapp(t), "webapp")
	ports := backendtest.FreePorts(t, 2)
	tmp := l.dirs.Resolved().TmpDir
	pidFile := func(n string) string { return filepath.Join(tmp, n+".pid") }
	model := func(webapp2 map[string]any) map[string]any {
		return map[string]any{
			"webapp1": webappProcess(bin, "webapp1", ports[0], pidFile("webapp1"), nil),
			"webapp2": webapp2,
		}
	}

	// Deploy: both answer, the logger writes what the process prints.
	l.mustDeploy(model(webappProcess(bin, "webapp2", ports[1], pidFile("webapp2"), nil, "webapp1")))
	answers(t, ports[0], "webapp1")
	answers(t, ports[1], "webapp2")
	logFile := filepath.Join(LogDir(l.dirs, "webapp1"), "current")
	backendtest.WaitFor(t, 10*time.Second, "the log of webapp1", func() error {
		data, err := os.ReadFile(logFile)
		if err == nil && !strings.Contains(string(data), "webapp1: listening on port") {
			return os.ErrNotExist
		}
		return err
	})
	pid1, pid2 := pidOf(t, pidFile("webapp1")), pidOf(t, pidFile("webapp2"))

	// Upgrade: only webapp2 changes, so only webapp2 restarts.
	v2 := webappProcess(bin, "webapp2", ports[1], pidFile("webapp2"), map[string]any{"INSTANCE_NAME": "webapp2-v2"}, "webapp1")
	l.mustDeploy(model(v2))
	answers(t, ports[1], "webapp2-v2")
	assert.Equal(t, pid1, pidOf(t, pidFile("webapp1")), "webapp1 did not change and keeps running")
	assert.NotEqual(t, pid2, pidOf(t, pidFile("webapp2")), "webapp2 changed and restarted")
	current, _, err := l.profiles.Current()
	require.NoError(t, err)

	// A version of webapp2 that cannot start (its port is taken): the
	// switch fails naming it, and the previous deployment runs again.
	broken := webappProcess(bin, "webapp2", ports[0], pidFile("webapp2"), map[string]any{"INSTANCE_NAME": "broken"}, "webapp1")
	err = l.deploy(model(broken))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "webapp2")
	answers(t, ports[1], "webapp2-v2")
	answers(t, ports[0], "webapp1")
	assert.Equal(t, pid1, pidOf(t, pidFile("webapp1")), "webapp1 was not touched by the failed upgrade")
	after, _, err := l.profiles.Current()
	require.NoError(t, err)
	assert.Equal(t, current, after, "the failed profile did not become current")

	// Undeploy: nothing is left running or linked.
	l.mustDeploy(map[string]any{})
	silent(t, ports[0])
	silent(t, ports[1])
	assert.Empty(t, l.scanEntries(), "the scan directory is empty after undeploy")
	l.nothingRunning()
}

func TestLiveS6PlainDeployUpgradeRollbackUndeploy(t *testing.T) {
	l := newLive(t, ModePlain, true)
	cycle(t, l)
	_, err := os.Stat(LayoutFor(l.dirs).PlainDir)
	assert.True(t, os.IsNotExist(err), "plain mode leaves no state after undeploy")
}

// TestLiveS6RC_RealS6RC_SkippedWhenS6RCIsNotInstalled runs the cycle with
// s6-rc-compile, s6-rc-init, s6-rc-update and s6-rc. It is skipped where
// s6-rc is not installed, under CI too: Debian does not package s6-rc (the
// s6-rc calls are checked with recorded calls instead).
func TestLiveS6RC_RealS6RC_SkippedWhenS6RCIsNotInstalled(t *testing.T) {
	for _, tool := range []string{"s6-rc", "s6-rc-compile", "s6-rc-init", "s6-rc-update"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (not packaged by Debian)", tool)
		}
	}
	l := newLive(t, ModeS6RC, true)
	cycle(t, l)
}

func TestLiveS6RunScriptPassesExactBytes(t *testing.T) {
	l := newLive(t, ModePlain, true)
	exe, err := os.Executable()
	require.NoError(t, err)
	reporter := filepath.Join(l.dir, "bin", backendtest.ReporterName)
	require.NoError(t, os.Symlink(exe, reporter))
	work := filepath.Join(l.dir, "work dir ü")
	require.NoError(t, os.MkdirAll(work, 0o755))

	args := append([]string{}, trickyWords...)
	env := map[string]string{
		"SPACES": "  lead and trail  ", "QUOTES": `'"`, "DOLLAR": "$PATH ${HOME}", "PERCENT": "%s%%",
		"BACKSLASH": `c:\dir\`, "SEMI": "a;b", "HASH": "#not a comment", "NEWLINES": "a\nb\n\n",
		"UNICODE": "日本語 ünïcödé", "EMPTY": "", "BRACES": "{ }",
	}
	nice := 5
	l.mustDeploy(map[string]any{"tricky": map[string]any{"pkg": map[string]any{
		"name": "tricky", "foregroundProcess": reporter, "foregroundProcessArgs": args, "environment": env,
		"path":       []string{"/opt/nixproc-test-tools"},
		"directory":  work,
		"umask":      "027",
		"nice":       nice,
		"initialize": "echo initialized > " + filepathQuote(filepath.Join(l.dir, "initialized")),
	}}})

	var got []byte
	backendtest.WaitFor(t, 10*time.Second, "the reporter's report", func() error {
		got, err = os.ReadFile(filepath.Join(l.dir, "bin", "report.args"))
		return err
	})
	assert.Equal(t, args, splitNUL(got), "arguments arrive byte for byte")
	rawEnv, err := os.ReadFile(filepath.Join(l.dir, "bin", "report.env"))
	require.NoError(t, err)
	gotEnv := map[string]string{}
	for _, kv := range splitNUL(rawEnv) {
		k, v, _ := strings.Cut(kv, "=")
		gotEnv[k] = v
	}
	for k, v := range env {
		value, ok := gotEnv[k]
		if assert.True(t, ok, "environment variable %s arrives", k) {
			assert.Equal(t, v, value, "environment variable %s arrives byte for byte", k)
		}
	}
	assert.True(t, strings.HasPrefix(gotEnv["PATH"], "/opt/nixproc-test-tools/bin:"), "path packages come first in PATH: %q", gotEnv["PATH"])
	misc, err := os.ReadFile(filepath.Join(l.dir, "bin", "report.misc"))
	require.NoError(t, err)
	assert.Equal(t, work+"\n0027\n", string(misc), "working directory and umask")
	niceness, err := os.ReadFile(filepath.Join(l.dir, "bin", "report.nice"))
	require.NoError(t, err)
	assert.Equal(t, "5\n", string(niceness), "niceness")
	initialized, err := os.ReadFile(filepath.Join(l.dir, "initialized"))
	require.NoError(t, err)
	assert.Equal(t, "initialized\n", string(initialized))
	log, _ := os.ReadFile(filepath.Join(LogDir(l.dirs, "tricky"), "current"))
	assert.Contains(t, string(log), "reporter: reported", "stdout goes to the logger")

	l.mustDeploy(map[string]any{})
	l.nothingRunning()
}

func TestLiveS6DaemonOnlyProcessRunsThroughItsProxy(t *testing.T) {
	l := newLive(t, ModePlain, true)
	bin := l.install(buildWebapp(t), "webapp")
	port := backendtest.FreePorts(t, 1)[0]
	pidFile := filepath.Join(l.dirs.Resolved().TmpDir, "legacy.pid")
	l.mustDeploy(map[string]any{"legacy": map[string]any{"pkg": map[string]any{
		"name": "legacy", "daemon": bin, "daemonArgs": []string{"-D"}, "pidFile": pidFile,
		"environment": map[string]any{"PORT": port, "PID_FILE": pidFile, "INSTANCE_NAME": "legacy"},
	}}})
	answers(t, port, "legacy")
	daemon := pidOf(t, pidFile)

	l.mustDeploy(map[string]any{})
	silent(t, port)
	backendtest.WaitFor(t, 10*time.Second, "the daemon behind the proxy stops", func() error {
		if alive(daemon) {
			return fmt.Errorf("daemon %d still runs", daemon)
		}
		return nil
	})
	l.nothingRunning()
}

// alive tells whether a process runs (a zombie does not).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || (stat[i+2] != 'Z' && stat[i+2] != 'X')
}

func splitNUL(b []byte) []string {
	parts := strings.Split(string(b), "\x00")
	return parts[:len(parts)-1]
}

func filepathQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestLiveS6TreeTeardownLeavesNothing brings the services down with s6-svc
// -d and the supervision tree with s6-svscanctl -t, as an administrator
// would: no service, logger, supervisor or s6-svscan is left.
func TestLiveS6TreeTeardownLeavesNothing(t *testing.T) {
	l := newLive(t, ModePlain, true)
	bin := l.install(buildWebapp(t), "webapp")
	ports := backendtest.FreePorts(t, 2)
	tmp := l.dirs.Resolved().TmpDir
	l.mustDeploy(map[string]any{
		"webapp1": webappProcess(bin, "webapp1", ports[0], filepath.Join(tmp, "webapp1.pid"), nil),
		"webapp2": webappProcess(bin, "webapp2", ports[1], filepath.Join(tmp, "webapp2.pid"), nil, "webapp1"),
	})
	answers(t, ports[0], "webapp1")
	answers(t, ports[1], "webapp2")
	scan := LayoutFor(l.dirs).ScanDir
	require.NotEmpty(t, l.treeProcesses(), "the supervision tree runs")

	for _, svc := range l.scanEntries() {
		out, err := exec.Command("s6-svc", "-wD", "-d", "-T", "10000", filepath.Join(scan, svc)).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	silent(t, ports[0])
	silent(t, ports[1])
	out, err := exec.Command("s6-svscanctl", "-t", scan).CombinedOutput()
	require.NoError(t, err, "%s", out)
	backendtest.WaitFor(t, 15*time.Second, "the supervision tree is gone", func() error {
		if left := l.treeProcesses(); len(left) > 0 {
			return fmt.Errorf("still running: %v", left)
		}
		return nil
	})
}

// treeProcesses lists the processes of the deployment: those that name its
// directory on their command line and those working in it (s6-supervise
// runs in its service directory).
func (l *live) treeProcesses() []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || !alive(pid) {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		cwd, _ := os.Readlink("/proc/" + e.Name() + "/cwd")
		if strings.Contains(string(cmdline), l.dir) || strings.HasPrefix(cwd, l.dir) {
			out = append(out, strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " "))
		}
	}
	return out
}
