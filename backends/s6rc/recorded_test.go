package s6rc

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/cmdrun"
)

// recordedS6RC deploys through the switch engine in s6-rc mode with a
// recorder in place of the s6 and s6-rc tools (s6-rc is not packaged
// here). The recorder does to the file system what the tools would (a
// compiled database directory, the live directory's compiled link), so the
// deployer sees the state it would see.
type recordedS6RC struct {
	t           *testing.T
	dir         string
	dirs        agnostic.Dirs
	profiles    backends.Profiles
	rec         *cmdrun.Recorder
	conversions []string
	failing     string // a service that dies right after it starts
	names       map[string]string
}

func newRecordedS6RC(t *testing.T) *recordedS6RC {
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	t.Setenv("NIXPROC_START_SETTLE", "")
	r := &recordedS6RC{
		t: t, dir: dir,
		dirs:     agnostic.Dirs{StateDir: filepath.Join(dir, "state")},
		profiles: backends.Profiles{Dir: filepath.Join(dir, "profiles"), Name: "processes"},
		names:    map[string]string{},
	}
	r.rec = &cmdrun.Recorder{Respond: r.respond}
	return r
}

func arg(c cmdrun.Cmd, flag string) string {
	for i, a := range c.Args {
		if a == flag && i+1 < len(c.Args) {
			return c.Args[i+1]
		}
	}
	return ""
}

func (r *recordedS6RC) respond(c cmdrun.Cmd) ([]byte, error) {
	last := c.Args[len(c.Args)-1]
	switch c.Path {
	case "s6-rc-compile":
		return nil, os.MkdirAll(c.Args[0], 0o755)
	case "s6-rc-init":
		live := arg(c, "-l")
		require.NoError(r.t, os.MkdirAll(live, 0o755))
		return nil, os.Symlink(arg(c, "-c"), filepath.Join(live, "compiled"))
	case "s6-rc-update":
		conv, err := os.ReadFile(arg(c, "-f"))
		require.NoError(r.t, err, "the conversion file exists while s6-rc-update runs")
		r.conversions = append(r.conversions, string(conv))
		link := filepath.Join(arg(c, "-l"), "compiled")
		os.Remove(link)
		return nil, os.Symlink(last, link)
	case "s6-svwait":
		if filepath.Base(last) == r.failing {
			r.failing = ""  // once: it starts again on the way back
			return nil, nil // it went down
		}
		return nil, errors.New("s6-svwait: fatal: timed out")
	case "s6-svstat":
		return []byte("true\n"), nil
	}
	return nil, nil
}

func (r *recordedS6RC) build(name string, model map[string]any) string {
	data, err := json.Marshal(model)
	require.NoError(r.t, err)
	file := filepath.Join(r.t.TempDir(), "processes.json")
	require.NoError(r.t, os.WriteFile(file, data, 0o644))
	path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{
		Eval:                   agnostic.EvalOptions{ExprFile: file, Dirs: r.dirs},
		ForceDisableUserChange: true,
	})
	require.NoError(r.t, err)
	r.names[filepath.Base(path)] = name
	return path
}

// deploy switches to a model and returns the calls it made, with the
// temporary directory written $D and profiles by their names.
func (r *recordedS6RC) deploy(name string, model map[string]any) ([]string, error) {
	path := r.build(name, model)
	r.rec.Calls = nil
	env := &backends.Env{
		Dirs: r.dirs.Resolved(), ForceDisableUserChange: true, Runner: r.rec,
		Stdout: &strings.Builder{}, Stderr: &strings.Builder{},
		Options: map[string]string{ModeOption: ModeS6RC},
	}
	err := backends.Switch(context.Background(), backends.SwitchOptions{Env: env, Profiles: r.profiles, NewPath: path})
	var lines []string
	for _, l := range r.rec.Lines() {
		l = strings.ReplaceAll(l, filepath.Join(r.dir, "builds")+"/", "")
		for base, n := range r.names {
			l = strings.ReplaceAll(l, base, n)
		}
		lines = append(lines, strings.ReplaceAll(l, r.dir, "$D"))
	}
	return lines, err
}

func app(name string, extra map[string]any, deps ...string) map[string]any {
	pkg := map[string]any{"name": name, "foregroundProcess": "/bin/" + name, "dependencies": deps}
	for k, v := range extra {
		pkg[k] = v
	}
	if deps == nil {
		pkg["dependencies"] = []string{}
	}
	return map[string]any{"pkg": pkg}
}

func TestS6RCDeployerCallsRecorded_S6RCIsNotPackagedHere(t *testing.T) {
	r := newRecordedS6RC(t)
	const (
		scan = "$D/state/run/service"
		live = "$D/state/run/s6-rc"
		rc   = "$D/state/etc/s6/rc"
	)
	up := func(name string) []string {
		return []string{
			"s6-rc -l " + live + " -u change " + name,
			"s6-svwait -d -t 300 " + scan + "/" + name + "-srv",
			"s6-svstat -o up " + scan + "/" + name + "-srv",
		}
	}
	seq := func(parts ...any) []string {
		var out []string
		for _, p := range parts {
			switch v := p.(type) {
			case string:
				out = append(out, v)
			case []string:
				out = append(out, v...)
			}
		}
		return out
	}

	// First deployment: compile, s6-rc-init, then every process in order.
	calls, err := r.deploy("v1", map[string]any{"webapp1": app("webapp1", nil), "webapp2": app("webapp2", nil, "webapp1")})
	require.NoError(t, err)
	assert.Equal(t, seq(
		"s6-svscanctl -a "+scan,
		"s6-rc-compile "+rc+"/compiled-v1 v1/etc/s6/sv",
		"s6-rc-init -c "+rc+"/compiled-v1 -l "+live+" "+scan,
		up("webapp1"), up("webapp2"),
		"s6-rc -l "+live+" -u change default",
	), calls)
	compiled, _ := os.Readlink(filepath.Join(r.dir, "state/etc/s6/rc/compiled"))
	assert.Equal(t, filepath.Join(r.dir, "state/etc/s6/rc/compiled-"+firstKey(r.names, "v1")), compiled)

	// Upgrade: webapp2 changes. It is brought down, the live state is
	// updated with a conversion file that restarts its changed service,
	// and it comes up again; webapp1 is not touched.
	calls, err = r.deploy("v2", map[string]any{"webapp1": app("webapp1", nil), "webapp2": app("webapp2", map[string]any{"args": []string{"--v2"}}, "webapp1")})
	require.NoError(t, err)
	assert.Equal(t, seq(
		"s6-svscanctl -a "+scan,
		"s6-rc-compile "+rc+"/compiled-v2 v2/etc/s6/sv",
		"s6-rc -l "+live+" -d change webapp2",
		"s6-rc-update -l "+live+" -f "+rc+"/conversion-v2 "+rc+"/compiled-v2",
		up("webapp2"),
		"s6-rc -l "+live+" -u change default",
	), calls)
	assert.Equal(t, []string{"webapp2-srv restart\n"}, r.conversions)
	assert.NoDirExists(t, filepath.Join(r.dir, "state/etc/s6/rc/compiled-"+firstKey(r.names, "v1")), "the previous database is removed")

	// A version of webapp1 that dies at once: the switch fails naming it,
	// webapp2 (its dependent) and webapp1 come back from v2's database.
	r.conversions = nil
	r.failing = "webapp1-srv"
	calls, err = r.deploy("v3", map[string]any{"webapp1": app("webapp1", map[string]any{"args": []string{"--broken"}}), "webapp2": app("webapp2", map[string]any{"args": []string{"--v2"}}, "webapp1")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "starting webapp1 failed: webapp1-srv stopped right after it started")
	assert.NotContains(t, err.Error(), "restoring the previous deployment also failed")
	assert.Equal(t, seq(
		"s6-svscanctl -a "+scan,
		"s6-rc-compile "+rc+"/compiled-v3 v3/etc/s6/sv",
		"s6-rc -l "+live+" -d change webapp2",
		"s6-rc -l "+live+" -d change webapp1",
		"s6-rc-update -l "+live+" -f "+rc+"/conversion-v3 "+rc+"/compiled-v3",
		"s6-rc -l "+live+" -u change webapp1",
		"s6-svwait -d -t 300 "+scan+"/webapp1-srv", // it went down: failed
		// roll back: the failed unit goes down, v2 comes back
		"s6-rc -l "+live+" -d change webapp1",
		"s6-svscanctl -a "+scan,
		"s6-rc-update -l "+live+" -f "+rc+"/conversion-v2 "+rc+"/compiled-v2",
		up("webapp1"), up("webapp2"),
		"s6-rc -l "+live+" -u change default",
	), calls)
	assert.Equal(t, []string{"webapp1-srv restart\n", "webapp1-srv restart\n"}, r.conversions)
	current, _, err := r.profiles.Current()
	require.NoError(t, err)
	assert.Equal(t, "v2", r.names[filepath.Base(current)], "the failed profile is not current")

	// Undeploy: everything goes down in reverse order, then the live state
	// switches to the empty database.
	r.conversions = nil
	calls, err = r.deploy("empty", map[string]any{})
	require.NoError(t, err)
	assert.Equal(t, seq(
		"s6-svscanctl -a "+scan,
		"s6-rc-compile "+rc+"/compiled-empty empty/etc/s6/sv",
		"s6-rc -l "+live+" -d change webapp2",
		"s6-rc -l "+live+" -d change webapp1",
		"s6-rc-update -l "+live+" -f "+rc+"/conversion-empty "+rc+"/compiled-empty",
		"s6-rc -l "+live+" -u change default",
	), calls)
	assert.Equal(t, []string{""}, r.conversions)
}

func TestS6RCDeployerRefusesAProfileBuiltForOtherDirectories(t *testing.T) {
	r := newRecordedS6RC(t)
	path := r.build("v1", map[string]any{"webapp1": app("webapp1", nil)})
	env := &backends.Env{
		Dirs: agnostic.Dirs{StateDir: filepath.Join(r.dir, "elsewhere")}.Resolved(), ForceDisableUserChange: true, Runner: r.rec,
		Options: map[string]string{ModeOption: ModeS6RC},
	}
	err := backends.Switch(context.Background(), backends.SwitchOptions{Env: env, Profiles: r.profiles, NewPath: path})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pass the same --state-dir and --runtime-dir")
	assert.Empty(t, r.rec.Calls, "nothing was started")
}

func TestS6RCDeployerNamesAMissingSupervisionTree(t *testing.T) {
	r := newRecordedS6RC(t)
	r.rec.Respond = func(c cmdrun.Cmd) ([]byte, error) {
		if c.Path == "s6-svscanctl" {
			return nil, errors.New("s6-svscanctl: fatal: unable to control: supervisor not listening")
		}
		return nil, nil
	}
	_, err := r.deploy("v1", map[string]any{"webapp1": app("webapp1", nil)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no s6-svscan runs on "+filepath.Join(r.dir, "state/run/service"))
	assert.Contains(t, err.Error(), "nixproc s6-svscan")
	current, _, _ := r.profiles.Current()
	assert.Empty(t, current, "no generation was made")
}

func firstKey(m map[string]string, value string) string {
	for k, v := range m {
		if v == value {
			return k
		}
	}
	return ""
}
