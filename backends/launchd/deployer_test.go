package launchd

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
	"nixproc/cmdrun"
)

// launchd cannot run here: these tests drive the real switch engine with
// launchctl calls recorded, and look at the plists it installs.

const (
	modelV1 = `{
  "db":  {"pkg": {"name": "db",  "process": "/usr/local/bin/db", "args": ["v1"]}},
  "old": {"pkg": {"name": "old", "process": "/usr/local/bin/old"}},
  "web": {"pkg": {"name": "web", "process": "/usr/local/bin/web", "dependencies": ["db"]}}}`
	modelV2 = `{
  "db":    {"pkg": {"name": "db",  "process": "/usr/local/bin/db", "args": ["v2"]}},
  "cache": {"pkg": {"name": "cache", "process": "/usr/local/bin/cache", "overrides": {"launchd": {"RunAtLoad": false}}}},
  "web":   {"pkg": {"name": "web", "process": "/usr/local/bin/web", "dependencies": ["db"]}}}`
)

func newRecorded(t *testing.T) (*backendtest.Recorded, string) {
	dir := filepath.Join(t.TempDir(), "LaunchDaemons")
	return backendtest.NewRecorded(t, Backend{}, map[string]string{OptionPlistDir: dir}), dir
}

// installed lists the installed plists with their modes, and checks each is
// a copy of the named profile's.
func installed(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		info, err := os.Lstat(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out = append(out, e.Name()+" "+info.Mode().String())
	}
	sort.Strings(out)
	return out
}

func TestRecordedLaunchctlDeployUpgradeRollbackUndeploy(t *testing.T) {
	r, dir := newRecorded(t)
	p1, p2 := r.Build(modelV1), r.Build(modelV2)

	require.NoError(t, r.Switch(p1))
	require.Equal(t, []string{
		"launchctl enable system/org.nixos.db",
		"launchctl bootstrap system " + dir + "/org.nixos.db.plist",
		"launchctl enable system/org.nixos.old",
		"launchctl bootstrap system " + dir + "/org.nixos.old.plist",
		"launchctl enable system/org.nixos.web",
		"launchctl bootstrap system " + dir + "/org.nixos.web.plist",
	}, r.Calls())
	require.Equal(t, []string{
		"org.nixos.db.plist -rw-r--r--", "org.nixos.old.plist -rw-r--r--", "org.nixos.web.plist -rw-r--r--",
	}, installed(t, dir))
	// launchd has no dependencies: said once per process that has some.
	require.Equal(t, 1, strings.Count(r.Stderr.String(), "warning: process web: launchd has no dependencies: nixproc starts it after db now, but launchd does not keep that order"))
	require.Equal(t, 1, strings.Count(r.Stderr.String(), "warning:"))
	same(t, filepath.Join(p1, plistRel("org.nixos.db")), filepath.Join(dir, "org.nixos.db.plist"))

	// Upgrade: unload what goes or changes in reverse order, load what
	// comes or changes; a job that does not run at load is kicked.
	require.NoError(t, r.Switch(p2))
	require.Equal(t, []string{
		"launchctl bootout system/org.nixos.web",
		"launchctl bootout system/org.nixos.old",
		"launchctl bootout system/org.nixos.db",
		"launchctl enable system/org.nixos.cache",
		"launchctl bootstrap system " + dir + "/org.nixos.cache.plist",
		"launchctl kickstart system/org.nixos.cache",
		"launchctl enable system/org.nixos.db",
		"launchctl bootstrap system " + dir + "/org.nixos.db.plist",
		"launchctl enable system/org.nixos.web",
		"launchctl bootstrap system " + dir + "/org.nixos.web.plist",
	}, r.Calls())
	require.Equal(t, []string{
		"org.nixos.cache.plist -rw-r--r--", "org.nixos.db.plist -rw-r--r--", "org.nixos.web.plist -rw-r--r--",
	}, installed(t, dir))
	same(t, filepath.Join(p2, plistRel("org.nixos.db")), filepath.Join(dir, "org.nixos.db.plist"))

	require.NoError(t, r.Rollback())
	require.Equal(t, []string{
		"launchctl bootout system/org.nixos.web",
		"launchctl bootout system/org.nixos.db",
		"launchctl bootout system/org.nixos.cache",
		"launchctl enable system/org.nixos.db",
		"launchctl bootstrap system " + dir + "/org.nixos.db.plist",
		"launchctl enable system/org.nixos.old",
		"launchctl bootstrap system " + dir + "/org.nixos.old.plist",
		"launchctl enable system/org.nixos.web",
		"launchctl bootstrap system " + dir + "/org.nixos.web.plist",
	}, r.Calls())
	require.Equal(t, p1, r.Current())

	// A job launchd does not know any more counts as unloaded.
	r.Recorder.Respond = func(c cmdrun.Cmd) ([]byte, error) {
		if c.String() == "launchctl bootout system/org.nixos.old" {
			return nil, backendtest.ExitError(c, 113, "Boot-out failed: 113: Could not find specified service")
		}
		return nil, nil
	}
	require.NoError(t, r.Switch(r.Build(`{}`)))
	require.Equal(t, []string{
		"launchctl bootout system/org.nixos.web",
		"launchctl bootout system/org.nixos.old",
		"launchctl bootout system/org.nixos.db",
	}, r.Calls())
	require.Empty(t, installed(t, dir))
}

func same(t *testing.T, a, b string) {
	t.Helper()
	da, err := os.ReadFile(a)
	require.NoError(t, err)
	db, err := os.ReadFile(b)
	require.NoError(t, err)
	require.Equal(t, string(da), string(db))
}

func TestRecordedLaunchctlFailedBootstrapRollsBack(t *testing.T) {
	r, dir := newRecorded(t)
	p1, p2 := r.Build(modelV1), r.Build(modelV2)
	require.NoError(t, r.Switch(p1))
	r.Calls()
	r.Stderr.Reset()
	failed := false
	r.Recorder.Respond = func(c cmdrun.Cmd) ([]byte, error) {
		if !failed && c.String() == "launchctl bootstrap system "+dir+"/org.nixos.web.plist" {
			failed = true
			return nil, backendtest.ExitError(c, 5, "Bootstrap failed: 5: Input/output error")
		}
		return nil, nil
	}
	err := r.Switch(p2)
	require.ErrorContains(t, err, "starting web failed")
	require.ErrorContains(t, err, "Input/output error")
	calls := r.Calls()
	require.Equal(t, []string{
		// roll back: unload what this switch loaded, load the old jobs
		"launchctl bootout system/org.nixos.web",
		"launchctl bootout system/org.nixos.db",
		"launchctl bootout system/org.nixos.cache",
		"launchctl enable system/org.nixos.db",
		"launchctl bootstrap system " + dir + "/org.nixos.db.plist",
		"launchctl enable system/org.nixos.old",
		"launchctl bootstrap system " + dir + "/org.nixos.old.plist",
		"launchctl enable system/org.nixos.web",
		"launchctl bootstrap system " + dir + "/org.nixos.web.plist",
	}, calls[len(calls)-9:])
	require.Equal(t, p1, r.Current())
	require.Equal(t, []string{
		"org.nixos.db.plist -rw-r--r--", "org.nixos.old.plist -rw-r--r--", "org.nixos.web.plist -rw-r--r--",
	}, installed(t, dir))
	same(t, filepath.Join(p1, plistRel("org.nixos.db")), filepath.Join(dir, "org.nixos.db.plist"))
	// The warning about dependencies was given once in all that.
	require.Equal(t, 1, strings.Count(r.Stderr.String(), "launchd has no dependencies"))
}

// A job whose files did not change keeps running, but its installed plist
// follows the new profile (where its proxy now is).
func TestRecordedLaunchctlUnchangedJobsGetTheNewProfilesPlist(t *testing.T) {
	r, dir := newRecorded(t)
	v1 := `{"db": {"pkg": {"name": "db", "daemon": "/usr/local/bin/db", "pidFile": "/var/run/db.pid"}},
	        "x": {"pkg": {"name": "x", "process": "/usr/local/bin/x", "args": ["1"]}}}`
	v2 := strings.Replace(v1, `["1"]`, `["2"]`, 1)
	p1, p2 := r.Build(v1), r.Build(v2)
	require.NoError(t, r.Switch(p1))
	require.Contains(t, read(t, filepath.Join(dir, "org.nixos.db.plist")), p1+"/libexec/org.nixos.db-foregroundproxy.sh")
	r.Calls()
	require.NoError(t, r.Switch(p2))
	require.Equal(t, []string{
		"launchctl bootout system/org.nixos.x",
		"launchctl enable system/org.nixos.x",
		"launchctl bootstrap system " + dir + "/org.nixos.x.plist",
	}, r.Calls())
	require.Contains(t, read(t, filepath.Join(dir, "org.nixos.db.plist")), p2+"/libexec/org.nixos.db-foregroundproxy.sh")
}

func read(t *testing.T, f string) string {
	t.Helper()
	data, err := os.ReadFile(f)
	require.NoError(t, err)
	return string(data)
}

// createLaunchdDaemon, at the original's file name.
func TestNixCreateLaunchdDaemon(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	file := filepath.Join(dir, "processes.nix")
	require.NoError(t, os.WriteFile(file, []byte(`
{ forceDisableUserChange ? false, ... }:
let
  createLaunchdDaemon = import <nixproc/backends/launchd/create-launchd-daemon.nix> {
    inherit forceDisableUserChange;
  };
in
{
  svc.pkg = createLaunchdDaemon {
    name = "svc";
    Program = "/usr/local/bin/svc";
    ProgramArguments = [ "/usr/local/bin/svc" "--port" 7000 ];
    KeepAlive = true;
    EnvironmentVariables.MODE = "prod";
  };
}`), 0o644))
	path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: file}})
	require.NoError(t, err)
	text := read(t, filepath.Join(path, plistRel("org.nixos.svc")))
	require.Contains(t, text, "<string>--port</string>\n\t\t\t<string>7000</string>")
	require.Contains(t, text, "<key>MODE</key>\n\t\t\t<string>prod</string>")
}
