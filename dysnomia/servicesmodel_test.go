package dysnomia

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
	"nixproc/dysnomia/agnosticconfig"
)

type service struct {
	Name           string          `json:"name"`
	Type           string          `json:"type"`
	Port           int             `json:"port"`
	Pkg            json.RawMessage `json:"pkg"`
	ActivatesAfter []string        `json:"activatesAfter"`
}

// evalServices evaluates examples/webapps-agnostic/services.nix as Disnix
// calls it (distribution and invDistribution given), with nixproc's Nix
// library and no nixpkgs.
func evalServices(t *testing.T, processManager string) map[string]service {
	t.Helper()
	lib, err := agnostic.NixLibDir()
	require.NoError(t, err)
	file, err := filepath.Abs("../examples/webapps-agnostic/services.nix")
	require.NoError(t, err)
	pm := "null"
	if processManager != "" {
		pm = `"` + processManager + `"`
	}
	expr := `let services = import ` + file + ` { distribution = {}; invDistribution = {}; processManager = ` + pm + `; stateDir = "/srv/webapps"; };
	in builtins.mapAttrs (key: s: {
	  inherit (s) name type port pkg;
	  activatesAfter = builtins.attrNames (s.activatesAfter or {});
	}) services`
	cmd := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-I", "nixproc="+lib, "--option", "substituters", "", "-E", expr)
	cmd.Env = append(os.Environ(), "NIX_PATH=") // no nixpkgs to fall back on
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("evaluating services.nix: %s", ee.Stderr)
	}
	require.NoError(t, err)
	var services map[string]service
	require.NoError(t, json.Unmarshal(out, &services))
	return services
}

// The services model: every process of processes.nix is a service named
// after its key, of the Dysnomia type its process manager needs (null:
// managed-process), with the same pkg as in the processes model; nginx is
// activated after the webapps.
func TestServicesModel(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	for _, pm := range []string{"", "sysvinit", "systemd", "supervisord", "disnix", "s6-rc", "docker"} {
		services := evalServices(t, pm)
		require.Len(t, services, 3, pm)
		for key, s := range services {
			assert.Equal(t, key, s.Name)
			assert.Equal(t, TypeFor(pm), s.Type, "process manager %q", pm)
			_, ok := LookupModule(s.Type)
			assert.True(t, ok, "a module deploys %s", s.Type)
		}
		assert.Equal(t, []string{"webapp1", "webapp2"}, services["nginx"].ActivatesAfter)
		assert.Equal(t, 8080, services["nginx"].Port)
	}
}

// With processManager null, each service's pkg is an agnostic
// configuration: the processes model's, which the managed-process module
// turns into any process manager's configuration.
func TestServicesModelManagedProcessConfigs(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	services := evalServices(t, "")
	model, err := filepath.Abs("../examples/webapps-agnostic/processes.nix")
	require.NoError(t, err)
	ev, err := agnostic.Evaluate(context.Background(), agnostic.EvalOptions{ExprFile: model, Dirs: agnostic.Dirs{StateDir: "/srv/webapps"}})
	require.NoError(t, err)
	var processes map[string]struct {
		Pkg json.RawMessage `json:"pkg"`
	}
	require.NoError(t, json.Unmarshal(ev.JSON, &processes))

	sysv, err := backends.Lookup("sysvinit")
	require.NoError(t, err)
	for key, s := range services {
		assert.JSONEq(t, string(processes[key].Pkg), string(s.Pkg), "%s: the processes model's pkg", key)
		comp := filepath.Join(dir, "components", key)
		require.NoError(t, os.MkdirAll(comp, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(comp, key+".json"), s.Pkg, 0o644))
		profile, err := agnosticconfig.Generate(context.Background(), sysv, agnosticconfig.GenerateOptions{Configs: []string{comp}, Dirs: agnostic.Dirs{StateDir: "/srv/webapps"}})
		require.NoError(t, err, key)
		assert.FileExists(t, filepath.Join(profile, "etc/rc.d/init.d", key))
	}
}
