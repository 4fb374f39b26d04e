package agnosticconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	_ "nixproc/backends/all"
	"nixproc/backends/backendtest"
)

// A configuration reads back as the process it was written from, whatever
// form the model used (process and args, the two extra argument lists,
// daemon or foreground only, a process manager-specific spec).
func TestEncodeRoundTrips(t *testing.T) {
	model := `{
	  "web": {"pkg": {"name": "web", "process": "/bin/web", "args": ["-v"], "daemonExtraArgs": ["-D"],
	    "foregroundProcessExtraArgs": ["-f"], "pidFile": "/run/web.pid", "environment": {"PORT": 80, "X": "a b"},
	    "path": ["/nix/store/x-coreutils"], "directory": "/srv", "umask": "022", "nice": -5, "user": "web",
	    "initialize": "mkdir -p /srv\n", "postInstall": "true", "lock": "lock-it", "unlock": "unlock-it",
	    "dependencies": ["db"], "instanceName": "web",
	    "credentials": {"__nixproc": "credentials", "groups": {"web": {"gid": 2000}}, "users": {"web": {"group": "web", "uid": 2000}}},
	    "overrides": {"sysvinit": {"runlevels": [3, 4]}, "systemd": {"__nixprocFunctionOverride": true}}}},
	  "db": {"pkg": {"name": "db", "daemon": "/bin/db", "description": "Database"}},
	  "fg": {"pkg": {"name": "fg", "foregroundProcess": "/bin/fg"}},
	  "native": {"pkg": {"__nixproc": "sysvinit", "name": "native", "process": "/bin/n", "dependencies": ["db"]}}
	}`
	m, err := agnostic.DecodeProcesses([]byte(model))
	require.NoError(t, err)
	for _, p := range m.Processes {
		data, err := Encode(p)
		require.NoError(t, err, p.Name)
		back, err := agnostic.DecodeConfig(data)
		require.NoError(t, err, p.Name)
		back.Key = p.Key
		if p.Kind == agnostic.KindManagedProcess {
			assert.Equal(t, normal(p), normal(back), "%s:\n%s", p.Name, data)
		} else {
			assert.Equal(t, p.Kind, back.Kind)
			assert.JSONEq(t, string(p.Native), string(back.Native))
		}
		again, err := Encode(back)
		require.NoError(t, err)
		assert.Equal(t, string(data), string(again), "encoding is canonical")
	}
}

// normal is a process as JSON, with nil and empty lists alike.
func normal(p *agnostic.Process) string {
	c := *p
	for _, l := range []*[]string{&c.DaemonArgs, &c.ForegroundProcessArgs, &c.Dependencies} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	data, _ := json.Marshal(c)
	var v any
	json.Unmarshal(data, &v)
	out, _ := json.Marshal(v)
	return string(out)
}

// files lists the files of a profile and what they hold, without the
// profile's own metadata (which names the store paths a Nix build realised).
func files(t *testing.T, root string) map[string]string {
	out := map[string]string{}
	require.NoError(t, filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "nixproc" && info.IsDir() {
			return filepath.SkipDir
		}
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			out[rel] = "-> " + strings.ReplaceAll(target, root, "$PROFILE")
		case info.Mode().IsRegular():
			data, _ := os.ReadFile(path)
			out[rel] = strings.ReplaceAll(string(data), root, "$PROFILE")
		}
		return nil
	}))
	return out
}

// The configurations nixproc build --agnostic-configs writes generate,
// without Nix, the same files as a build of the Nix model, for every
// process manager.
func TestGenerateFromWrittenConfigsEqualsBuild(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	ctx := context.Background()
	model, err := filepath.Abs("../../examples/webapps-agnostic/processes.nix")
	require.NoError(t, err)
	dirs := agnostic.Dirs{StateDir: filepath.Join(dir, "state")}
	configs, err := Write(ctx, WriteOptions{Eval: agnostic.EvalOptions{ExprFile: model, Dirs: dirs}, OutLink: filepath.Join(dir, "result")})
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(configs, DirSuffix))
	link, err := os.Readlink(filepath.Join(dir, "result"))
	require.NoError(t, err)
	assert.Equal(t, configs, link)
	names, _ := filepath.Glob(filepath.Join(configs, "*.json"))
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	sort.Strings(names)
	assert.Equal(t, []string{"nginx.json", "webapp1.json", "webapp2.json"}, names)

	again, err := Write(ctx, WriteOptions{Eval: agnostic.EvalOptions{ExprFile: model, Dirs: dirs}})
	require.NoError(t, err)
	assert.Equal(t, configs, again, "the same model writes the same directory")

	for _, pm := range backends.Available() {
		t.Run(pm, func(t *testing.T) {
			b, err := backends.Lookup(pm)
			require.NoError(t, err)
			built, err := backends.Build(ctx, b, backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: model, Dirs: dirs}})
			require.NoError(t, err)
			generated, err := Generate(ctx, b, GenerateOptions{Configs: []string{configs}, Dirs: dirs})
			require.NoError(t, err)
			assert.Equal(t, files(t, built), files(t, generated))
		})
	}
}

// A configuration generated alone leaves out the processes it depends on:
// they are components of their own; a note says so.
func TestGenerateOneConfigLeavesDependenciesOut(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	write := func(name, text string) string {
		f := filepath.Join(dir, name+".json")
		require.NoError(t, os.WriteFile(f, []byte(text), 0o644))
		return f
	}
	write("db", `{"name": "db", "foregroundProcess": "/bin/db"}`)
	web := write("web", `{"name": "web", "foregroundProcess": "/bin/web", "dependencies": ["db"]}`)
	b, err := backends.Lookup("sysvinit")
	require.NoError(t, err)
	var notes bytes.Buffer
	path, err := Generate(context.Background(), b, GenerateOptions{Configs: []string{web}, Warnings: &notes})
	require.NoError(t, err)
	p, err := backends.OpenProfile(path)
	require.NoError(t, err)
	require.Len(t, p.Meta.Processes, 1)
	assert.Equal(t, "web", p.Meta.Processes[0].Name)
	assert.Empty(t, p.Meta.Processes[0].Dependencies)
	assert.Contains(t, notes.String(), "process web depends on db, which is not among the configurations")

	both, err := Generate(context.Background(), b, GenerateOptions{Configs: []string{dir}})
	require.NoError(t, err)
	p, err = backends.OpenProfile(both)
	require.NoError(t, err)
	require.Len(t, p.Meta.Processes, 2)
	assert.Equal(t, "web", p.Meta.Processes[1].Name)
	assert.Equal(t, []string{"db"}, p.Meta.Processes[1].Dependencies, "together, a real dependency")
}

// Bad configurations get one line naming the file and what is wrong, and
// no profile.
func TestGenerateBadConfigs(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	write := func(name, text string) string {
		f := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(f, []byte(text), 0o644))
		return f
	}
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.MkdirAll(empty, 0o755))
	sysv, err := backends.Lookup("sysvinit")
	require.NoError(t, err)
	for _, c := range []struct {
		configs []string
		err     string
	}{
		{[]string{write("a.json", `{"name": "a",`)}, "a.json: the configuration is not valid JSON"},
		{[]string{write("b.json", `[1]`)}, "b.json: the configuration must be a JSON object, got a list"},
		{[]string{write("c.json", `{"name": "c"}`)}, "c.json: process c: process: nothing to run: set process, daemon or foregroundProcess"},
		{[]string{write("d.json", `{"process": "/bin/d"}`)}, "d.json: no process name (set name or instanceName)"},
		{[]string{write("e.json", `{"name": "e", "process": "/bin/e", "nice": "high"}`)}, `e.json: process e: nice: must be a whole number, got "high"`},
		{[]string{write("f1.json", `{"name": "f", "process": "/bin/f"}`), write("f2.json", `{"name": "f", "process": "/bin/f"}`)}, "f2.json: process f is also configured by"},
		{[]string{write("g.json", `{"name": "g", "process": "/bin/g", "overrides": {"sysvinit": {"__nixprocFunctionOverride": true}}}`)}, "g.json: process g: overrides.sysvinit was a Nix function"},
		{[]string{write("h.json", `{"name": "h", "process": "/bin/h", "overrides": {"sysvinit": {"runlevelz": [3]}}}`)}, "h.json: process h: overrides.sysvinit: does not fit the sysvinit parameters"},
		{[]string{write("i.json", `{"name": "i", "process": "/bin/i", "environment": {"A B": "x"}}`)}, `i.json: process i: environment: "A B" is not a valid environment variable name`},
		{[]string{write("j.json", `{"__nixproc": "systemd", "name": "j"}`)}, "j.json: process j: is a systemd-specific process; it cannot be built for sysvinit"},
		{[]string{filepath.Join(dir, "missing.json")}, "missing.json: no such file or directory"},
		{[]string{empty}, "empty holds no .json file"},
		{nil, "no configuration given"},
	} {
		_, err := Generate(context.Background(), sysv, GenerateOptions{Configs: c.configs})
		require.Error(t, err, c.err)
		assert.Contains(t, err.Error(), c.err)
		assert.NotContains(t, err.Error(), "\n")
		assert.NotContains(t, err.Error(), "configurations.json", "the temporary model is not the user's business")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "builds"))
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), "-profile"), "no profile was written: %s", e.Name())
	}
}
