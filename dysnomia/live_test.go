package dysnomia

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends"
	"nixproc/backends/backendtest"
	"nixproc/backends/s6rc"
	"nixproc/imagebuild/podmantest"
)

// These tests deploy agnostic configurations of the examples' webapp with
// the managed-process module and the real process managers: sysvinit's
// generated scripts, a real supervisord, the process module (the disnix
// backend's components, daemons started by their own -D), s6 (a real
// s6-svscan; s6-rc itself is not packaged here) and docker (a private
// podman).

// liveManagers are the process managers that run here, with the commands
// their deployments need.
var liveManagers = []struct {
	pm    string
	needs []string
	// setup starts what the container needs running (s6-svscan).
	setup func(e *testEnv, props Props)
}{
	{"sysvinit", []string{"bash"}, nil},
	{"supervisord", []string{"supervisord", "supervisorctl"}, nil},
	{"disnix", []string{"bash"}, nil},
	{"s6-rc", []string{"s6-svscan", "s6-supervise", "s6-svscanctl", "s6-svc", "s6-svlink", "s6-svunlink", "s6-svwait", "s6-svstat", "s6-log", "s6-envdir", "execlineb"}, startSvscan},
	{"docker", []string{"podman", "runc", "ldd"}, privatePodman},
}

// privatePodman gives the container a private podman as its docker
// engine (the docker property, the option of the docker tools).
// The webapps keep their PID files in the container's runtime directory,
// which the engine mounts.
func privatePodman(e *testEnv, props Props) {
	props["docker"] = podmantest.New(e.t).Command
	e.pidDir = filepath.Join(props["stateDir"], "run")
}

// startSvscan runs s6-svscan on the container's scan directory, as
// nixproc s6-svscan does, for the test's lifetime.
func startSvscan(e *testEnv, props Props) {
	t := e.t
	scan := s6rc.LayoutFor(dirsFromProps(props)).ScanDir
	require.NoError(t, os.MkdirAll(scan, 0o755))
	cmd := exec.Command("s6-svscan", scan)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		exec.Command("s6-svscanctl", "-t", scan).Run()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	backendtest.WaitFor(t, 10*time.Second, "s6-svscan on "+scan, func() error {
		_, err := os.Stat(filepath.Join(scan, ".s6-svscan", "control"))
		return err
	})
}

// containersLeft lists the containers of a docker container's private
// engine (none for other process managers).
func containersLeft(t *testing.T, props Props) []string {
	if props["docker"] == "" {
		return nil
	}
	out, err := exec.Command(props["docker"], "ps", "-a", "--format", "{{.Names}}").Output()
	require.NoError(t, err)
	return strings.Fields(string(out))
}

// setup prepares a container of a live process manager.
func setup(e *testEnv, pm string, props Props) Props {
	for _, m := range liveManagers {
		if m.pm == pm && m.setup != nil {
			m.setup(e, props)
		}
	}
	return props
}

// leftovers are the processes of a test still running, but for
// s6-svscan, which runs for the container as a whole.
func (e *testEnv) leftovers() []string {
	var out []string
	for _, p := range backendtest.ProcessesMatching(e.dir + "/") {
		if len(p.Cmdline) > 0 && filepath.Base(p.Cmdline[0]) == "s6-svscan" {
			continue
		}
		out = append(out, fmt.Sprintf("%d %v", p.PID, p.Cmdline))
	}
	return out
}

func (e *testEnv) requireAnswers(port int, instance string) {
	e.t.Helper()
	body, err := backendtest.Get(port, "")
	require.NoError(e.t, err, "the webapp on port %d", port)
	assert.Contains(e.t, body, fmt.Sprintf("Simple test webapp %s listening on port: %d", instance, port))
}

// managed-process activates a component of agnostic configurations with
// each process manager: the webapp answers on its port, the activation is
// marked; deactivation leaves no process (no webapp, no supervisord), no
// marker and no record behind.
func TestLiveManagedProcessActivateDeactivate(t *testing.T) {
	for _, m := range liveManagers {
		t.Run(m.pm, func(t *testing.T) {
			backendtest.Require(t, append([]string{"go"}, m.needs...)...)
			e := newTestEnv(t)
			e.killUnderOnCleanup()
			port := backendtest.FreePorts(t, 1)[0]
			props := setup(e, m.pm, e.container(m.pm))
			comp := e.component("webapp", e.webappConfig("webapp", port))
			t.Cleanup(func() { _ = e.run("managed-process", "deactivate", comp, props) })

			require.NoError(t, e.run("managed-process", "activate", comp, props))
			e.requireAnswers(port, "webapp")
			marker := filepath.Join(e.state, "activated", "test-managed-process", "webapp")
			assert.FileExists(t, marker)
			record, err := os.Readlink(filepath.Join(e.state, "nixproc", "managed-process", "test-managed-process", "webapp"))
			require.NoError(t, err)
			p, err := backends.OpenProfile(record)
			require.NoError(t, err)
			assert.Equal(t, m.pm, p.Meta.ProcessManager)
			assert.Equal(t, filepath.Join(e.dir, "state-"+m.pm), p.Meta.Dirs.StateDir, "the container's stateDir")

			// Activating again (Disnix may) changes nothing.
			require.NoError(t, e.run("managed-process", "activate", comp, props))
			e.requireAnswers(port, "webapp")

			require.NoError(t, e.run("managed-process", "deactivate", comp, props))
			assert.False(t, backendtest.Listening(port), "port %d still answers", port)
			assert.Empty(t, e.leftovers())
			assert.Empty(t, containersLeft(t, props))
			assert.NoFileExists(t, marker)
			assert.NoFileExists(t, filepath.Join(e.state, "nixproc", "managed-process", "test-managed-process", "webapp"))
		})
	}
}

// The same component, unchanged, runs under one process manager and then
// under another: only the container differs.
func TestLiveSameComponentUnderTwoProcessManagers(t *testing.T) {
	backendtest.Require(t, "go", "bash", "supervisord", "supervisorctl")
	e := newTestEnv(t)
	e.killUnderOnCleanup()
	port := backendtest.FreePorts(t, 1)[0]
	comp := e.component("webapp", e.webappConfig("webapp", port))
	for _, pm := range []string{"sysvinit", "supervisord", "sysvinit"} {
		props := e.container(pm)
		t.Cleanup(func() { _ = e.run("managed-process", "deactivate", comp, props) })
		require.NoError(t, e.run("managed-process", "activate", comp, props), pm)
		e.requireAnswers(port, "webapp")
		if pm == "supervisord" {
			assert.NotEmpty(t, backendtest.ProcessesMatching(filepath.Join(e.dir, "state-supervisord")+"/"), "supervisord runs the webapp")
		}
		require.NoError(t, e.run("managed-process", "deactivate", comp, props), pm)
		assert.False(t, backendtest.Listening(port), "%s: port %d still answers", pm, port)
		assert.Empty(t, e.leftovers(), pm)
	}
}

// Two components in one container come and go independently: deactivating
// one leaves the other running (and, with supervisord, supervisord too).
func TestLiveTwoComponentsInOneContainer(t *testing.T) {
	for _, m := range liveManagers {
		t.Run(m.pm, func(t *testing.T) {
			backendtest.Require(t, append([]string{"go"}, m.needs...)...)
			e := newTestEnv(t)
			e.killUnderOnCleanup()
			ports := backendtest.FreePorts(t, 2)
			props := setup(e, m.pm, e.container(m.pm))
			a := e.component("a", e.webappConfig("a", ports[0]))
			b := e.component("b", e.webappConfig("b", ports[1]))
			for _, c := range []string{a, b} {
				t.Cleanup(func() { _ = e.run("managed-process", "deactivate", c, props) })
				require.NoError(t, e.run("managed-process", "activate", c, props))
			}
			e.requireAnswers(ports[0], "a")
			e.requireAnswers(ports[1], "b")
			require.NoError(t, e.run("managed-process", "deactivate", a, props))
			assert.False(t, backendtest.Listening(ports[0]))
			e.requireAnswers(ports[1], "b")
			require.NoError(t, e.run("managed-process", "deactivate", b, props))
			assert.False(t, backendtest.Listening(ports[1]))
			assert.Empty(t, e.leftovers())
			assert.Empty(t, containersLeft(t, props))
		})
	}
}

// A component whose process cannot start fails activation with one line
// naming it, and leaves nothing behind.
func TestLiveFailedActivationLeavesNothing(t *testing.T) {
	for _, m := range liveManagers {
		t.Run(m.pm, func(t *testing.T) {
			backendtest.Require(t, append([]string{"go"}, m.needs...)...)
			t.Setenv("NIXPROC_START_TIMEOUT", "3")
			e := newTestEnv(t)
			e.killUnderOnCleanup()
			port := backendtest.FreePorts(t, 1)[0]
			props := setup(e, m.pm, e.container(m.pm))
			// Something else has the port: the webapp exits at once.
			blocker := e.webappConfig("blocker", port)
			comp := e.component("webapp", e.webappConfig("webapp", port))
			block := e.component("blocker", blocker)
			sysv := e.container("sysvinit")
			t.Cleanup(func() { _ = e.run("managed-process", "deactivate", block, sysv) })
			require.NoError(t, e.run("managed-process", "activate", block, sysv))

			err := e.run("managed-process", "activate", comp, props)
			require.Error(t, err)
			t.Log(err)
			assert.Contains(t, err.Error(), "webapp")
			assert.NotContains(t, err.Error(), "\n")
			assert.NoFileExists(t, filepath.Join(e.state, "activated", "test-managed-process", "webapp"))

			require.NoError(t, e.run("managed-process", "deactivate", block, sysv))
			assert.Empty(t, e.leftovers())
			assert.Empty(t, containersLeft(t, props))
		})
	}
}

// As root, activation creates the component's users and groups (the
// webapp runs as its user), an account that existed before is kept, and an
// account two components declare stays until the last one is deactivated.
func TestLiveAccountsCreatedAndRemoved(t *testing.T) {
	backendtest.RequireRoot(t)
	backendtest.Require(t, "go", "bash", "useradd", "groupadd", "setpriv")
	e := newTestEnv(t)
	e.killUnderOnCleanup()
	require.NoError(t, os.Chmod(filepath.Join(e.dir), 0o755))
	suffix := strconv.Itoa(os.Getpid() % 100000)
	own, shared, existing := "npdo"+suffix, "npds"+suffix, "npde"+suffix
	for _, name := range []string{own, shared, existing} {
		n := name
		t.Cleanup(func() { deleteAccount(n) })
	}
	require.NoError(t, runCmd("groupadd", existing))

	ports := backendtest.FreePorts(t, 2)
	withAccounts := func(name string, port int, user string) map[string]any {
		c := e.webappConfig(name, port)
		require.NoError(t, os.Chmod(filepath.Join(e.dir, "pids"), 0o777))
		c["user"] = user
		c["credentials"] = map[string]any{
			"groups": map[string]any{user: map[string]any{}, shared: map[string]any{}, existing: map[string]any{}},
			"users":  map[string]any{user: map[string]any{"group": user, "description": "nixproc test"}},
		}
		return c
	}
	a := e.component("a", withAccounts("a", ports[0], own))
	b := e.component("b", withAccounts("b", ports[1], own+"b"))
	t.Cleanup(func() { deleteAccount(own + "b") })
	props := e.container("sysvinit")
	for _, c := range []string{a, b} {
		t.Cleanup(func() { _ = e.run("managed-process", "deactivate", c, props) })
	}

	require.NoError(t, e.run("managed-process", "activate", a, props))
	e.requireAnswers(ports[0], "a")
	u, err := user.Lookup(own)
	require.NoError(t, err, "user %s created", own)
	running := backendtest.ProcessesMatching(e.webapp)
	require.NotEmpty(t, running)
	assert.Equal(t, u.Uid, strconv.Itoa(running[0].UID), "the webapp runs as its user")
	for _, g := range []string{own, shared} {
		_, err := user.LookupGroup(g)
		assert.NoError(t, err, "group %s created", g)
	}

	require.NoError(t, e.run("managed-process", "activate", b, props))
	require.NoError(t, e.run("managed-process", "deactivate", a, props))
	assert.False(t, backendtest.Listening(ports[0]))
	_, err = user.Lookup(own)
	assert.Error(t, err, "user %s removed with its component", own)
	_, err = user.LookupGroup(shared)
	assert.NoError(t, err, "group %s is still declared by b", shared)

	require.NoError(t, e.run("managed-process", "deactivate", b, props))
	for _, g := range []string{own, shared, own + "b"} {
		_, err := user.LookupGroup(g)
		assert.Error(t, err, "group %s removed", g)
	}
	_, err = user.LookupGroup(existing)
	assert.NoError(t, err, "group %s existed before: kept", existing)
	assert.Empty(t, e.leftovers())
}
