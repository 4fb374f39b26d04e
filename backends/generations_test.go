package backends

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerations(t *testing.T) {
	dir := t.TempDir()
	g := Profiles{Dir: filepath.Join(dir, "profiles"), Name: "processes"}
	var paths []string
	for i := 0; i < 4; i++ {
		p := filepath.Join(dir, "build", string(rune('a'+i)))
		require.NoError(t, os.MkdirAll(p, 0o755))
		paths = append(paths, p)
		n, err := g.Add(p)
		require.NoError(t, err)
		assert.Equal(t, i+1, n)
	}
	n, err := g.Add(paths[3])
	require.NoError(t, err)
	assert.Equal(t, 4, n, "adding the current profile again makes no generation")

	cur, n, err := g.Current()
	require.NoError(t, err)
	assert.Equal(t, paths[3], cur)
	assert.Equal(t, 4, n)

	prev, err := g.Previous()
	require.NoError(t, err)
	assert.Equal(t, 3, prev)
	require.NoError(t, g.SetCurrent(2))
	prev, err = g.Previous()
	require.NoError(t, err)
	assert.Equal(t, 1, prev, "rollback goes to the generation before the current one")

	require.NoError(t, g.Delete([]string{"old"}))
	gens, err := g.List()
	require.NoError(t, err)
	require.Len(t, gens, 1, "old deletes all but the current")
	assert.Equal(t, 2, gens[0].Number)
	_, err = g.Previous()
	assert.ErrorContains(t, err, "no generation before")

	assert.ErrorContains(t, g.Delete([]string{"x"}), `invalid generation specification "x"`)
	_, err = g.Find(9)
	assert.ErrorContains(t, err, "generation 9")

	var out bytes.Buffer
	require.NoError(t, g.PrintList(&out))
	assert.Regexp(t, `^\s+2\s+\S+ \S+\s+\(current\)\n$`, out.String())

	require.NoError(t, g.DeleteAll())
	_, err = os.Lstat(filepath.Join(g.Dir, "processes"))
	assert.True(t, os.IsNotExist(err))
}

func TestProfileLocation(t *testing.T) {
	t.Setenv("NIX_USER_PROFILE_DIR", "/u/profiles")
	assert.Equal(t, Profiles{Dir: "/u/profiles", Name: "processes"}, ProfileLocation(""))
	assert.Equal(t, Profiles{Dir: "/u/profiles", Name: "web"}, ProfileLocation("web"))
	assert.Equal(t, Profiles{Dir: "/abs", Name: "p"}, ProfileLocation("/abs/p"))
	t.Setenv("NIX_USER_PROFILE_DIR", "")
	t.Setenv("NIX_STATE_DIR", "/state")
	assert.Equal(t, Profiles{Dir: "/state/profiles", Name: "processes"}, ProfileLocation(""))
}
