package e2e

import (
	"bytes"
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
	"nixproc/imagebuild/podmantest"
)

// imageCases are the process managers a multi-process image runs with here,
// and what each needs on the host to build the image.
var imageCases = []struct {
	pm       string
	requires []string
}{
	{"sysvinit", []string{"daemon", "setpriv"}},
	{"disnix", []string{"daemon", "setpriv"}},
	{"supervisord", []string{"supervisord", "setpriv"}},
	// s6 supervises (s6-rc itself is not packaged here: plain s6 mode)
	{"s6-rc", []string{"s6-svscan", "execlineb", "setpriv"}},
}

// TestMultiProcessImages builds the seed README's example image
// (examples/multi-process-image) for every process manager, with and
// without user changes, loads it into podman and runs it with host
// networking as the README does: both webapps answer through nginx, each
// process runs as the user its credentials name (root when user changes
// are disabled), and podman stop ends every process in an orderly way, so
// the container exits 0 before podman's timeout would kill it.
func TestMultiProcessImages(t *testing.T) {
	backendtest.Require(t, "nix-instantiate", "nginx")
	engine := podmantest.New(t)
	for _, c := range imageCases {
		for _, force := range []bool{false, true} {
			name := c.pm + "/users"
			if force {
				name = c.pm + "/force-disable-user-change"
			}
			t.Run(name, func(t *testing.T) {
				backendtest.Require(t, c.requires...)
				runImage(t, engine, c.pm, force)
			})
		}
	}
}

func runImage(t *testing.T, engine *podmantest.Engine, pm string, force bool) {
	dir := t.TempDir()
	image := filepath.Join(dir, "image.tar")
	args := []string{"-o", image, "--argstr", "processManager=" + pm}
	if force {
		args = append(args, "--arg", "forceDisableUserChange=true")
	}
	cmd := execTool(t, "nixproc-build-image", append(args, "../examples/multi-process-image")...)
	cmd.Env = append(os.Environ(), "NIXPROC_BUILD_DIR="+filepath.Join(dir, "builds"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "nixproc-build-image:\n%s", out)

	// The example's ports are fixed: nothing else may answer on them.
	for _, port := range []int{5000, 5001, 8080} {
		silent(t, port)
	}
	require.Contains(t, engine.MustRun(t, "load", "--input", image), "multiprocess:test")
	t.Cleanup(func() { _, _ = engine.Run("rmi", "--force", "multiprocess:test") })
	container := "multiprocess-" + pm
	engine.MustRun(t, "run", "--detach", "--name", container, "--network", "host", "multiprocess:test")
	t.Cleanup(func() { _, _ = engine.Run("rm", "--force", "--time", "0", container) })
	logs := func() string { // the container's stdout and stderr
		out, _ := exec.Command(engine.Command, "logs", container).CombinedOutput()
		return string(out)
	}

	answers(t, 8080, "webapp1.local", "webapp1")
	answers(t, 8080, "webapp2.local", "webapp2")

	state := strings.Fields(engine.MustRun(t, "inspect", "--format", "{{.State.Status}} {{.State.Pid}}", container))
	require.Len(t, state, 2)
	require.Equal(t, "running", state[0], "the container runs:\n%s", logs())
	pid1, err := strconv.Atoi(state[1])
	require.NoError(t, err)
	procs := containerProcesses(t, pid1)
	webapps := 0
	for _, p := range procs {
		if strings.HasSuffix(p.exe, "-webapp/bin/webapp") {
			webapps++
			want := map[bool][]int{false: {2001, 2002}, true: {0}}[force]
			assert.Contains(t, want, p.uid, "user of %v", p.cmdline)
		}
		if strings.HasPrefix(p.cmdline, "nginx: worker") && !force {
			assert.Equal(t, 2000, p.uid, "nginx's workers run as nginx")
		}
		assert.NotEqual(t, byte('Z'), p.state, "no zombie in the container: %v", p.cmdline)
	}
	assert.Equal(t, 2, webapps, "both webapps run in the container:\n%s", logs())

	engine.MustRun(t, "stop", "--time", "20", container)
	code := strings.TrimSpace(engine.MustRun(t, "inspect", "--format", "{{.State.ExitCode}}", container))
	assert.Equal(t, "0", code, "the container stopped in an orderly way, not killed:\n%s", logs())
	silent(t, 8080)
	silent(t, 5000)
	silent(t, 5001)
	backendtest.WaitFor(t, 10*time.Second, "no process of the container left", func() error {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid1)); err == nil {
			return fmt.Errorf("PID 1 of the container (%d) is still there", pid1)
		}
		return nil
	})
	if pm != "supervisord" {
		assert.Contains(t, logs(), "nixproc init: stopping 3 processes")
	}
}

type containerProcess struct {
	pid, uid int
	state    byte
	exe      string
	cmdline  string
}

// containerProcesses lists the processes in the PID namespace of a
// container's PID 1, seen from the host.
func containerProcesses(t *testing.T, pid1 int) []containerProcess {
	t.Helper()
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid1))
	require.NoError(t, err)
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var out []containerProcess
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if other, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || other != ns {
			continue
		}
		p := containerProcess{pid: pid}
		p.exe, _ = os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		p.cmdline = strings.TrimSpace(string(bytes.ReplaceAll(raw, []byte{0}, []byte{' '})))
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) {
			p.state = stat[i+2]
		}
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "Uid:") {
				fmt.Sscanf(strings.TrimPrefix(l, "Uid:"), "%d", &p.uid)
			}
		}
		out = append(out, p)
	}
	return out
}
