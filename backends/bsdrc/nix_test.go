package bsdrc

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

// createBSDRCScript, at the original's file name, with a dependency given
// as the process itself.
func TestNixCreateBSDRCScript(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	file := filepath.Join(dir, "processes.nix")
	require.NoError(t, os.WriteFile(file, []byte(`
{ forceDisableUserChange ? false, ... }:
let
  createBSDRCScript = import <nixproc/backends/bsdrc/create-bsdrc-script.nix> {
    inherit forceDisableUserChange;
  };
  db = createBSDRCScript { name = "db"; command = "/usr/local/bin/db"; commandArgs = [ "-p" 5432 ]; };
in
{
  db.pkg = db;
  web.pkg = createBSDRCScript {
    name = "web";
    command = "/usr/local/bin/web";
    dependencies = [ db ];
    commands.start.pre = "mkdir -p /var/db/web";
  };
}`), 0o644))
	path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: file}})
	require.NoError(t, err)
	db, err := os.ReadFile(filepath.Join(path, "etc/rc.d/db"))
	require.NoError(t, err)
	require.Contains(t, string(db), "command_args='-p 5432'\n")
	web, err := os.ReadFile(filepath.Join(path, "etc/rc.d/web"))
	require.NoError(t, err)
	require.Contains(t, string(web), "# REQUIRE: db\n")
	require.Contains(t, string(web), "start_precmd=web_prestart\n")
}
