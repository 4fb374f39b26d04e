package cygrunsrv

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
	"nixproc/cmdrun"
)

// cygrunsrv cannot run here: these tests drive the real switch engine with
// the cygrunsrv calls recorded. The responder keeps track of which
// services are installed, as the Windows service manager would, so -Q
// answers as cygrunsrv does.

const (
	modelV1 = `{
  "db":  {"pkg": {"name": "db",  "process": "/usr/bin/db", "args": ["v1"]}},
  "old": {"pkg": {"name": "old", "process": "/usr/bin/old"}},
  "web": {"pkg": {"name": "web", "process": "/usr/bin/web", "args": ["-p", "80 80"], "dependencies": ["db"]}}}`
	modelV2 = `{
  "db":    {"pkg": {"name": "db",  "process": "/usr/bin/db", "args": ["v2"]}},
  "cache": {"pkg": {"name": "cache", "process": "/usr/bin/cache", "environment": {"SIZE": "64 MB"}}},
  "web":   {"pkg": {"name": "web", "process": "/usr/bin/web", "args": ["-p", "80 80"], "dependencies": ["db"]}}}`
)

type services struct {
	mu        sync.Mutex
	installed map[string]bool
	fail      func(c cmdrun.Cmd) error
}

func newRecorded(t *testing.T) (*backendtest.Recorded, *services) {
	r := backendtest.NewRecorded(t, Backend{}, nil)
	s := &services{installed: map[string]bool{}}
	r.Recorder.Respond = func(c cmdrun.Cmd) ([]byte, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.fail != nil {
			if err := s.fail(c); err != nil {
				return nil, err
			}
		}
		switch c.Args[0] {
		case "-Q":
			if !s.installed[c.Args[1]] {
				return nil, backendtest.ExitError(c, 1, "cygrunsrv: Error querying a service: OpenService: The specified service does not exist as an installed service.")
			}
		case "-I":
			s.installed[c.Args[1]] = true
		case "-R":
			delete(s.installed, c.Args[1])
		}
		return nil, nil
	}
	return r, s
}

func TestRecordedCygrunsrvDeployUpgradeRollbackUndeploy(t *testing.T) {
	r, s := newRecorded(t)
	p1, p2 := r.Build(modelV1), r.Build(modelV2)

	require.NoError(t, r.Switch(p1))
	require.Equal(t, []string{
		"cygrunsrv -Q nix-process-db",
		"cygrunsrv -I nix-process-db -p /usr/bin/db -d nix-process-db -f db -a v1",
		"cygrunsrv -S nix-process-db",
		"cygrunsrv -Q nix-process-old",
		"cygrunsrv -I nix-process-old -p /usr/bin/old -d nix-process-old -f old",
		"cygrunsrv -S nix-process-old",
		"cygrunsrv -Q nix-process-web",
		`cygrunsrv -I nix-process-web -p /usr/bin/web -d nix-process-web -f web -a -p "80 80" -y nix-process-db`,
		"cygrunsrv -S nix-process-web",
	}, r.Calls())

	require.NoError(t, r.Switch(p2))
	require.Equal(t, []string{
		// dependents stop before what they depend on
		"cygrunsrv -Q nix-process-web", "cygrunsrv -E nix-process-web", "cygrunsrv -R nix-process-web",
		"cygrunsrv -Q nix-process-old", "cygrunsrv -E nix-process-old", "cygrunsrv -R nix-process-old",
		"cygrunsrv -Q nix-process-db", "cygrunsrv -E nix-process-db", "cygrunsrv -R nix-process-db",
		"cygrunsrv -Q nix-process-cache",
		"cygrunsrv -I nix-process-cache -p /usr/bin/cache -d nix-process-cache -f cache -e SIZE=64 MB",
		"cygrunsrv -S nix-process-cache",
		"cygrunsrv -Q nix-process-db",
		"cygrunsrv -I nix-process-db -p /usr/bin/db -d nix-process-db -f db -a v2",
		"cygrunsrv -S nix-process-db",
		"cygrunsrv -Q nix-process-web",
		`cygrunsrv -I nix-process-web -p /usr/bin/web -d nix-process-web -f web -a -p "80 80" -y nix-process-db`,
		"cygrunsrv -S nix-process-web",
	}, r.Calls())
	require.Equal(t, map[string]bool{"nix-process-cache": true, "nix-process-db": true, "nix-process-web": true}, s.installed)

	require.NoError(t, r.Rollback())
	require.Equal(t, p1, r.Current())
	require.Equal(t, map[string]bool{"nix-process-old": true, "nix-process-db": true, "nix-process-web": true}, s.installed)
	r.Calls()

	// A service someone removed by hand is gone already: no -E, no -R.
	delete(s.installed, "nix-process-old")
	require.NoError(t, r.Switch(r.Build(`{}`)))
	require.Equal(t, []string{
		"cygrunsrv -Q nix-process-web", "cygrunsrv -E nix-process-web", "cygrunsrv -R nix-process-web",
		"cygrunsrv -Q nix-process-old",
		"cygrunsrv -Q nix-process-db", "cygrunsrv -E nix-process-db", "cygrunsrv -R nix-process-db",
	}, r.Calls())
	require.Empty(t, s.installed)
}

// The install call hands cygrunsrv every option as one argument, values
// with spaces included.
func TestRecordedCygrunsrvInstallArguments(t *testing.T) {
	r, _ := newRecorded(t)
	require.NoError(t, r.Switch(r.Build(modelV2)))
	var install []string
	for _, c := range r.Recorder.Calls {
		if c.Args[0] == "-I" && c.Args[1] == "nix-process-cache" {
			install = c.Args
		}
	}
	require.Equal(t, []string{"-I", "nix-process-cache", "-p", "/usr/bin/cache", "-d", "nix-process-cache", "-f", "cache", "-e", "SIZE=64 MB"}, install)
}

func TestRecordedCygrunsrvFailedStartRollsBack(t *testing.T) {
	r, s := newRecorded(t)
	p1, p2 := r.Build(modelV1), r.Build(modelV2)
	require.NoError(t, r.Switch(p1))
	r.Calls()
	failed := false
	s.fail = func(c cmdrun.Cmd) error {
		if !failed && c.String() == "cygrunsrv -S nix-process-web" {
			failed = true
			return backendtest.ExitError(c, 1, "cygrunsrv: Error starting a service: QueryServiceStatus: Win32 error 1062")
		}
		return nil
	}
	err := r.Switch(p2)
	require.ErrorContains(t, err, "starting web failed")
	require.ErrorContains(t, err, "Win32 error 1062")
	require.Equal(t, p1, r.Current())
	// The new services are gone, the old ones are back.
	require.Equal(t, map[string]bool{"nix-process-old": true, "nix-process-db": true, "nix-process-web": true}, s.installed)
	calls := r.Calls()
	require.Equal(t, []string{
		"cygrunsrv -Q nix-process-web",
		`cygrunsrv -I nix-process-web -p /usr/bin/web -d nix-process-web -f web -a -p "80 80" -y nix-process-db`,
		"cygrunsrv -S nix-process-web",
	}, calls[len(calls)-3:])
}

// createCygrunsrvParams, at the original's file name.
func TestNixCreateCygrunsrvParams(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	file := filepath.Join(dir, "processes.nix")
	require.NoError(t, os.WriteFile(file, []byte(`
let
  createCygrunsrvParams = import <nixproc/backends/cygrunsrv/create-cygrunsrv-params.nix> {};
  db = createCygrunsrvParams { name = "db"; path = "/usr/bin/db"; args = [ "-p" 5432 ]; };
in
{
  db.pkg = db;
  web.pkg = createCygrunsrvParams { name = "web"; path = "/usr/bin/web"; dependencies = [ db ]; type = "manual"; };
}`), 0o644))
	path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: file}})
	require.NoError(t, err)
	require.Equal(t, []string{"-p", "/usr/bin/db", "-d", "nix-process-db", "-a", "-p 5432"}, readParams(t, filepath.Join(path, paramsRel("db"))))
	require.Equal(t, []string{"-p", "/usr/bin/web", "-d", "nix-process-web", "-t", "manual", "-y", "nix-process-db"}, readParams(t, filepath.Join(path, paramsRel("web"))))
}
