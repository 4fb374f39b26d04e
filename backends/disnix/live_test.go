package disnix

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// These tests activate components in builtin mode (Disnix is not packaged
// here) with real processes: the webapp as a self-daemonizing process and
// as a foreground process that libslack's daemon daemonizes.

func TestLiveBuiltinDeployUpgradeRollbackUndeploy(t *testing.T) {
	l := newLive(t, true)
	bin := l.install(buildWebapp(t), "webapp")
	ports := backendtest.FreePorts(t, 2)
	run := l.dirs.Resolved().RuntimeDir
	tmp := l.dirs.Resolved().TmpDir

	// webapp1 daemonizes itself (-D) and writes <runtimeDir>/webapp1.pid,
	// the PID file its instanceName gives. webapp2 runs in the foreground
	// and names no PID file: libslack's daemon keeps its PID in the one
	// nixproc names, <runtimeDir>/webapp2.pid.
	webapp1 := map[string]any{"pkg": map[string]any{
		"name": "webapp1", "instanceName": "webapp1", "daemon": bin, "daemonArgs": []string{"-D"},
		"environment": map[string]any{"PORT": ports[0], "PID_FILE": filepath.Join(run, "webapp1.pid")},
	}}
	webapp2 := func(port int, instance string) map[string]any {
		return map[string]any{"pkg": map[string]any{
			"name": "webapp2", "foregroundProcess": bin, "dependencies": []string{"webapp1"},
			"environment": map[string]any{"PORT": port, "INSTANCE_NAME": instance, "PID_FILE": filepath.Join(tmp, "webapp2-app.pid")},
		}}
	}
	model := func(w2 map[string]any) map[string]any { return map[string]any{"webapp1": webapp1, "webapp2": w2} }

	l.mustDeploy(model(webapp2(ports[1], "webapp2")))
	answers(t, ports[0], "webapp1")
	answers(t, ports[1], "webapp2")
	pid1, pid2 := pidOf(t, filepath.Join(run, "webapp1.pid")), pidOf(t, filepath.Join(run, "webapp2.pid"))
	logFile := filepath.Join(l.dirs.Resolved().LogDir, "nixproc-webapp2.log")
	backendtest.WaitFor(t, 10*time.Second, "the output log of webapp2", func() error {
		data, err := os.ReadFile(logFile)
		if err == nil && !strings.Contains(string(data), "webapp2: listening on port") {
			return fmt.Errorf("not yet in %s", logFile)
		}
		return err
	})

	// Upgrade webapp2 only.
	l.mustDeploy(model(webapp2(ports[1], "webapp2-v2")))
	answers(t, ports[1], "webapp2-v2")
	assert.Equal(t, pid1, pidOf(t, filepath.Join(run, "webapp1.pid")), "webapp1 did not change and keeps running")
	assert.NotEqual(t, pid2, pidOf(t, filepath.Join(run, "webapp2.pid")), "webapp2 changed and restarted")
	assert.False(t, alive(pid2), "the old webapp2 is gone")
	current, _, err := l.profiles.Current()
	require.NoError(t, err)

	// A webapp2 that cannot start (its port is taken): the switch fails
	// naming it and the previous version runs again. (Its daemon may come
	// and go before the deployer sees its PID file; then the start timeout
	// tells, which is shortened here.)
	t.Setenv("NIXPROC_START_TIMEOUT", "5")
	err = l.deploy(model(webapp2(ports[0], "broken")))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "webapp2")
	answers(t, ports[1], "webapp2-v2")
	assert.Equal(t, pid1, pidOf(t, filepath.Join(run, "webapp1.pid")))
	after, _, err := l.profiles.Current()
	require.NoError(t, err)
	assert.Equal(t, current, after, "the failed profile did not become current")

	// Undeploy stops both, also the one that had no PID file of its own.
	l.mustDeploy(map[string]any{})
	silent(t, ports[0])
	silent(t, ports[1])
	l.nothingRunning()
	assert.NoFileExists(t, filepath.Join(run, "webapp2.pid"))
	assert.NoFileExists(t, filepath.Join(run, "nixproc-disnix-builtin"), "no builtin deployment is marked as running")
}

func TestLiveBuiltinPassesExactBytes(t *testing.T) {
	l := newLive(t, true)
	exe, err := os.Executable()
	require.NoError(t, err)
	reporter := filepath.Join(l.dir, "bin", backendtest.ReporterName)
	require.NoError(t, os.Symlink(exe, reporter))
	work := filepath.Join(l.dir, "work dir ü")
	require.NoError(t, os.MkdirAll(work, 0o755))

	args := []string{
		"plain", "with space", "it's", `"double"`, `\`, `\\`, `\"`, "$HOME", "${PATH}", "$", "%s%%", "semi;colon",
		"#hash", "{ }", "", " ", "\t", "new\nline", "\n", "trailing newline\n", "ünïcödé", "日本語", "`backtick`", "*", "?",
	}
	env := map[string]string{
		"SPACES": "  lead and trail  ", "QUOTES": `'"`, "DOLLAR": "$PATH ${HOME}", "PERCENT": "%s%%",
		"BACKSLASH": `c:\dir\`, "SEMI": "a;b", "HASH": "#not a comment", "NEWLINES": "a\nb\n\n",
		"UNICODE": "日本語 ünïcödé", "EMPTY": "", "GLOB": "*",
	}
	l.mustDeploy(map[string]any{"tricky": map[string]any{"pkg": map[string]any{
		"name": "tricky", "foregroundProcess": reporter, "foregroundProcessArgs": args, "environment": env,
		"path": []string{"/opt/nixproc-test-tools"}, "directory": work, "umask": "027",
	}}})

	var got []byte
	backendtest.WaitFor(t, 10*time.Second, "the reporter's report", func() error {
		got, err = os.ReadFile(filepath.Join(l.dir, "bin", "report.args"))
		return err
	})
	assert.Equal(t, args, splitNUL(got), "arguments arrive byte for byte")
	raw, err := os.ReadFile(filepath.Join(l.dir, "bin", "report.env"))
	require.NoError(t, err)
	gotEnv := map[string]string{}
	for _, kv := range splitNUL(raw) {
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

	l.mustDeploy(map[string]any{})
	l.nothingRunning()
}

func TestLiveBuiltinRefusesToStartAProcessTwice(t *testing.T) {
	// Dysnomia's rule: a PID file that names a live process means started.
	l := newLive(t, true)
	bin := l.install(buildWebapp(t), "webapp")
	port := backendtest.FreePorts(t, 1)[0]
	model := map[string]any{"webapp": map[string]any{"pkg": map[string]any{
		"name": "webapp", "foregroundProcess": bin, "environment": map[string]any{"PORT": port},
	}}}
	l.mustDeploy(model)
	answers(t, port, "webapp")
	pidFile := filepath.Join(l.dirs.Resolved().RuntimeDir, "webapp.pid")
	pid := pidOf(t, pidFile)

	// Deploying the same profile again as a fresh deployment (another
	// profile name) finds it running and leaves it alone.
	l.profiles.Name = "again"
	l.mustDeploy(model)
	assert.Equal(t, pid, pidOf(t, pidFile))
	assert.Contains(t, l.out.String(), "webapp already runs")

	l.mustDeploy(map[string]any{})
	l.nothingRunning()
}
