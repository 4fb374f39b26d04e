package dysnomia

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
	"nixproc/backends/systemd"
	"nixproc/cmdrun"
	"nixproc/dysnomia/agnosticconfig"
)

// sleeperConfig is an agnostic configuration of a process that is never
// started here (its process manager's commands are recorded).
func sleeperConfig(name string) map[string]any {
	return map[string]any{
		"name":                  name,
		"foregroundProcess":     "/bin/sleep",
		"foregroundProcessArgs": []string{"1000"},
		"pidFile":               "/run/" + name + ".pid",
	}
}

// profileFor generates a profile of a configuration for a process manager,
// the component a process manager's module deploys.
func (e *testEnv) profileFor(pm string, configs ...map[string]any) string {
	e.t.Helper()
	b, err := backends.Lookup(pm)
	require.NoError(e.t, err)
	comp := e.component("for-"+pm, configs...)
	path, err := agnosticconfig.Generate(context.Background(), b, agnosticconfig.GenerateOptions{
		Configs: []string{comp},
		Dirs:    agnostic.Dirs{StateDir: filepath.Join(e.dir, "state-"+pm)},
	})
	require.NoError(e.t, err)
	return path
}

// moduleCases is one component and container per module. Modules whose
// process manager cannot run here (or whose lifecycle the live tests cover)
// have their activate and deactivate run with recorded commands when
// recorded is set.
func moduleCases(e *testEnv) []struct {
	module    string
	component string
	props     Props
	recorded  bool
} {
	base := Props{"DYSNOMIA_STATEDIR": e.state}
	with := func(kv ...string) Props {
		p := Props{}
		for k, v := range base {
			p[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		return p
	}
	wrapper := filepath.Join(e.dir, "components", "wrapped")
	require.NoError(e.t, os.MkdirAll(filepath.Join(wrapper, "bin"), 0o755))
	require.NoError(e.t, os.WriteFile(filepath.Join(wrapper, "bin", "wrapper"), []byte("#!/bin/sh\nexit 0\n"), 0o755))
	plain := filepath.Join(e.dir, "components", "plain")
	require.NoError(e.t, os.MkdirAll(filepath.Join(plain, "bin"), 0o755))
	require.NoError(e.t, os.WriteFile(filepath.Join(plain, "bin", "daemon"), []byte("#!/bin/sh\nexit 0\n"), 0o755))
	managed := e.component("managed", sleeperConfig("managed"))
	unitDir := filepath.Join(e.dir, "units")
	plistDir := filepath.Join(e.dir, "plists")
	return []struct {
		module    string
		component string
		props     Props
		recorded  bool
	}{
		{"managed-process", managed, with("processManager", "sysvinit", "runlevel", "3", "stateDir", filepath.Join(e.dir, "state-managed")), true},
		{"process", plain, with("runtimeDir", filepath.Join(e.dir, "run")), false},
		{"sysvinit-script", e.profileFor("sysvinit", sleeperConfig("s")), with("runlevel", "3"), true},
		{"systemd-unit", e.profileFor("systemd", sleeperConfig("s")), with("systemdTargetDir", unitDir), true},
		{"supervisord-program", e.profileFor("supervisord", sleeperConfig("s")), base, false},
		{"s6-rc-service", e.profileFor("s6-rc", sleeperConfig("s")), base, false},
		{"launchd-daemon", e.profileFor("launchd", sleeperConfig("s")), with("launchdTargetDir", plistDir), true},
		{"bsdrc-script", e.profileFor("bsdrc", sleeperConfig("s")), base, true},
		{"cygrunsrv-service", e.profileFor("cygrunsrv", sleeperConfig("s")), base, true},
		{"docker-container", e.profileFor("docker", sleeperConfig("s")), base, false},
		{"wrapper", wrapper, base, true},
		{"echo", wrapper, base, true},
	}
}

// Every module answers every activity, and refuses an unknown one with one
// line naming it. Managers that cannot run here activate and deactivate
// with their commands recorded.
func TestEveryModuleAnswersEveryActivity(t *testing.T) {
	e := newTestEnv(t)
	rec := &cmdrun.Recorder{}
	e.runner = rec
	cases := moduleCases(e)
	var covered []string
	for _, c := range cases {
		covered = append(covered, c.module)
	}
	sort.Strings(covered)
	assert.Equal(t, ModuleNames(), covered, "every module has a case")

	for _, c := range cases {
		t.Run(c.module, func(t *testing.T) {
			for _, activity := range append(append([]string{}, Activities...), "bogus") {
				if (activity == "activate" || activity == "deactivate") && !c.recorded {
					continue // the live tests run these
				}
				rec.Calls = nil
				e.log = &syncBuffer{}
				err := e.run(c.module, activity, c.component, c.props)
				if activity == "bogus" {
					require.Error(t, err)
					assert.Contains(t, err.Error(), `unknown activity "bogus"`)
					assert.NotContains(t, err.Error(), "\n")
					assert.Empty(t, rec.Calls, "nothing runs for an unknown activity")
					continue
				}
				require.NoError(t, err, "%s %s", c.module, activity)
				if activity == "shell" && c.module != "wrapper" { // the wrapper speaks for itself
					assert.NotEmpty(t, e.log.String(), "shell says what can be done")
				}
				if activity == "activate" && c.module != "echo" {
					assert.NotEmpty(t, rec.Calls, "activate runs the process manager")
				}
			}
		})
	}
}

// systemd-unit: the component's units are linked into the target
// directory, the manager reloaded, the unit started; deactivation stops it
// and removes exactly its links (another component's stay).
func TestSystemdUnitRecorded(t *testing.T) {
	e := newTestEnv(t)
	rec := &cmdrun.Recorder{}
	e.runner = rec
	units := filepath.Join(e.dir, "units")
	require.NoError(t, os.MkdirAll(units, 0o755))
	require.NoError(t, os.Symlink("/elsewhere", filepath.Join(units, "other.service")))
	comp := e.profileFor("systemd", sleeperConfig("web"))
	props := Props{"DYSNOMIA_STATEDIR": e.state, "systemdTargetDir": units, "systemdUserServices": "1"}
	unit := systemd.UnitName("web")

	require.NoError(t, e.run("systemd-unit", "activate", comp, props))
	assert.Equal(t, []string{"systemctl --user daemon-reload", "systemctl --user start " + unit}, rec.Lines())
	target, err := os.Readlink(filepath.Join(units, unit))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(comp, "etc/systemd/system", unit), target)

	rec.Calls = nil
	require.NoError(t, e.run("systemd-unit", "deactivate", comp, props))
	assert.Equal(t, []string{"systemctl --user stop " + unit, "systemctl --user daemon-reload"}, rec.Lines())
	assert.NoFileExists(t, filepath.Join(units, unit))
	_, err = os.Lstat(filepath.Join(units, "other.service"))
	assert.NoError(t, err, "another component's unit stays")
}

// launchd, bsdrc and cygrunsrv cannot run here: their modules go through
// the backends' deployers with recorded commands.
func TestRecordedModules(t *testing.T) {
	e := newTestEnv(t)
	rec := &cmdrun.Recorder{}
	e.runner = rec
	plists := filepath.Join(e.dir, "plists")
	for _, c := range []struct {
		module, pm           string
		props                Props
		activate, deactivate []string
		installed            string
	}{
		{"launchd-daemon", "launchd", Props{"launchdTargetDir": plists},
			[]string{"launchctl bootstrap system " + filepath.Join(plists, "org.nixos.web.plist")},
			[]string{"launchctl bootout system/org.nixos.web"},
			filepath.Join(plists, "org.nixos.web.plist")},
		{"bsdrc-script", "bsdrc", Props{}, []string{"$P/etc/rc.d/web onestart"}, []string{"$P/etc/rc.d/web onestop"}, ""},
		{"cygrunsrv-service", "cygrunsrv", Props{},
			[]string{"cygrunsrv -I nix-process-web -p /bin/sleep -d nix-process-web -f web -a 1000", "cygrunsrv -S nix-process-web"},
			[]string{"cygrunsrv -E nix-process-web", "cygrunsrv -R nix-process-web"}, ""},
	} {
		t.Run(c.module, func(t *testing.T) {
			c.props["DYSNOMIA_STATEDIR"] = e.state
			comp := e.profileFor(c.pm, sleeperConfig("web"))
			lines := func() []string {
				out := rec.Lines()
				for i := range out {
					out[i] = strings.ReplaceAll(out[i], comp, "$P")
				}
				rec.Calls = nil
				return out
			}
			rec.Calls = nil
			require.NoError(t, e.run(c.module, "activate", comp, c.props))
			assert.Subset(t, lines(), c.activate)
			if c.installed != "" {
				assert.FileExists(t, c.installed)
			}
			require.NoError(t, e.run(c.module, "deactivate", comp, c.props))
			assert.Subset(t, lines(), c.deactivate)
			if c.installed != "" {
				assert.NoFileExists(t, c.installed)
			}
		})
	}
}

// A unit that fails to start rolls the activation back: stopped, unlinked.
func TestSystemdUnitFailedStartRollsBack(t *testing.T) {
	e := newTestEnv(t)
	units := filepath.Join(e.dir, "units")
	unit := systemd.UnitName("web")
	rec := &cmdrun.Recorder{Respond: func(c cmdrun.Cmd) ([]byte, error) {
		if c.String() == "systemctl start "+unit {
			return []byte("Job failed\n"), &cmdrun.Error{Cmd: c, Output: "Job failed\n", Err: exec.ErrNotFound}
		}
		return nil, nil
	}}
	e.runner = rec
	comp := e.profileFor("systemd", sleeperConfig("web"))
	err := e.run("systemd-unit", "activate", comp, Props{"DYSNOMIA_STATEDIR": e.state, "systemdTargetDir": units})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "starting web failed")
	assert.Equal(t, []string{"systemctl daemon-reload", "systemctl start " + unit, "systemctl stop " + unit, "systemctl daemon-reload"}, rec.Lines())
	assert.NoFileExists(t, filepath.Join(units, unit))
	assert.NoFileExists(t, filepath.Join(e.state, "activated", "test-systemd-unit", filepath.Base(comp)))
}

// A module refuses a profile of another process manager, naming the module
// that deploys it, and a component that is no profile when it needs one.
func TestModuleRefusesOtherComponents(t *testing.T) {
	e := newTestEnv(t)
	e.runner = &cmdrun.Recorder{}
	sysv := e.profileFor("sysvinit", sleeperConfig("s"))
	err := e.run("supervisord-program", "activate", sysv, Props{"DYSNOMIA_STATEDIR": e.state})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a profile for sysvinit, not supervisord (deploy it with the sysvinit-script module)")

	empty := filepath.Join(e.dir, "empty")
	require.NoError(t, os.MkdirAll(empty, 0o755))
	err = e.run("launchd-daemon", "activate", empty, Props{"DYSNOMIA_STATEDIR": e.state})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a profile built by nixproc")
	err = e.run("process", "activate", empty, Props{"DYSNOMIA_STATEDIR": e.state})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no process found")
	err = e.run("echo", "activate", filepath.Join(e.dir, "missing"), Props{"DYSNOMIA_STATEDIR": e.state})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no such file or directory")
}

// The Go table of process types is the Nix library's.
func TestProcessTypesMatchTheNixLibrary(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	lib, err := agnostic.NixLibDir()
	require.NoError(t, err)
	for _, pm := range append(backends.Names, "") {
		arg := `"` + pm + `"`
		if pm == "" {
			arg = "null"
		}
		out, err := exec.Command("nix-instantiate", "--eval", "--option", "substituters", "", "-E",
			`import `+filepath.Join(lib, "derive-dysnomia-process-type.nix")+` { processManager = `+arg+`; }`).CombinedOutput()
		require.NoError(t, err, string(out))
		assert.Equal(t, `"`+TypeFor(pm)+`"`, strings.TrimSpace(string(out)), "process manager %q", pm)
		_, ok := LookupModule(TypeFor(pm))
		assert.True(t, ok, "a module for %q", pm)
	}
}

// lock and unlock run the processes' lock and unlock commands of what
// managed-process activated; a component that is not active has nothing to
// lock.
func TestManagedProcessLockRunsLockCommands(t *testing.T) {
	e := newTestEnv(t)
	rec := &cmdrun.Recorder{}
	e.runner = rec
	config := sleeperConfig("web")
	config["lock"] = "drain web"
	config["unlock"] = "resume web"
	comp := e.component("web", config)
	props := e.container("sysvinit", "runlevel", "3")

	require.NoError(t, e.run("managed-process", "lock", comp, props))
	assert.Empty(t, rec.Calls, "nothing active, nothing to lock")
	require.NoError(t, e.run("managed-process", "activate", comp, props))
	for activity, want := range map[string]string{"lock": "/bin/sh -c drain web", "unlock": "/bin/sh -c resume web"} {
		rec.Calls = nil
		require.NoError(t, e.run("managed-process", activity, comp, props))
		assert.Equal(t, []string{want}, rec.Lines())
	}

	rec.Respond = func(c cmdrun.Cmd) ([]byte, error) {
		return []byte("busy\n"), &cmdrun.Error{Cmd: c, Output: "busy\n", Err: exec.ErrNotFound}
	}
	err := e.run("managed-process", "lock", comp, props)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot lock process web")
	rec.Respond = nil
	require.NoError(t, e.run("managed-process", "deactivate", comp, props))
}
