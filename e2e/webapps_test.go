package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
	"nixproc/imagebuild/podmantest"
)

// backendCase is one process manager the webapps cycle runs with.
type backendCase struct {
	pm string
	// tools the backend needs on this machine
	requires []string
	// extra switch options (e.g. where the manager keeps its state)
	options func(d *deployment) []string
}

var cases = []backendCase{
	{pm: "sysvinit", requires: []string{"daemon", "setpriv"}},
	{pm: "disnix", requires: []string{"daemon", "setpriv"}},
	// s6-rc itself is not packaged here: the same service definitions run
	// under plain s6 (the s6-rc tool calls are tested in backends/s6rc).
	{pm: "s6-rc", requires: []string{"s6-svscan", "s6-svc", "execlineb"}, options: startS6},
	{pm: "supervisord", requires: []string{"supervisord", "supervisorctl"}},
	{pm: "docker", requires: []string{"podman", "runc"}, options: func(d *deployment) []string {
		return []string{"--docker", podmantest.New(d.t).Command}
	}},
}

// deployment is one run of the cycle: its own state, profiles and builds.
type deployment struct {
	t        *testing.T
	pm       string
	dir      string
	stateDir string
	force    bool
	extra    []string
}

func newDeployment(t *testing.T, pm string, force bool) *deployment {
	dir := t.TempDir()
	// Processes switch to their own users: every directory above the state
	// directory must be traversable by them.
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	d := &deployment{t: t, pm: pm, dir: dir, stateDir: filepath.Join(dir, "state"), force: force}
	t.Cleanup(func() {
		// Whatever happened, leave nothing running.
		d.run(false, "--undeploy")
	})
	return d
}

func (d *deployment) env() []string {
	return append(os.Environ(),
		"NIX_USER_PROFILE_DIR="+filepath.Join(d.dir, "profiles"),
		"NIXPROC_BUILD_DIR="+filepath.Join(d.dir, "builds"),
	)
}

// run calls nixproc-<pm>-switch with the deployment's options.
func (d *deployment) run(mustSucceed bool, args ...string) (string, error) {
	all := []string{"--state-dir", d.stateDir}
	if d.force {
		all = append(all, "--force-disable-user-change")
	}
	all = append(append(all, d.extra...), args...)
	cmd := exec.Command(tool(d.t, "nixproc-"+d.pm+"-switch"), all...)
	cmd.Env = d.env()
	out, err := cmd.CombinedOutput()
	if mustSucceed {
		require.NoError(d.t, err, "nixproc-%s-switch %s:\n%s", d.pm, strings.Join(args, " "), out)
	}
	return string(out), err
}

func (d *deployment) switchTo(model string) {
	d.run(true, filepath.Join("..", "examples", "webapps-agnostic", model))
}

// answers checks that nginx on port routes host to the webapp instance.
func answers(t *testing.T, port int, host, instance string) {
	t.Helper()
	backendtest.WaitFor(t, 15*time.Second, host+" through nginx on "+strconv.Itoa(port), func() error {
		body, err := backendtest.Get(port, host)
		if err != nil {
			return err
		}
		if !strings.Contains(body, instance) {
			return fmt.Errorf("page does not name %s: %.200s", instance, body)
		}
		return nil
	})
}

func silent(t *testing.T, port int) {
	t.Helper()
	backendtest.WaitFor(t, 15*time.Second, fmt.Sprintf("nothing listening on %d", port), func() error {
		if backendtest.Listening(port) {
			return fmt.Errorf("port %d still answers", port)
		}
		return nil
	})
}

// runsAs checks the webapp instance's process runs as the expected user.
func runsAs(t *testing.T, stateDir, instance string, wantUser string) {
	t.Helper()
	procs := backendtest.ProcessesMatching("webapp")
	var found bool
	for _, p := range procs {
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.PID))
		if !strings.Contains(string(env), "PID_FILE="+filepath.Join(stateDir, "tmp", instance+".pid")+"\x00") {
			continue
		}
		found = true
		u, err := user.LookupId(strconv.Itoa(p.UID))
		require.NoError(t, err)
		assert.Equal(t, wantUser, u.Username, "user of %s", instance)
	}
	assert.True(t, found, "no running process of %s", instance)
}

func nothingLeft(t *testing.T, d *deployment) {
	t.Helper()
	for _, port := range []int{5000, 5001, 5002, 5003, 5004, 5005, 8080, 8081} {
		silent(t, port)
	}
	backendtest.WaitFor(t, 10*time.Second, "no process of the deployment left", func() error {
		for _, p := range backendtest.ProcessesMatching(d.stateDir) {
			if filepath.Base(p.Cmdline[0]) != "s6-svscan" { // the supervision tree itself stays
				return fmt.Errorf("still running: %v", p.Cmdline)
			}
		}
		if left := backendtest.ProcessesMatching("-webapp/bin/webapp"); len(left) > 0 {
			return fmt.Errorf("still running: %v", left[0].Cmdline)
		}
		return nil
	})
}

// TestWebappsCycle is the cycle of the seed README for every backend that
// runs here: as root with users created and removed, and with user changes
// disabled.
func TestWebappsCycle(t *testing.T) {
	backendtest.Require(t, "nix-instantiate", "nginx", "curl")
	for _, c := range cases {
		for _, force := range []bool{false, true} {
			name := c.pm + "/users"
			if force {
				name = c.pm + "/force-disable-user-change"
			}
			t.Run(name, func(t *testing.T) {
				backendtest.Require(t, c.requires...)
				if !force {
					backendtest.RequireRoot(t)
				}
				d := newDeployment(t, c.pm, force)
				if c.options != nil {
					d.extra = c.options(d)
				}
				cycle(t, d)
			})
		}
	}
}

func cycle(t *testing.T, d *deployment) {
	// Accounts that exist already are not the deployment's: it must leave
	// them alone, and remove only those it creates.
	preexisting := map[string]bool{}
	for _, u := range []string{"webapp1", "webapp2", "webapp5"} {
		if _, err := user.Lookup(u); err == nil {
			preexisting[u] = true
		}
	}
	d.switchTo("processes.nix")
	answers(t, 8080, "webapp1.local", "webapp1")
	answers(t, 8080, "webapp2.local", "webapp2")
	if !d.force {
		runsAs(t, d.stateDir, "webapp1", "webapp1")
		_, err := user.Lookup("webapp2")
		assert.NoError(t, err, "user webapp2 was created")
	} else {
		runsAs(t, d.stateDir, "webapp1", currentUser(t))
	}

	d.switchTo("processes-advanced.nix")
	answers(t, 8080, "webapp1.local", "webapp1")
	answers(t, 8080, "webapp4.local", "webapp4")
	answers(t, 8081, "webapp6.local", "webapp6")

	d.run(true, "--rollback")
	answers(t, 8080, "webapp2.local", "webapp2")
	silent(t, 8081)
	silent(t, 5005)

	out, _ := d.run(true, "--list-generations")
	assert.Contains(t, out, "   1   ")
	assert.Regexp(t, `(?m)^\s+1\s+\S+ \S+\s+\(current\)$`, out, "generation 1 is current after the rollback")

	d.run(true, "--undeploy")
	nothingLeft(t, d)
	if !d.force {
		for _, u := range []string{"webapp1", "webapp2", "webapp5"} {
			_, err := user.Lookup(u)
			if preexisting[u] {
				assert.NoError(t, err, "user %s existed before and is kept", u)
			} else {
				assert.Error(t, err, "user %s is removed after undeploy", u)
			}
		}
	}
}

// startS6 runs s6-svscan for the deployment, as a user would run
// nixproc-s6-svscan at boot, and stops it once the deployment is gone.
func startS6(d *deployment) []string {
	cmd := exec.Command(tool(d.t, "nixproc-s6-svscan"), "--state-dir", d.stateDir)
	cmd.Env = d.env()
	require.NoError(d.t, cmd.Start())
	d.t.Cleanup(func() {
		d.run(false, "--undeploy")
		_ = exec.Command("s6-svscanctl", "-t", filepath.Join(d.stateDir, "run", "service")).Run()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	backendtest.WaitFor(d.t, 10*time.Second, "s6-svscan runs", func() error {
		_, err := os.Stat(filepath.Join(d.stateDir, "run", "service", ".s6-svscan"))
		return err
	})
	return []string{"--mode", "s6"}
}

func currentUser(t *testing.T) string {
	u, err := user.Current()
	require.NoError(t, err)
	return u.Username
}

// TestFailedUpgradeRestoresPreviousDeployment deploys the example, then a
// model with a process that cannot start: the switch fails naming it, and
// the previous deployment runs again as the current generation.
func TestFailedUpgradeRestoresPreviousDeployment(t *testing.T) {
	backendtest.Require(t, "nix-instantiate", "nginx", "curl")
	for _, c := range cases {
		t.Run(c.pm, func(t *testing.T) {
			backendtest.Require(t, c.requires...)
			d := newDeployment(t, c.pm, true)
			if c.options != nil {
				d.extra = c.options(d)
			}
			d.switchTo("processes.nix")
			answers(t, 8080, "webapp1.local", "webapp1")

			out, err := d.run(false, "testdata/failing.nix")
			require.Error(t, err, "deploying a process that cannot start must fail:\n%s", out)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			assert.Contains(t, lines[len(lines)-1], "broken", "the last line names the failing process")

			answers(t, 8080, "webapp1.local", "webapp1")
			answers(t, 8080, "webapp2.local", "webapp2")
			silent(t, 8081)
			gens, _ := d.run(true, "--list-generations")
			assert.Regexp(t, `(?m)^\s+1\s+\S+ \S+\s+\(current\)$`, gens)
			assert.NotContains(t, gens, "   2   ", "no generation was added")
		})
	}
}
