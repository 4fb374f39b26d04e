package images

import (
	"bytes"
	"context"
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
	_ "nixproc/backends/all"
	"nixproc/backends/backendtest"
)

var (
	nixprocOnce sync.Once
	nixprocBin  string
	nixprocErr  error
	nixprocDir  string
)

// TestMain removes the nixproc built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if nixprocDir != "" {
		os.RemoveAll(nixprocDir)
	}
	os.Exit(code)
}

// buildNixproc builds the nixproc command, once for all tests.
func buildNixproc(t *testing.T) string {
	t.Helper()
	backendtest.Require(t, "go")
	nixprocOnce.Do(func() {
		if nixprocDir, nixprocErr = os.MkdirTemp("", "nixproc-images-test-"); nixprocErr != nil {
			return
		}
		nixprocBin = filepath.Join(nixprocDir, "nixproc")
		out, err := exec.Command("go", "build", "-o", nixprocBin, "nixproc/cmd/nixproc").CombinedOutput()
		if err != nil {
			nixprocErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	require.NoError(t, nixprocErr)
	return nixprocBin
}

// initProfile builds testdata/init.nix for sysvinit with its state in dir.
func initProfile(t *testing.T, dir, extra string) string {
	t.Helper()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	b, err := backends.Lookup("sysvinit")
	require.NoError(t, err)
	profile, err := backends.Build(context.Background(), b, backends.BuildOptions{
		Eval: agnostic.EvalOptions{
			ExprFile:    "testdata/init.nix",
			Dirs:        agnostic.Dirs{StateDir: filepath.Join(dir, "state")},
			ExtraParams: extra,
		},
		ForceDisableUserChange: true,
	})
	require.NoError(t, err)
	return profile
}

// startInit runs nixproc init on a profile, as a container would, and
// makes sure it and its processes are gone when the test ends.
// syncBuffer is init's output, read while init writes it.
type syncBuffer = backendtest.SyncBuffer

func startInit(t *testing.T, nixproc, profile, stateDir string, env ...string) (*exec.Cmd, *syncBuffer, chan error) {
	t.Helper()
	cmd := exec.Command(nixproc, "init", profile)
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() { done <- cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
		for _, p := range backendtest.ProcessesMatching(stateDir) {
			_ = syscall.Kill(p.PID, syscall.SIGKILL)
		}
	})
	return cmd, out, done
}

func readLog(file string) []string {
	data, _ := os.ReadFile(file)
	return strings.Fields(strings.ReplaceAll(string(data), " ", "-"))
}

// procStat returns a process's state letter and parent.
func procStat(pid int) (state byte, ppid int, ok bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(stat, ')')
	f := strings.Fields(string(stat[i+2:]))
	ppid, _ = strconv.Atoi(f[1])
	return f[0][0], ppid, true
}

// TestInitStartsInOrderReapsOrphansAndStopsInReverse runs nixproc init
// outside a container (as a child subreaper) on a real sysvinit profile:
// the processes start in dependency order, an orphan a process leaves
// behind is adopted and reaped (not left a zombie), and SIGTERM stops the
// processes in reverse order, after which init exits 0.
func TestInitStartsInOrderReapsOrphansAndStopsInReverse(t *testing.T) {
	backendtest.Require(t, "nix-instantiate", "daemon", "bash")
	nixproc := buildNixproc(t)
	dir := t.TempDir()
	profile := initProfile(t, dir, "")
	state := filepath.Join(dir, "state")
	log := filepath.Join(state, "events.log")

	cmd, out, done := startInit(t, nixproc, profile, state)
	backendtest.WaitFor(t, 30*time.Second, "all three processes started", func() error {
		if got := readLog(log); len(got) < 3 {
			return fmt.Errorf("log: %v; init says: %s", got, out)
		}
		return nil
	})
	require.Equal(t, []string{"start-first", "start-second", "start-third"}, readLog(log))

	// The orphan (sleep 2.5) belongs to init now, and is gone, not a
	// zombie, once it exits.
	orphan := 0
	backendtest.WaitFor(t, 10*time.Second, "the orphan is adopted by init", func() error {
		for _, p := range backendtest.ProcessesMatching("sleep 2.5") {
			if _, ppid, ok := procStat(p.PID); ok && ppid == cmd.Process.Pid && strings.Join(p.Cmdline, " ") == "sleep 2.5" {
				orphan = p.PID
				return nil
			}
		}
		return fmt.Errorf("no sleep 2.5 whose parent is init (PID %d)", cmd.Process.Pid)
	})
	backendtest.WaitFor(t, 10*time.Second, "the orphan is reaped", func() error {
		if state, ppid, ok := procStat(orphan); ok {
			return fmt.Errorf("process %d is still there (state %c, parent %d)", orphan, state, ppid)
		}
		return nil
	})

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-done:
		require.NoError(t, err, "init exits 0 after an orderly stop:\n%s", out)
	case <-time.After(60 * time.Second):
		t.Fatalf("init did not exit after SIGTERM:\n%s", out)
	}
	require.Equal(t, []string{"start-first", "start-second", "start-third", "stop-third", "stop-second", "stop-first"}, readLog(log))
	require.Empty(t, backendtest.ProcessesMatching(state), "nothing of the profile runs after init exits")
	require.Contains(t, out.String(), "nixproc init: 3 processes of sysvinit started")
}

// TestInitFailsWhenAProcessCannotStart: what started stops again, in
// reverse order, and init exits non-zero (the container fails) naming the
// process.
func TestInitFailsWhenAProcessCannotStart(t *testing.T) {
	backendtest.Require(t, "nix-instantiate", "daemon", "bash")
	nixproc := buildNixproc(t)
	dir := t.TempDir()
	profile := initProfile(t, dir, "{ broken = true; }")
	state := filepath.Join(dir, "state")

	// (the sysvinit scripts give up on a daemon after this many seconds)
	_, out, done := startInit(t, nixproc, profile, state, "NIXPROC_START_TIMEOUT=2")
	select {
	case err := <-done:
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "init fails:\n%s", out)
		require.Equal(t, 1, ee.ExitCode())
	case <-time.After(60 * time.Second):
		t.Fatalf("init did not exit:\n%s", out)
	}
	require.Contains(t, out.String(), "nixproc init: starting third failed")
	require.Equal(t, []string{"start-first", "start-second", "stop-second", "stop-first"}, readLog(filepath.Join(state, "events.log")))
	require.Empty(t, backendtest.ProcessesMatching(state))
}
