package backends_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/sysvinit"
)

// TestPostInstall: a process's postInstall runs in the profile being built
// (as $out), and is part of what the profile is named after: another
// script gives another profile, in which the process has another hash.
func TestPostInstall(t *testing.T) {
	t.Setenv("NIXPROC_BUILD_DIR", t.TempDir())
	model := func(greeting string) backends.BuildOptions {
		file := filepath.Join(t.TempDir(), "processes.json")
		postInstall := `mkdir -p "$out/etc" && echo ` + greeting + ` > "$out/etc/greeting"`
		data := `{"svc": {"pkg": {"name": "svc", "process": "/bin/sleep", "postInstall": ` + jsonString(postInstall) + `}},
		          "other": {"pkg": {"name": "other", "process": "/bin/sleep"}}}`
		require.NoError(t, os.WriteFile(file, []byte(data), 0o644))
		return backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: file}}
	}
	hello := build(t, model("hello"))
	assert.Equal(t, "hello\n", read(t, filepath.Join(hello, "etc/greeting")))

	bye := build(t, model("bye"))
	assert.NotEqual(t, hello, bye, "another postInstall, another profile")
	assert.Equal(t, "bye\n", read(t, filepath.Join(bye, "etc/greeting")))
	assert.Equal(t, "hello\n", read(t, filepath.Join(hello, "etc/greeting")), "the first profile is untouched")

	h, err := backends.OpenProfile(hello)
	require.NoError(t, err)
	b, err := backends.OpenProfile(bye)
	require.NoError(t, err)
	assert.NotEqual(t, h.Process("svc").Hash, b.Process("svc").Hash, "the process changed")
	assert.Equal(t, h.Process("other").Hash, b.Process("other").Hash, "the other did not")

	assert.Equal(t, hello, build(t, model("hello")), "the same postInstall again: the same profile")
}

func TestFailingPostInstallLeavesNoProfile(t *testing.T) {
	builds := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", builds)
	file := filepath.Join(t.TempDir(), "processes.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"svc": {"pkg": {"name": "svc", "process": "/bin/sleep", "postInstall": "echo cannot >&2; exit 3"}}}`), 0o644))
	_, err := backends.Build(t.Context(), sysvinit.Backend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: file}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "process svc: postInstall: failed")
	assert.Contains(t, err.Error(), "cannot")
	entries, err := os.ReadDir(builds)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing is left in the builds directory")
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
