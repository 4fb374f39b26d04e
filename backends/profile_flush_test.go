package backends

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIdenticalShareableDirsAreStoredOnce: a shareable directory identical
// to a shareable sibling becomes a link to it; anything else that differs
// (an entry, a parent, shareability, a subdirectory) keeps its own.
func TestIdenticalShareableDirsAreStoredOnce(t *testing.T) {
	root := t.TempDir()
	w := NewProfileWriter(root)
	links := func(dir string, names ...string) {
		for _, n := range names {
			require.NoError(t, w.Symlink(n, dir+"/S00"+n, "../init.d/"+n))
		}
	}
	for _, n := range []string{"a", "b"} {
		require.NoError(t, w.WriteFile(n, "rc/init.d/"+n, []byte("#!/bin/sh\necho "+n+"\n"), 0o555))
	}
	links("rc/rc3.d", "a", "b")
	links("rc/rc4.d", "a", "b")    // same as rc3.d
	links("rc/rc5.d", "a")         // one link fewer
	links("rc/rc6.d", "a", "b")    // same, but not shareable
	links("other/rc3.d", "a", "b") // same, but another parent
	links("rc/rc7.d", "a", "b")    // same, but has a subdirectory
	require.NoError(t, w.WriteFile("", "rc/rc7.d/sub/file", []byte("x"), 0o444))
	for _, d := range []string{"rc/rc3.d", "rc/rc4.d", "rc/rc5.d", "other/rc3.d", "rc/rc7.d"} {
		w.ShareIdenticalDir(d)
	}
	require.NoError(t, w.flush())

	target, err := os.Readlink(filepath.Join(root, "rc/rc4.d"))
	require.NoError(t, err, "rc4.d is a link")
	assert.Equal(t, "rc3.d", target)
	for _, d := range []string{"rc/rc3.d", "rc/rc5.d", "rc/rc6.d", "other/rc3.d", "rc/rc7.d"} {
		st, err := os.Lstat(filepath.Join(root, d))
		require.NoError(t, err)
		assert.True(t, st.IsDir(), "%s is a directory of its own", d)
	}
	script, err := os.ReadFile(filepath.Join(root, "rc/rc4.d/S00b"))
	require.NoError(t, err, "the entries of a shared directory are there through the link")
	assert.Equal(t, "#!/bin/sh\necho b\n", string(script))
	st, err := os.Stat(filepath.Join(root, "rc/init.d/a"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o555), st.Mode().Perm())
}
