package dysnomia

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
	"nixproc/cmdrun"
)

// testEnv is a temporary Dysnomia installation: state directory, profiles
// and components live in one temporary directory.
type testEnv struct {
	t      *testing.T
	dir    string
	state  string // DYSNOMIA_STATEDIR
	log    *syncBuffer
	webapp string
	runner cmdrun.Runner
	// pidDir holds the webapps' PID files (default <dir>/pids).
	pidDir string
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	// Short: supervisord's socket path must fit in 107 bytes.
	dir, err := os.MkdirTemp("", "npdys-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Processes may run as other users: they must reach the test's files.
	// (Its parent is the system's temp directory: never change that one.)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	e := &testEnv{t: t, dir: dir, state: filepath.Join(dir, "dysnomia"), log: &syncBuffer{}, runner: cmdrun.Exec{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("module output:\n%s", e.log.String())
		}
	})
	return e
}

// killUnder kills every process started from the test's directory, so a
// failing test leaves nothing running.
func (e *testEnv) killUnderOnCleanup() {
	e.t.Cleanup(func() { killUnder(e.dir) })
}

func killUnder(dir string) {
	entries, _ := os.ReadDir("/proc")
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.HasPrefix(exe, dir+"/") || bytes.Contains(cmdline, []byte(dir+"/")) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// buildWebapp builds the examples' webapp into the test's directory.
func (e *testEnv) buildWebapp() string {
	e.t.Helper()
	if e.webapp == "" {
		e.webapp = backendtest.BuildWebapp(e.t, filepath.Join(e.dir, "bin", "webapp"))
	}
	return e.webapp
}

// webappConfig is the agnostic configuration of a webapp instance on a
// port: it runs in the foreground, or as a daemon with -D.
func (e *testEnv) webappConfig(name string, port int) map[string]any {
	if e.pidDir == "" {
		e.pidDir = filepath.Join(e.dir, "pids")
	}
	pid := filepath.Join(e.pidDir, name+".pid")
	require.NoError(e.t, os.MkdirAll(e.pidDir, 0o755))
	return map[string]any{
		"name":        name,
		"description": "Webapp " + name,
		"process":     e.buildWebapp(),
		"daemonArgs":  []string{"-D"},
		"pidFile":     pid,
		"environment": map[string]any{"PORT": port, "PID_FILE": pid, "INSTANCE_NAME": name},
	}
}

// component writes configurations into a component directory, one
// <name>.json each, as a Disnix component of type managed-process holds.
func (e *testEnv) component(name string, configs ...map[string]any) string {
	e.t.Helper()
	dir := filepath.Join(e.dir, "components", name)
	require.NoError(e.t, os.MkdirAll(dir, 0o755))
	for _, c := range configs {
		data, err := json.MarshalIndent(c, "", "  ")
		require.NoError(e.t, err)
		require.NoError(e.t, os.WriteFile(filepath.Join(dir, c["name"].(string)+".json"), data, 0o644))
	}
	return dir
}

// container returns the properties of a container for a process manager,
// with its own state directory.
func (e *testEnv) container(pm string, extra ...string) Props {
	p := Props{
		"processManager":    pm,
		"stateDir":          filepath.Join(e.dir, "state-"+pm),
		"DYSNOMIA_STATEDIR": e.state,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return p
}

// run runs a module on a component in a container named after the module.
func (e *testEnv) run(module, activity, component string, props Props) error {
	return RunModule(context.Background(), module, &Invocation{
		Activity: activity, Component: component, Container: "test-" + module, Props: props,
		Runner: e.runner, Stdout: e.log, Stderr: e.log,
	})
}

type syncBuffer = backendtest.SyncBuffer

func runCmd(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// deleteAccount removes a test's user and group, if they are there.
func deleteAccount(name string) {
	_ = exec.Command("userdel", name).Run()
	_ = exec.Command("groupdel", name).Run()
}
