package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
	"nixproc/cmdrun"
	"nixproc/imagebuild/podmantest"
)

// deployment deploys models with the docker backend on a private podman,
// through the same build and switch the docker-switch command runs.
type deployment struct {
	t        *testing.T
	engine   *podmantest.Engine
	dirs     agnostic.Dirs
	force    bool
	profiles backends.Profiles
	stderr   bytes.Buffer
}

func newDeployment(t *testing.T, force bool) *deployment {
	engine := podmantest.New(t)
	backendtest.Require(t, "nix-instantiate", "nix-store", "ldd")
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	d := &deployment{
		t:        t,
		engine:   engine,
		dirs:     agnostic.Dirs{StateDir: filepath.Join(dir, "state")},
		force:    force,
		profiles: backends.ProfileLocation(filepath.Join(dir, "profiles", "processes")),
	}
	// Undeploy before the engine goes: the host accounts the switch made
	// go too.
	t.Cleanup(func() {
		if err := d.switchTo("", ""); err != nil {
			t.Logf("undeploying: %v", err)
		}
	})
	return d
}

func (d *deployment) env() *backends.Env {
	return &backends.Env{
		Dirs:                   d.dirs.Resolved(),
		ForceDisableUserChange: d.force,
		Runner:                 cmdrun.Exec{},
		Stdout:                 &d.stderr,
		Stderr:                 &d.stderr,
		Options:                map[string]string{DockerOption: d.engine.Command},
	}
}

// switchTo builds a model (a file; "" is the empty model) and deploys it.
func (d *deployment) switchTo(model, extraParams string) error {
	ctx := context.Background()
	path, err := backends.Build(ctx, Backend{}, backends.BuildOptions{
		Eval:                   agnostic.EvalOptions{ExprFile: model, Dirs: d.dirs, ExtraParams: extraParams},
		ForceDisableUserChange: d.force,
	})
	if err != nil {
		return err
	}
	return backends.Switch(ctx, backends.SwitchOptions{Env: d.env(), Profiles: d.profiles, NewPath: path})
}

func (d *deployment) rollback() error {
	n, err := d.profiles.Previous()
	if err != nil {
		return err
	}
	return backends.Switch(context.Background(), backends.SwitchOptions{Env: d.env(), Profiles: d.profiles, Generation: n})
}

func (d *deployment) generation() int {
	_, n, err := d.profiles.Current()
	require.NoError(d.t, err)
	return n
}

// answers waits until the port serves the page of the instance.
func answers(t *testing.T, port int, instance string) {
	t.Helper()
	backendtest.WaitFor(t, 60*time.Second, fmt.Sprintf("webapp %s on port %d", instance, port), func() error {
		body, err := backendtest.Get(port, "")
		if err != nil {
			return err
		}
		if want := fmt.Sprintf("%s listening on port: %d", instance, port); !strings.Contains(body, want) {
			return fmt.Errorf("the page does not say %q: %s", want, body)
		}
		return nil
	})
}

// processUIDs returns the user IDs of the processes (in any container: the
// host sees them all) whose environment has PORT=<port>.
func processUIDs(port int) []int {
	var uids []int
	for _, p := range backendtest.ProcessesMatching("/bin/webapp") {
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.PID))
		if err == nil && bytes.Contains(append([]byte{0}, env...), []byte(fmt.Sprintf("\x00PORT=%d\x00", port))) {
			uids = append(uids, p.UID)
		}
	}
	return uids
}

func TestWebappDeployUpgradeRollbackUndeployWithPodman(t *testing.T) {
	d := newDeployment(t, false)
	model, err := filepath.Abs("testdata/webapp.nix")
	require.NoError(t, err)
	ports := backendtest.FreePorts(t, 2)
	port, daemonPort := ports[0], ports[1]
	account := "nixproc-dockertest"
	params := func(instance, extra string) string {
		return fmt.Sprintf(`{ port = %d; instance = %q; user = %q; %s }`, port, instance, account, extra)
	}

	// Deploy: the container runs the webapp from the Nix store as the
	// process's user, with the user ID the host gave it.
	require.NoError(t, d.switchTo(model, params("one", "")), d.stderr.String())
	answers(t, port, "one")
	require.Equal(t, []string{"nixproc-webapp"}, d.engine.Containers(t))
	require.Len(t, d.engine.Images(t), 1)
	require.True(t, strings.HasPrefix(d.engine.Images(t)[0], "localhost/nixproc-webapp:"), d.engine.Images(t)[0])
	host, err := user.Lookup(account)
	require.NoError(t, err, "the switch creates the process's user on the host")
	uid, _ := strconv.Atoi(host.Uid)
	require.Equal(t, []int{uid}, processUIDs(port))
	mounts := d.engine.MustRun(t, "inspect", "--format", "{{range .Mounts}}{{.Destination}} rw={{.RW}};{{end}} network={{.HostConfig.NetworkMode}} restart={{.HostConfig.RestartPolicy.Name}}", "nixproc-webapp")
	require.Contains(t, mounts, "/nix/store rw=false;")
	require.Contains(t, mounts, d.dirs.StateDir+" rw=true;")
	require.Contains(t, mounts, "network=host")
	require.Contains(t, mounts, "restart=unless-stopped")

	// A failed upgrade names the process and leaves the deployment as it was.
	err = d.switchTo(model, params("two", "broken = true;"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "broken")
	require.Contains(t, err.Error(), "no-such-program-nixproc")
	require.Equal(t, 1, d.generation())
	answers(t, port, "one")
	require.Equal(t, []string{"nixproc-webapp"}, d.engine.Containers(t))
	require.Len(t, d.engine.Images(t), 1)

	// A container removed behind nixproc's back comes back with the next
	// switch, though nothing changed.
	d.engine.MustRun(t, "rm", "--force", "nixproc-webapp")
	require.NoError(t, d.switchTo(model, params("one", "")), d.stderr.String())
	answers(t, port, "one")

	// Upgrade: the changed webapp gets a new container and image, the new
	// daemon-only webapp runs through the foreground proxy as its user.
	require.NoError(t, d.switchTo(model, params("two", fmt.Sprintf("daemonPort = %d;", daemonPort))), d.stderr.String())
	answers(t, port, "two")
	answers(t, daemonPort, "daemon")
	require.ElementsMatch(t, []string{"nixproc-webapp", "nixproc-webappd"}, d.engine.Containers(t))
	require.Len(t, d.engine.Images(t), 2, "the old image of webapp is gone")
	require.Equal(t, []int{uid}, processUIDs(daemonPort))
	gen := d.generation()

	// Rollback: the first webapp again, the daemon's container and image gone.
	require.NoError(t, d.rollback(), d.stderr.String())
	require.Equal(t, gen-1, d.generation())
	answers(t, port, "one")
	require.Equal(t, []string{"nixproc-webapp"}, d.engine.Containers(t))
	require.Len(t, d.engine.Images(t), 1)
	require.False(t, backendtest.Listening(daemonPort))
	require.Empty(t, processUIDs(daemonPort))

	// Undeploy: no container, no image, no process, no user of ours.
	require.NoError(t, d.switchTo("", ""), d.stderr.String())
	require.Empty(t, d.engine.Containers(t))
	require.Empty(t, d.engine.Images(t))
	require.False(t, backendtest.Listening(port))
	require.Empty(t, processUIDs(port))
	_, err = user.Lookup(account)
	require.Error(t, err, "the user the switch created is removed")
}

// recorded is what testdata/recorder writes.
type recorded struct {
	Args       []string `json:"args"`
	Env        []string `json:"env"`
	UID        int      `json:"uid"`
	StoreWrite string   `json:"storeWrite"`
}

func TestExactBytesArriveInTheContainerWithPodman(t *testing.T) {
	d := newDeployment(t, true)
	store := podmantest.BuildIntoStore(t, "./testdata/recorder", "recorder")
	args := []string{"with space", "it's", `"double"`, "$HOME", "100%", `back\slash`, `\n`, "semi;colon", "#hash", "new\nline", "ünïcödé ☃", "", "-x"}
	env := map[string]string{
		"DOLLAR": "$PATH", "QUOTES": `'"`, "NEWLINE": "a\nb", "PERCENT": "%s%%", "BACKSLASH": `\n\`,
		"SEMI": "a;b #c", "UNICODE": "ünïcödé ☃", "SPACES": "  two  spaces  ", "EMPTY": "",
	}
	state := d.dirs.Resolved()
	files := map[string]string{}
	model := map[string]any{}
	// plain runs as the container's command; proxied runs through the
	// foreground proxy (an initialize makes it need one), which quotes
	// everything into a bash script.
	for _, name := range []string{"plain", "proxied"} {
		files[name] = filepath.Join(state.LibDir, name+".json")
		e := map[string]string{"RECORD_TO": files[name]}
		for k, v := range env {
			e[k] = v
		}
		pkg := map[string]any{
			"name": name, "foregroundProcess": store + "/bin/recorder", "foregroundProcessArgs": args, "environment": e,
		}
		if name == "proxied" {
			pkg["initialize"] = "mkdir -p " + state.LibDir
		}
		model[name] = map[string]any{"pkg": pkg}
	}
	data, err := json.Marshal(model)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "processes.json")
	require.NoError(t, os.WriteFile(file, data, 0o644))

	require.NoError(t, d.switchTo(file, ""), d.stderr.String())
	for _, name := range []string{"plain", "proxied"} {
		var got recorded
		backendtest.WaitFor(t, 60*time.Second, name+" writes what it received", func() error {
			data, err := os.ReadFile(files[name])
			if err != nil {
				return err
			}
			return json.Unmarshal(data, &got)
		})
		require.Equal(t, args, got.Args, name)
		gotEnv := map[string]string{}
		for _, kv := range got.Env {
			k, v, _ := strings.Cut(kv, "=")
			gotEnv[k] = v
		}
		for k, v := range env {
			require.Contains(t, gotEnv, k, name)
			require.Equal(t, v, gotEnv[k], "%s: environment variable %s", name, k)
		}
		require.Equal(t, 0, got.UID, "%s: without user changes the process runs as root", name)
		require.Contains(t, got.StoreWrite, "read-only file system", "%s: /nix/store is mounted read-only", name)
	}
	require.NoError(t, d.switchTo("", ""), d.stderr.String())
	require.Empty(t, d.engine.Containers(t))
	require.Empty(t, d.engine.Images(t))
}
