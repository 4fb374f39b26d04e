package disnix

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
	"nixproc/cmdrun"
)

var (
	webappOnce   sync.Once
	webappBinary string
	webappErr    error
	webappDir    string
)

func TestMain(m *testing.M) {
	if backendtest.RunReporterIfCalled() {
		return
	}
	code := m.Run()
	if webappDir != "" {
		os.RemoveAll(webappDir)
	}
	os.Exit(code)
}

// buildWebapp builds the example webapp once per test binary.
func buildWebapp(t *testing.T) string {
	t.Helper()
	webappOnce.Do(func() {
		webappDir, webappErr = os.MkdirTemp("", "nixproc-disnix-webapp-")
		if webappErr != nil {
			return
		}
		webappBinary = filepath.Join(webappDir, "webapp")
		out, err := exec.Command("go", "build", "-o", webappBinary, "../../examples/webapp").CombinedOutput()
		if err != nil {
			webappErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	require.NoError(t, webappErr)
	return webappBinary
}

// live is a builtin-mode deployment in a temporary directory.
type live struct {
	t        *testing.T
	dir      string
	dirs     agnostic.Dirs
	profiles backends.Profiles
	force    bool
	out      syncBuffer
}

func newLive(t *testing.T, force bool) *live {
	t.Helper()
	backendtest.Require(t, "daemon", "bash", "setpriv")
	dir := t.TempDir()
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	l := &live{
		t: t, dir: dir, force: force,
		dirs:     agnostic.Dirs{StateDir: filepath.Join(dir, "state")},
		profiles: backends.Profiles{Dir: filepath.Join(dir, "profiles"), Name: "processes"},
	}
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	t.Cleanup(func() {
		// Whatever happened, leave nothing running.
		for _, p := range backendtest.ProcessesMatching(l.dir) {
			syscall.Kill(p.PID, syscall.SIGKILL)
		}
	})
	return l
}

// install copies a program into the deployment's bin directory, so that
// its processes are found by the directory in their command line.
func (l *live) install(src, name string) string {
	data, err := os.ReadFile(src)
	require.NoError(l.t, err)
	dst := filepath.Join(l.dir, "bin", name)
	require.NoError(l.t, os.WriteFile(dst, data, 0o755))
	return dst
}

func (l *live) build(model map[string]any) string {
	l.t.Helper()
	data, err := json.Marshal(model)
	require.NoError(l.t, err)
	file := filepath.Join(l.t.TempDir(), "processes.json")
	require.NoError(l.t, os.WriteFile(file, data, 0o644))
	path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{
		Eval:                   agnostic.EvalOptions{ExprFile: file, Dirs: l.dirs},
		ForceDisableUserChange: l.force,
		Warnings:               &l.out,
	})
	require.NoError(l.t, err)
	return path
}

func (l *live) deploy(model map[string]any) error {
	l.t.Helper()
	env := &backends.Env{
		Dirs:                   l.dirs.Resolved(),
		ForceDisableUserChange: l.force,
		Runner:                 cmdrun.Exec{},
		Stdout:                 &l.out,
		Stderr:                 &l.out,
		Options:                map[string]string{ModeOption: ModeBuiltin},
	}
	return backends.Switch(context.Background(), backends.SwitchOptions{Env: env, Profiles: l.profiles, NewPath: l.build(model)})
}

func (l *live) mustDeploy(model map[string]any) {
	l.t.Helper()
	require.NoError(l.t, l.deploy(model), "output:\n%s", l.out.String())
}

// nothingRunning checks that no process of the deployment is left.
func (l *live) nothingRunning() {
	l.t.Helper()
	backendtest.WaitFor(l.t, 15*time.Second, "no process of the deployment left", func() error {
		if left := backendtest.ProcessesMatching(l.dir); len(left) > 0 {
			return fmt.Errorf("still running: %q", left[0].Cmdline)
		}
		return nil
	})
}

func pidOf(t *testing.T, file string) int {
	t.Helper()
	var pid int
	backendtest.WaitFor(t, 10*time.Second, "PID file "+file, func() error {
		var ok bool
		if pid, ok = readPID(file); !ok {
			return fmt.Errorf("no PID in %s", file)
		}
		return nil
	})
	return pid
}

func answers(t *testing.T, port int, want string) {
	t.Helper()
	backendtest.WaitFor(t, 15*time.Second, fmt.Sprintf("port %d answers %q", port, want), func() error {
		body, err := backendtest.Get(port, "")
		if err != nil {
			return err
		}
		if !strings.Contains(body, want) {
			return fmt.Errorf("page does not say %q: %.200s", want, body)
		}
		return nil
	})
}

func silent(t *testing.T, port int) {
	t.Helper()
	backendtest.WaitFor(t, 15*time.Second, fmt.Sprintf("nothing on port %d", port), func() error {
		if backendtest.Listening(port) {
			return fmt.Errorf("port %d still answers", port)
		}
		return nil
	})
}

func splitNUL(b []byte) []string {
	parts := strings.Split(string(b), "\x00")
	return parts[:len(parts)-1]
}

type syncBuffer = backendtest.SyncBuffer
