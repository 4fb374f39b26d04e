package backends_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
)

// selfRefBackend writes, per process, a script and a config file that names
// the script by its absolute path in the profile.
type selfRefBackend struct{}

func (selfRefBackend) Name() string                        { return "selfref-test" }
func (selfRefBackend) Capabilities() backends.Capabilities { return backends.Capabilities{} }
func (selfRefBackend) Translate(*backends.Context, *agnostic.Process) (any, []backends.Warning, error) {
	return struct{}{}, nil, nil
}
func (selfRefBackend) Decode(*backends.Context, *agnostic.Process, json.RawMessage) (any, error) {
	return struct{}{}, nil
}
func (selfRefBackend) Deployer(*backends.Env) (backends.Deployer, error) { return nil, nil }
func (selfRefBackend) Render(_ *backends.Context, procs []backends.Translated, w *backends.ProfileWriter) error {
	for _, t := range procs {
		n := t.Process.Name
		if err := w.WriteFile(n, "bin/"+n, []byte("#!/bin/sh\necho "+n+"\n"), 0o555); err != nil {
			return err
		}
		if err := w.WriteFile(n, "etc/"+n+".conf", []byte("command="+w.Path("bin/"+n)+"\n"), 0o444); err != nil {
			return err
		}
		if err := w.Symlink(n, "links/"+n, w.Path("bin/"+n)); err != nil {
			return err
		}
	}
	return nil
}

func buildSelfRef(t *testing.T, buildDir, model string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "processes.json")
	require.NoError(t, os.WriteFile(file, []byte(model), 0o644))
	t.Setenv("NIXPROC_BUILD_DIR", buildDir)
	path, err := backends.Build(context.Background(), selfRefBackend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: file}})
	require.NoError(t, err)
	return path
}

func TestProfileFilesNameFilesOfTheirOwnProfile(t *testing.T) {
	model := `{"a": {"pkg": {"name": "a", "process": "/bin/true"}}}`
	path := buildSelfRef(t, filepath.Join(t.TempDir(), "one"), model)
	conf, err := os.ReadFile(filepath.Join(path, "etc/a.conf"))
	require.NoError(t, err)
	require.Equal(t, "command="+path+"/bin/a\n", string(conf))
	target, err := os.Readlink(filepath.Join(path, "links/a"))
	require.NoError(t, err)
	require.Equal(t, path+"/bin/a", target)
	info, err := os.Stat(filepath.Join(path, "etc/a.conf"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o444), info.Mode().Perm())

	// The profile's name does not depend on where profiles are kept.
	other := buildSelfRef(t, filepath.Join(t.TempDir(), "two"), model)
	require.Equal(t, filepath.Base(path), filepath.Base(other))
	require.False(t, strings.Contains(string(conf), backends.SelfRef))
}
