package disnix

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
	"nixproc/cmdrun"
)

// Disnix is not packaged here: the disnix-env calls are recorded, and the
// Disnix model files are evaluated with the real Nix.

func TestDisnixEnvCallsRecorded_DisnixIsNotPackagedHere(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	t.Setenv("DISNIX_CLIENT_INTERFACE", "")
	dirs := agnostic.Dirs{StateDir: filepath.Join(dir, "state")}
	profiles := backends.Profiles{Dir: filepath.Join(dir, "profiles"), Name: "processes"}
	fail := false
	names := map[string]string{}
	rec := &cmdrun.Recorder{Respond: func(c cmdrun.Cmd) ([]byte, error) {
		if fail && names[strings.TrimSuffix(c.Args[1], "/"+ServicesFile)] == "v2" {
			return nil, errors.New("disnix-env: exit status 1: [target: localhost]: Activation failed of service: webapp2")
		}
		return nil, nil
	}}
	deploy := func(name string, model map[string]any) ([]string, error) {
		data, err := json.Marshal(model)
		require.NoError(t, err)
		file := filepath.Join(t.TempDir(), "processes.json")
		require.NoError(t, os.WriteFile(file, data, 0o644))
		path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: file, Dirs: dirs}, ForceDisableUserChange: true})
		require.NoError(t, err)
		names[path] = name
		rec.Calls = nil
		env := &backends.Env{Dirs: dirs.Resolved(), ForceDisableUserChange: true, Runner: rec, Options: map[string]string{ModeOption: ModeDisnix}}
		err = backends.Switch(context.Background(), backends.SwitchOptions{Env: env, Profiles: profiles, NewPath: path})
		var lines []string
		for _, c := range rec.Calls {
			l := strings.Join(append(c.Env, c.String()), " ")
			for p, n := range names {
				l = strings.ReplaceAll(l, p, n)
			}
			lines = append(lines, l)
		}
		return lines, err
	}
	app := func(name string, args ...string) map[string]any {
		return map[string]any{"pkg": map[string]any{"name": name, "foregroundProcess": "/bin/" + name, "args": args}}
	}
	call := func(v string) string {
		return "DISNIX_CLIENT_INTERFACE=disnix-run-activity disnix-env -s " + v + "/disnix/services.nix -i " + v + "/disnix/infrastructure.nix -d " + v + "/disnix/distribution.nix --profile nixproc"
	}

	calls, err := deploy("v1", map[string]any{"webapp1": app("webapp1"), "webapp2": app("webapp2")})
	require.NoError(t, err)
	assert.Equal(t, []string{call("v1")}, calls, "Disnix deploys the whole model at once")

	// disnix-env fails (and rolls back by itself): the switch fails, and
	// deploys the previous model again, which is current still.
	fail = true
	calls, err = deploy("v2", map[string]any{"webapp1": app("webapp1"), "webapp2": app("webapp2", "--v2")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Activation failed of service: webapp2")
	assert.Equal(t, []string{call("v2"), call("v1")}, calls)
	current, _, _ := profiles.Current()
	assert.Equal(t, "v1", names[current])

	fail = false
	calls, err = deploy("empty", map[string]any{})
	require.NoError(t, err)
	assert.Equal(t, []string{call("empty")}, calls, "undeploy deploys the empty model: Disnix deactivates everything")
}

func TestDisnixModelEvaluatesWithNix(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	model := `{"webapp": {"pkg": {"name": "webapp", "foregroundProcess": "/bin/webapp"}},
	  "db@main": {"pkg": {"name": "db@main", "foregroundProcess": "/bin/db"}},
	  "nginx": {"pkg": {"name": "nginx", "foregroundProcess": "/bin/nginx", "dependencies": ["webapp", "db@main"]}}}`
	file := filepath.Join(dir, "processes.json")
	require.NoError(t, os.WriteFile(file, []byte(model), 0o644))
	path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: file}})
	require.NoError(t, err)

	// What Disnix reads of the model: services with their type, package
	// (the component, copied into the store) and activation order, and
	// where they run.
	expr := `{ profile }:
	  let
	    services = import (profile + "/disnix/services.nix") { system = builtins.currentSystem; distribution = {}; invDistribution = {}; pkgs = null; };
	    infrastructure = import (profile + "/disnix/infrastructure.nix");
	    distribution = import (profile + "/disnix/distribution.nix") { inherit infrastructure; };
	  in
	  builtins.mapAttrs (name: s: {
	    inherit (s) name type;
	    pkg = "${s.pkg}";
	    activatesAfter = builtins.attrNames s.activatesAfter;
	    targets = map (t: t.properties.hostname) distribution.${name};
	  }) services`
	out, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "--read-write-mode",
		"--option", "substituters", "", "-E", expr, "--argstr", "profile", path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	var got map[string]struct {
		Name, Type, Pkg string
		ActivatesAfter  []string
		Targets         []string
	}
	require.NoError(t, json.Unmarshal(out, &got))
	require.Len(t, got, 3)
	assert.Equal(t, []string{"db@main", "webapp"}, got["nginx"].ActivatesAfter)
	assert.Empty(t, got["webapp"].ActivatesAfter)
	for name, s := range got {
		assert.Equal(t, name, s.Name)
		assert.Equal(t, "process", s.Type)
		assert.Equal(t, []string{"localhost"}, s.Targets)
		assert.True(t, strings.HasPrefix(s.Pkg, "/nix/store/"), "the component is copied into the store: %s", s.Pkg)
		spec, err := os.ReadFile(filepath.Join(s.Pkg, "etc/dysnomia/process", name))
		require.NoError(t, err, "the store copy of %s holds its process specification", name)
		wrapper := filepath.Join(path, ComponentsDir, name, "bin", name+"-process-wrapper")
		assert.Equal(t, "process='"+wrapper+"'\npidFile='/var/run/"+name+".pid'\n", string(spec))
	}
}
