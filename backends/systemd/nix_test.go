package systemd

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

func buildNix(t *testing.T, model string) string {
	t.Helper()
	backendtest.Require(t, "nix-instantiate")
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	file := filepath.Join(dir, "processes.nix")
	require.NoError(t, os.WriteFile(file, []byte(model), 0o644))
	path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{
		Eval: agnostic.EvalOptions{ExprFile: file, Dirs: agnostic.Dirs{StateDir: filepath.Join(dir, "state")}},
	})
	require.NoError(t, err)
	return path
}

func readUnit(t *testing.T, profile, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(profile, unitDirRel, UnitName(name)))
	require.NoError(t, err)
	return string(data)
}

// The README's function override: it reads the generated ExecStart and
// turns the foreground unit into a forking one.
func TestNixFunctionOverrideExtendsExecStart(t *testing.T) {
	profile := buildNix(t, `
{ processManager ? "systemd", forceDisableUserChange ? false }:
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
    overrides.systemd = systemdArgs: systemdArgs // {
      Service = systemdArgs.Service // {
        ExecStart = "${systemdArgs.Service.ExecStart} -D";
        Type = "forking";
        Restart = "always";
      };
    };
  };
}`)
	unit := readUnit(t, profile, "webapp")
	require.Contains(t, unit, "ExecStart=/bin/sh -c \"sleep 1000\" -D\n")
	require.Contains(t, unit, "Type=forking\n")
	require.Contains(t, unit, "Restart=always\n")
}

// createSystemdService, at the original's file name, with dependencies on
// other units given as the processes themselves.
func TestNixCreateSystemdService(t *testing.T) {
	profile := buildNix(t, `
{ forceDisableUserChange ? false, ... }:
let
  createSystemdService = import <nixproc/backends/systemd/create-systemd-service.nix> {
    inherit forceDisableUserChange;
  };
  db = createSystemdService {
    name = "db";
    Unit.Description = "Database";
    Service = { ExecStart = "/bin/sh -c 'sleep 1000'"; Type = "simple"; };
  };
in
{
  db.pkg = db;
  web.pkg = createSystemdService {
    name = "web";
    dependencies = [ db ];
    environment.PORT = 8080;
    Service.ExecStart = "/bin/sh";
  };
}`)
	require.Contains(t, readUnit(t, profile, "db"), "Description=Database\n")
	web := readUnit(t, profile, "web")
	require.Contains(t, web, "Wants=nix-process-db.service\nAfter=nix-process-db.service\n")
	require.Contains(t, web, "Environment=\"PORT=8080\"\n")
}
