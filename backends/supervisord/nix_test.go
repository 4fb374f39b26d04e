package supervisord

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
)

func buildNix(t *testing.T, model string) (string, error) {
	t.Helper()
	backendtest.Require(t, "nix-instantiate")
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	file := filepath.Join(dir, "processes.nix")
	require.NoError(t, os.WriteFile(file, []byte(model), 0o644))
	return backends.Build(context.Background(), Backend{}, backends.BuildOptions{
		Eval: agnostic.EvalOptions{ExprFile: file, Dirs: agnostic.Dirs{StateDir: "/srv/state"}},
	})
}

func readProgram(t *testing.T, profile, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(profile, ConfDir, name+".conf"))
	require.NoError(t, err)
	return string(data)
}

// A function override reads the generated command and extends it, as the
// original's overrides do.
func TestNixFunctionOverrideExtendsCommand(t *testing.T) {
	profile, err := buildNix(t, `
{ processManager ? "supervisord", forceDisableUserChange ? false }:
let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit processManager forceDisableUserChange;
  };
in
{
  webapp.pkg = createManagedProcess {
    name = "webapp";
    process = "/bin/sh";
    args = [ "-c" "sleep 1000" ];
    overrides.supervisord = args: args // {
      command = "${args.command} --extra";
      autorestart = "unexpected";
    };
  };
}`)
	require.NoError(t, err)
	conf := readProgram(t, profile, "webapp")
	require.Contains(t, conf, "command        = /bin/sh -c 'sleep 1000' --extra\n")
	require.Contains(t, conf, "autorestart    = unexpected\n")
}

// createSupervisordProgram, at the original's file name, with a dependency
// given as the process itself and supervisord options as attributes.
func TestNixCreateSupervisordProgram(t *testing.T) {
	profile, err := buildNix(t, `
{ forceDisableUserChange ? false, ... }:
let
  createSupervisordProgram = import <nixproc/backends/supervisord/create-supervisord-program.nix> {
    inherit forceDisableUserChange;
  };
  db = createSupervisordProgram {
    name = "db";
    command = "/bin/sh -c 'sleep 1000'";
    startsecs = 3;
    autorestart = false;
  };
in
{
  db.pkg = db;
  web.pkg = createSupervisordProgram {
    name = "web";
    command = "/bin/legacyd";
    useProxy = true;
    dependencies = [ db ];
    environment.PORT = 8080;
  };
}`)
	require.NoError(t, err)
	db := readProgram(t, profile, "db")
	require.Contains(t, db, "startsecs      = 3\n")
	require.Contains(t, db, "autorestart    = false\n")
	web := readProgram(t, profile, "web")
	require.Contains(t, web, "command        = %(here)s/../bin/web-foregroundproxy.sh\n")
	require.Contains(t, web, "priority       = 2\n")
	require.Contains(t, web, `environment    = PORT="8080"`+"\n")
	proxy, err := os.ReadFile(filepath.Join(profile, "bin", "web-foregroundproxy.sh"))
	require.NoError(t, err)
	require.Contains(t, string(proxy), "nixproc_proxy_daemon -p /srv/state/run/web.pid ")
}

func TestNixUnknownOptionIsAnError(t *testing.T) {
	_, err := buildNix(t, `
{ ... }:
let
  createSupervisordProgram = import <nixproc/backends/supervisord/create-supervisord-program.nix> {};
in
{
  job.pkg = createSupervisordProgram { name = "job"; command = "/bin/job"; autorestrat = true; };
}`)
	require.Error(t, err)
	require.Contains(t, err.Error(), "process job: unknown parameter autorestrat: neither a createSupervisordProgram parameter nor a supervisord program option")
}
