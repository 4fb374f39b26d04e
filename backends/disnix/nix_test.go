package disnix

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
)

// A disnix-specific model written in Nix with createProcessScript from
// <nixproc/backends/disnix/create-process-script.nix>.
const disnixModel = `{ forceDisableUserChange ? false, ... }:

let
  createProcessScript = import <nixproc/backends/disnix/create-process-script.nix> {
    inherit forceDisableUserChange;
  };

  server = createProcessScript {
    name = "server";
    process = "/opt/server/bin/serverd";
    pidFile = "/run/server.pid";
    credentials = { groups.server = {}; users.server = { group = "server"; description = "Server"; }; };
  };
in
{
  server = { pkg = server; };
  client = { pkg = createProcessScript { name = "client"; process = "/opt/client/bin/clientd"; dependencies = [ server ]; }; };
}
`

func TestCreateProcessScriptInANixModel(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	file := filepath.Join(dir, "processes.nix")
	require.NoError(t, os.WriteFile(file, []byte(disnixModel), 0o644))
	path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: file}})
	require.NoError(t, err)
	read := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(path, rel))
		require.NoError(t, err)
		return string(data)
	}
	assert.Equal(t, "process='/opt/server/bin/serverd'\npidFile='/run/server.pid'\n", read(SpecFile("server")))
	assert.Equal(t, "process='/opt/client/bin/clientd'\n", read(SpecFile("client")))
	assert.Equal(t, "description=Server\ngroup=server\n", read(ComponentsDir+"/server/dysnomia-support/users/server"))
	assert.FileExists(t, filepath.Join(path, ComponentsDir, "server/dysnomia-support/groups/server"))
	assert.NoDirExists(t, filepath.Join(path, ComponentsDir, "client/dysnomia-support"), "a component has only its own accounts")
	assert.Contains(t, read(ServicesFile), `activatesAfter = { "server" = services."server"; };`)
}
