package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// These tests run the nixproc binary as make install lays it out: links
// named after the tools in bin/, and the Dysnomia modules as links in
// libexec/dysnomia/, so they go through the argv[0] dispatch.

var (
	installOnce sync.Once
	installDir  string
	installErr  error
)

// installed builds nixproc and installs it into a temporary prefix.
func installed(t *testing.T) string {
	t.Helper()
	backendtest.Require(t, "go")
	installOnce.Do(func() {
		installDir, installErr = os.MkdirTemp("", "nixproc-install-")
		if installErr != nil {
			return
		}
		bin := filepath.Join(installDir, "bin")
		libexec := filepath.Join(installDir, "libexec", "dysnomia")
		for _, d := range []string{bin, libexec} {
			if installErr = os.MkdirAll(d, 0o755); installErr != nil {
				return
			}
		}
		nixproc := filepath.Join(bin, "nixproc")
		if out, err := exec.Command("go", "build", "-o", nixproc, ".").CombinedOutput(); err != nil {
			installErr = fmt.Errorf("go build: %v: %s", err, out)
			return
		}
		// The same commands as make install.
		for cmd, dir := range map[string]string{"tools": bin, "dysnomia-modules": libexec} {
			out, err := exec.Command(nixproc, cmd).Output()
			if err != nil {
				installErr = err
				return
			}
			target := "nixproc"
			if dir == libexec {
				target = "../../bin/nixproc"
			}
			for _, name := range strings.Fields(string(out)) {
				if installErr = os.Symlink(target, filepath.Join(dir, name)); installErr != nil {
					return
				}
			}
		}
	})
	require.NoError(t, installErr)
	return installDir
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs an installed program (bin/<name> or libexec/dysnomia/<name>).
func run(t *testing.T, env []string, program string, args ...string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(installed(t), program), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return r
}

// oneLineError checks a failure: non-zero status and one line on stderr.
func oneLineError(t *testing.T, r result, prefix, contains string) {
	t.Helper()
	assert.NotZero(t, r.code)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
	assert.True(t, strings.HasPrefix(r.stderr, prefix), "%q starts with %q", r.stderr, prefix)
	assert.Contains(t, r.stderr, contains)
}

func TestInstalledLayout(t *testing.T) {
	dir := installed(t)
	for _, name := range []string{"bin/dysnomia", "bin/dysnomia-addusers", "bin/dysnomia-delusers", "bin/dysnomia-addgroups", "bin/dysnomia-delgroups", "bin/nixproc-generate-config",
		"libexec/dysnomia/managed-process", "libexec/dysnomia/process", "libexec/dysnomia/sysvinit-script", "libexec/dysnomia/echo", "libexec/dysnomia/wrapper"} {
		_, err := os.Lstat(filepath.Join(dir, name))
		assert.NoError(t, err, name)
	}
	_, err := os.Lstat(filepath.Join(dir, "bin", "nixproc-dysnomia-module"))
	assert.True(t, os.IsNotExist(err), "modules are reached through libexec/dysnomia")
}

// A module link runs the module: `<module> <activity> <component>
// [<container>]` with the properties in the environment.
func TestModuleLinks(t *testing.T) {
	comp := t.TempDir()
	state := "DYSNOMIA_STATEDIR=" + filepath.Join(comp, "state")
	r := run(t, []string{state, "greeting=hello there"}, "libexec/dysnomia/echo", "activate", comp, "/etc/dysnomia/containers/test")
	require.Zero(t, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Echo module: Activate service: "+comp+"\n")
	assert.Contains(t, r.stdout, "\ngreeting=hello there\n")
	assert.FileExists(t, filepath.Join(comp, "state", "activated", "test", filepath.Base(comp)))

	oneLineError(t, run(t, []string{state}, "libexec/dysnomia/echo", "bogus", comp), "dysnomia: echo: ", `unknown activity "bogus"`)
	oneLineError(t, run(t, []string{state}, "libexec/dysnomia/process", "activate", filepath.Join(comp, "missing")), "dysnomia: process activate: component "+filepath.Join(comp, "missing")+": ", "no such file or directory")
	oneLineError(t, run(t, []string{state}, "libexec/dysnomia/managed-process", "activate", comp), "dysnomia: managed-process activate ", "the container has no processManager property")
	oneLineError(t, run(t, []string{state, "processManager=upstart"}, "libexec/dysnomia/managed-process", "activate", comp), "dysnomia: managed-process activate ", `unknown process manager "upstart"`)
}

// The dysnomia command: the container file is read as text (its type picks
// the module, the rest are properties), a module in DYSNOMIA_MODULES_PATH
// gets exactly the container's properties, PATH and DYSNOMIA_STATEDIR.
func TestDysnomiaCommand(t *testing.T) {
	dir := t.TempDir()
	containers := filepath.Join(dir, "containers")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "components", "echoes", "comp"), 0o755))
	require.NoError(t, os.MkdirAll(containers, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(containers, "echoes"), []byte("type=echo\ngreeting='hello  there' # two spaces\n"), 0o644))
	modules := filepath.Join(dir, "modules")
	require.NoError(t, os.MkdirAll(modules, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(modules, "mine"), []byte("#!/bin/sh\necho \"$1|$2|$3\"\nenv | sort\n"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(containers, "mine"), []byte("type=mine\ngreeting=hi\n"), 0o644))
	env := []string{"DYSNOMIA_STATEDIR=" + filepath.Join(dir, "state"), "DYSNOMIA_CONTAINERS_PATH=" + containers,
		"DYSNOMIA_COMPONENTS_PATH=" + filepath.Join(dir, "components"), "DYSNOMIA_MODULES_PATH=" + modules}

	r := run(t, env, "bin/dysnomia", "--operation", "lock", "--component", "comp", "--container", "echoes")
	require.Zero(t, r.code, r.stderr)
	comp := filepath.Join(dir, "components", "echoes", "comp")
	assert.Contains(t, r.stdout, "Echo module: Lock service: "+comp+"\n")
	assert.Contains(t, r.stdout, "\ngreeting=hello  there\n")
	assert.NotContains(t, r.stdout, "type=")

	r = run(t, env, "bin/dysnomia", "-o", "activate", "-c", comp, "-C", "mine")
	require.Zero(t, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	assert.Equal(t, "activate|"+comp+"|"+filepath.Join(containers, "mine"), lines[0])
	var names []string
	for _, l := range lines[1:] {
		names = append(names, strings.SplitN(l, "=", 2)[0])
	}
	assert.Subset(t, []string{"DYSNOMIA_STATEDIR", "PATH", "PWD", "SHLVL", "_", "greeting"}, names, "only the container's properties: %v", names)

	r = run(t, append(env, "greeting=from the environment"), "bin/dysnomia", "--operation", "lock", "--component", comp, "--type", "echo", "--environment")
	require.Zero(t, r.code, r.stderr)
	assert.Contains(t, r.stdout, "\ngreeting=from the environment\n")

	r = run(t, env, "bin/dysnomia", "--shell", "--component", comp, "--container", "echoes", "--command", `echo "[$greeting] $this_container"`)
	require.Zero(t, r.code, r.stderr)
	assert.Contains(t, r.stdout, "[hello  there] "+filepath.Join(containers, "echoes")+"\n")
	assert.Contains(t, r.stderr, "This is the echo shell session")

	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(bad, []byte("type=echo\nhost=$(hostname)\n"), 0o644))
	oneLineError(t, run(t, env, "bin/dysnomia", "-o", "activate", "-c", comp, "-C", bad), "dysnomia: container "+bad+": line 2: host: ", "not expanded")
	require.NoError(t, os.WriteFile(bad, []byte("greeting=hi\n"), 0o644))
	oneLineError(t, run(t, env, "bin/dysnomia", "-o", "activate", "-c", comp, "-C", bad), "dysnomia: ", "no type specified")
	oneLineError(t, run(t, env, "bin/dysnomia", "-o", "activate", "-c", comp, "-C", "nowhere"), "dysnomia: ", "no container configuration found for nowhere")
	oneLineError(t, run(t, env, "bin/dysnomia", "-o", "activate", "-c", "nothing", "-C", "echoes"), "dysnomia: ", "no component configuration found for nothing")
	oneLineError(t, run(t, env, "bin/dysnomia", "-o", "dance", "-c", comp, "-C", "echoes"), "dysnomia: echo: ", `unknown activity "dance"`)
	require.NoError(t, os.WriteFile(bad, []byte("type=frobnicator\n"), 0o644))
	oneLineError(t, run(t, env, "bin/dysnomia", "-o", "activate", "-c", comp, "-C", bad), "dysnomia: ", "module frobnicator cannot be found")
}

// The managed-process module through the dysnomia command, as Disnix runs
// it: a component of agnostic configurations, a container file naming the
// process manager; the webapp answers, and deactivation leaves nothing.
func TestDysnomiaManagedProcessWithSysvinit(t *testing.T) {
	backendtest.Require(t, "go", "bash")
	dir, err := os.MkdirTemp("", "npcli-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	webapp := backendtest.BuildWebapp(t, filepath.Join(dir, "webapp"))
	port := backendtest.FreePorts(t, 1)[0]
	comp := filepath.Join(dir, "component")
	require.NoError(t, os.MkdirAll(comp, 0o755))
	pid := filepath.Join(dir, "webapp.pid")
	config, _ := json.Marshal(map[string]any{
		"name": "webapp", "process": webapp, "daemonArgs": []string{"-D"}, "pidFile": pid,
		"environment": map[string]any{"PORT": port, "PID_FILE": pid},
	})
	require.NoError(t, os.WriteFile(filepath.Join(comp, "webapp.json"), config, 0o644))
	container := filepath.Join(dir, "container")
	require.NoError(t, os.WriteFile(container, []byte("type=managed-process\nprocessManager=sysvinit\nstateDir="+filepath.Join(dir, "state")+"\nrunlevel=3\n"), 0o644))
	env := []string{"DYSNOMIA_STATEDIR=" + filepath.Join(dir, "dysnomia"), "NIXPROC_BUILD_DIR=" + filepath.Join(dir, "builds")}
	t.Cleanup(func() {
		run(t, env, "bin/dysnomia", "-o", "deactivate", "-c", comp, "-C", container)
		for _, p := range backendtest.ProcessesMatching(dir + "/") {
			_ = syscall.Kill(p.PID, syscall.SIGKILL)
		}
	})

	r := run(t, env, "bin/dysnomia", "--operation", "activate", "--component", comp, "--container", container)
	require.Zero(t, r.code, r.stderr)
	body, err := backendtest.Get(port, "")
	require.NoError(t, err)
	assert.Contains(t, body, fmt.Sprintf("listening on port: %d", port))

	r = run(t, env, "bin/dysnomia", "--operation", "deactivate", "--component", comp, "--container", container)
	require.Zero(t, r.code, r.stderr)
	assert.False(t, backendtest.Listening(port))
	assert.Empty(t, backendtest.ProcessesMatching(dir+"/"))
}

func TestGenerateConfigCommand(t *testing.T) {
	dir := t.TempDir()
	env := []string{"NIXPROC_BUILD_DIR=" + filepath.Join(dir, "builds")}
	config := filepath.Join(dir, "web.json")
	require.NoError(t, os.WriteFile(config, []byte(`{"name": "web", "foregroundProcess": "/bin/sleep", "foregroundProcessArgs": ["100"], "dependencies": ["db"]}`), 0o644))

	r := run(t, env, "bin/nixproc-generate-config", "-P", "supervisord", "--state-dir", filepath.Join(dir, "state"), "--no-out-link", config)
	require.Zero(t, r.code, r.stderr)
	profile := strings.TrimSpace(r.stdout)
	assert.FileExists(t, filepath.Join(profile, "conf.d", "web.conf"))
	assert.Contains(t, r.stderr, "process web depends on db, which is not among the configurations")

	r = run(t, env, "bin/nixproc-generate-config", "-P", "sysvinit", "-o", filepath.Join(dir, "link"), config)
	require.Zero(t, r.code, r.stderr)
	target, err := os.Readlink(filepath.Join(dir, "link"))
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(r.stdout), target)

	oneLineError(t, run(t, env, "bin/nixproc-generate-config", "-P", "upstart", config), "nixproc-generate-config: ", `unknown process manager "upstart"`)
	oneLineError(t, run(t, env, "bin/nixproc-generate-config", config), "nixproc-generate-config: ", "no process manager specified")
	require.NoError(t, os.WriteFile(config, []byte(`{"name": "web"}`), 0o644))
	oneLineError(t, run(t, env, "bin/nixproc-generate-config", "-P", "sysvinit", config), "nixproc-generate-config: configuration "+config+": ", "nothing to run")
}

// nixproc build --agnostic-configs writes <name>.json per process; a JSON
// model needs no Nix.
func TestBuildAgnosticConfigsCommand(t *testing.T) {
	dir := t.TempDir()
	env := []string{"NIXPROC_BUILD_DIR=" + filepath.Join(dir, "builds")}
	model := filepath.Join(dir, "processes.json")
	require.NoError(t, os.WriteFile(model, []byte(`{
	  "db": {"pkg": {"name": "db", "process": "/bin/db", "args": ["-q"]}},
	  "web": {"pkg": {"name": "web", "process": "/bin/web", "dependencies": ["db"]}, "port": 80}
	}`), 0o644))
	r := run(t, env, "bin/nixproc-build", "--agnostic-configs", "-o", filepath.Join(dir, "configs"), model)
	require.Zero(t, r.code, r.stderr)
	out := strings.TrimSpace(r.stdout)
	data, err := os.ReadFile(filepath.Join(dir, "configs", "web.json"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"name": "web", "description": "web", "daemon": "/bin/web", "daemonArgs": [], "foregroundProcess": "/bin/web", "foregroundProcessArgs": [], "dependencies": ["db"]}`, string(data))
	assert.FileExists(t, filepath.Join(out, "db.json"))

	oneLineError(t, run(t, env, "bin/nixproc-build", "--agnostic-configs", "-P", "sysvinit", model), "nixproc-build: ", "takes no --process-manager")
}

// The user tools create a component's accounts and remove those they
// created.
func TestUserToolCommands(t *testing.T) {
	backendtest.RequireRoot(t)
	backendtest.Require(t, "useradd", "groupadd")
	dir := t.TempDir()
	name := fmt.Sprintf("npcli%d", os.Getpid()%100000)
	t.Cleanup(func() {
		exec.Command("userdel", name).Run()
		exec.Command("groupdel", name).Run()
	})
	comp := filepath.Join(dir, "comp")
	for kind, text := range map[string]string{"groups": "", "users": "group=" + name + "\ndescription='nixproc CLI test'\n"} {
		require.NoError(t, os.MkdirAll(filepath.Join(comp, "dysnomia-support", kind), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(comp, "dysnomia-support", kind, name), []byte(text), 0o644))
	}
	env := []string{"DYSNOMIA_STATEDIR=" + filepath.Join(dir, "state")}
	for _, tool := range []string{"dysnomia-addgroups", "dysnomia-addusers"} {
		r := run(t, env, "bin/"+tool, comp)
		require.Zero(t, r.code, "%s: %s", tool, r.stderr)
	}
	u, err := user.Lookup(name)
	require.NoError(t, err)
	assert.Equal(t, "nixproc CLI test", u.Name)
	for _, tool := range []string{"dysnomia-delusers", "dysnomia-delgroups"} {
		r := run(t, env, "bin/"+tool, comp)
		require.Zero(t, r.code, "%s: %s", tool, r.stderr)
	}
	_, err = user.Lookup(name)
	assert.Error(t, err)
	_, err = user.LookupGroup(name)
	assert.Error(t, err)
	oneLineError(t, run(t, env, "bin/dysnomia-addusers", filepath.Join(dir, "missing")), "dysnomia-addusers: ", "is not valid: no such file or directory")
}

// TestMain removes the installation the tests made.
func TestMain(m *testing.M) {
	code := m.Run()
	if installDir != "" {
		os.RemoveAll(installDir)
	}
	os.Exit(code)
}
