package idassign

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ids.nix")

	require.NoError(t, WriteFileAtomic(path, []byte("one\n")))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "one\n", string(data))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())

	// an existing file keeps its permissions
	require.NoError(t, os.Chmod(path, 0o600))
	require.NoError(t, WriteFileAtomic(path, []byte("two\n")))
	st, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// a link is written through, and stays a link
	link := filepath.Join(dir, "link.nix")
	require.NoError(t, os.Symlink("ids.nix", link))
	require.NoError(t, WriteFileAtomic(link, []byte("three\n")))
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "three\n", string(data))
	lst, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, lst.Mode()&os.ModeType)

	// a directory in the way is an error, and nothing is left behind
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	assert.EqualError(t, WriteFileAtomic(filepath.Join(dir, "sub"), []byte("x")), "output file "+filepath.Join(dir, "sub")+": not a regular file")
	err = WriteFileAtomic(filepath.Join(dir, "missing", "ids.nix"), []byte("x"))
	assert.ErrorContains(t, err, "no such file or directory")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 3)
}
