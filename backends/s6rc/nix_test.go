package s6rc

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

// An s6-rc-specific model written in Nix with the create functions of
// <nixproc/backends/s6-rc>, as models for the original are written: a
// script from builtins.toFile is read from the store, services are passed
// as processes.
const s6rcModel = `{ forceDisableUserChange ? false, ... }:

let
  s6rc = import <nixproc/backends/s6-rc> { inherit forceDisableUserChange; };

  db = s6rc.createLongRunService {
    name = "db";
    run = builtins.toFile "db-run" ''
      #!/usr/bin/env -S execlineb -P
      fdmove -c 2 1
      /bin/db --foreground
    '';
    env = { PORT = 5432; };
    notificationFd = 3;
  };

  migrate = s6rc.createOneShotService {
    name = "migrate";
    up = "/bin/migrate up";
    dependencies = [ db ];
  };
in
{
  db = { pkg = db; };
  migrate = { pkg = migrate; };
  stack = { pkg = s6rc.createServiceBundle { name = "stack"; contents = [ db migrate ]; }; };
}
`

func TestCreateFunctionsInANixModel(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	file := filepath.Join(dir, "processes.nix")
	require.NoError(t, os.WriteFile(file, []byte(s6rcModel), 0o644))
	path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: file}, ForceDisableUserChange: true})
	require.NoError(t, err)
	read := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(path, SourceDir, rel))
		require.NoError(t, err)
		return string(data)
	}
	assert.Equal(t, "#!/usr/bin/env -S execlineb -P\nfdmove -c 2 1\n/bin/db --foreground\n", read("db-srv/run"))
	assert.Equal(t, "5432", read("db-srv/env/PORT"))
	assert.Equal(t, "3\n", read("db-srv/notification-fd"))
	assert.Equal(t, "oneshot\n", read("migrate/type"))
	assert.Equal(t, "/bin/migrate up", read("migrate/up"))
	assert.FileExists(t, filepath.Join(path, SourceDir, "migrate/dependencies.d/db"))
	assert.FileExists(t, filepath.Join(path, SourceDir, "stack/contents.d/db"))
	assert.FileExists(t, filepath.Join(path, SourceDir, "stack/contents.d/migrate"))
	assert.FileExists(t, filepath.Join(path, SourceDir, "default/contents.d/stack"))
}
