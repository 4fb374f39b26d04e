package s6rc

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
		webappDir, webappErr = os.MkdirTemp("", "nixproc-s6rc-webapp-")
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

// live is a deployment with a real s6-svscan in a temporary directory.
type live struct {
	t        *testing.T
	dir      string
	dirs     agnostic.Dirs
	profiles backends.Profiles
	mode     string
	force    bool
	out      syncBuffer
	svscan   *exec.Cmd
}

var s6Tools = []string{"s6-svscan", "s6-supervise", "s6-svscanctl", "s6-svc", "s6-svlink", "s6-svunlink", "s6-svwait", "s6-svstat", "s6-log", "s6-envdir", "s6-setuidgid", "execlineb"}

func newLive(t *testing.T, mode string, force bool) *live {
	t.Helper()
	backendtest.Require(t, s6Tools...)
	dir := t.TempDir()
	// Processes may run as other users: every directory above the state
	// must be traversable.
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	l := &live{
		t: t, dir: dir, mode: mode, force: force,
		dirs:     agnostic.Dirs{StateDir: filepath.Join(dir, "state")},
		profiles: backends.Profiles{Dir: filepath.Join(dir, "profiles"), Name: "processes"},
	}
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	l.startSvscan()
	return l
}

func (l *live) startSvscan() {
	t := l.t
	scan := LayoutFor(l.dirs).ScanDir
	require.NoError(t, os.MkdirAll(scan, 0o755))
	cmd := exec.Command("s6-svscan", scan)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = &l.out, &l.out
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	l.svscan = cmd
	t.Cleanup(func() {
		// Whatever happened: tear the tree down, then make sure.
		exec.Command("s6-svscanctl", "-t", scan).Run()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		for _, p := range backendtest.ProcessesMatching(l.dir) {
			syscall.Kill(p.PID, syscall.SIGKILL)
		}
	})
	backendtest.WaitFor(t, 10*time.Second, "s6-svscan on "+scan, func() error {
		_, err := os.Stat(filepath.Join(scan, ".s6-svscan", "control"))
		return err
	})
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

func (l *live) env() *backends.Env {
	return &backends.Env{
		Dirs:                   l.dirs.Resolved(),
		ForceDisableUserChange: l.force,
		Runner:                 cmdrun.Exec{},
		Stdout:                 &l.out,
		Stderr:                 &l.out,
		Options:                map[string]string{ModeOption: l.mode},
	}
}

func (l *live) deploy(model map[string]any) error {
	l.t.Helper()
	return backends.Switch(context.Background(), backends.SwitchOptions{Env: l.env(), Profiles: l.profiles, NewPath: l.build(model)})
}

func (l *live) mustDeploy(model map[string]any) {
	l.t.Helper()
	require.NoError(l.t, l.deploy(model), "output:\n%s", l.out.String())
}

// scanEntries lists the services linked into the scan directory.
func (l *live) scanEntries() []string {
	entries, err := os.ReadDir(LayoutFor(l.dirs).ScanDir)
	require.NoError(l.t, err)
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// pidOf reads a PID file a webapp wrote.
func pidOf(t *testing.T, file string) int {
	t.Helper()
	var pid int
	backendtest.WaitFor(t, 10*time.Second, "PID file "+file, func() error {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err
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

// nothingRunning checks that no process of the deployment is left but
// s6-svscan itself: no service, logger or supervisor.
func (l *live) nothingRunning() {
	l.t.Helper()
	backendtest.WaitFor(l.t, 15*time.Second, "no process of the deployment left", func() error {
		for _, p := range l.treeProcesses() {
			if !strings.HasPrefix(p, "s6-svscan ") {
				return fmt.Errorf("still running: %q", p)
			}
		}
		return nil
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

type syncBuffer = backendtest.SyncBuffer
