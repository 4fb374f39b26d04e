package backends_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
	"nixproc/backends/sysvinit"
)

func build(t *testing.T, o backends.BuildOptions) string {
	t.Helper()
	path, err := backends.Build(context.Background(), sysvinit.Backend{}, o)
	require.NoError(t, err)
	return path
}

func read(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// TestPipelineWithRealNix builds a model through nix-instantiate: overrides
// given as attribute sets and as functions, arguments passed only when
// given, --extra-params, and a derivation the model refers to is built.
func TestPipelineWithRealNix(t *testing.T) {
	backendtest.Require(t, "nix-instantiate", "nix-store")
	t.Setenv("NIXPROC_BUILD_DIR", t.TempDir())
	o := backends.BuildOptions{Eval: agnostic.EvalOptions{
		ExprFile:    "testdata/pipeline/overrides.nix",
		Dirs:        agnostic.Dirs{StateDir: "/srv/pipeline"},
		ExtraParams: `{ extraFlag = "from extra params"; }`,
	}}
	path := build(t, o)

	attrs := read(t, filepath.Join(path, "etc/rc.d/init.d/attrs"))
	assert.Contains(t, attrs, "export STATE=/srv/pipeline", "the given state dir reaches the model")
	assert.Contains(t, attrs, "export FLAG='from extra params'", "extra params reach the model")
	assert.Contains(t, attrs, "  check)", "a nested attribute set override is merged")
	assert.Contains(t, attrs, "  stop)", "merging keeps the generated activities")
	assert.FileExists(t, filepath.Join(path, "etc/rc.d/rc2.d/S00attrs"))
	assert.NoFileExists(t, filepath.Join(path, "etc/rc.d/rc3.d/S00attrs"), "runlevels come from the override")

	fn := read(t, filepath.Join(path, "etc/rc.d/init.d/function"))
	assert.Contains(t, fn, "/bin/sleep 1000 from-function", "the function override got the generated args")
	assert.FileExists(t, filepath.Join(path, "etc/rc.d/rc4.d/S00function"))

	// The derivation was built, and the profile holds a root for it.
	meta, err := backends.OpenProfile(path)
	require.NoError(t, err)
	require.Len(t, meta.Meta.StorePaths, 1)
	tool := meta.Meta.StorePaths[0]
	assert.True(t, strings.HasSuffix(tool, "-pipeline-test-tool"))
	assert.FileExists(t, tool, "the store path was realised")
	assert.Contains(t, attrs, tool)
	root, err := os.Readlink(filepath.Join(path, "nixproc/gcroots/0"))
	require.NoError(t, err)
	assert.Equal(t, tool, root)

	// Same inputs, same profile.
	assert.Equal(t, path, build(t, o))

	// Without the state dir option, the model's own default applies.
	o.Eval.Dirs = agnostic.Dirs{}
	other := build(t, o)
	assert.NotEqual(t, path, other)
	assert.Contains(t, read(t, filepath.Join(other, "etc/rc.d/init.d/attrs")), "export STATE=/var")
}

func TestUndeployBuildsAnEmptyProfile(t *testing.T) {
	t.Setenv("NIXPROC_BUILD_DIR", t.TempDir())
	path := build(t, backends.BuildOptions{})
	p, err := backends.OpenProfile(path)
	require.NoError(t, err)
	assert.Empty(t, p.Meta.Processes)
	assert.Equal(t, "sysvinit", p.Meta.ProcessManager)
}

func TestResultLink(t *testing.T) {
	t.Setenv("NIXPROC_BUILD_DIR", t.TempDir())
	link := filepath.Join(t.TempDir(), "result")
	path := build(t, backends.BuildOptions{OutLink: link})
	target, err := os.Readlink(link)
	require.NoError(t, err)
	assert.Equal(t, path, target)
}
