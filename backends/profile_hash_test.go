package backends

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHashesFollowContent: a process's hash changes exactly when one of its
// files does (content, mode, kind, path); the profile's name changes with
// any file, shared ones included.
func TestHashesFollowContent(t *testing.T) {
	type file struct {
		process, rel, data string
		mode               os.FileMode
		link               bool
	}
	base := []file{
		{"a", "init.d/a", "echo a", 0o555, false},
		{"a", "rc3.d/S00a", "../init.d/a", 0, true},
		{"b", "init.d/b", "echo b", 0o555, false},
		{"", "init-functions", "f() { :; }", 0o444, false},
	}
	hashes := func(files []file) (map[string]string, string) {
		w := NewProfileWriter(t.TempDir())
		for _, f := range files {
			if f.link {
				assert.NoError(t, w.Symlink(f.process, f.rel, f.data))
			} else {
				assert.NoError(t, w.WriteFile(f.process, f.rel, []byte(f.data), f.mode))
			}
		}
		procs := map[string]string{}
		for name, pp := range w.processFiles() {
			procs[name] = pp.Hash
		}
		return procs, w.treeHash()
	}
	procs, tree := hashes(base)
	reversed := []file{base[3], base[2], base[1], base[0]}
	p2, t2 := hashes(reversed)
	assert.Equal(t, procs, p2, "the order files are written in does not matter")
	assert.Equal(t, tree, t2)

	for _, c := range []struct {
		name    string
		change  func(f *file)
		at      int
		changed string // the process whose hash changes, "" for none
	}{
		{"content", func(f *file) { f.data = "echo A" }, 0, "a"},
		{"mode", func(f *file) { f.mode = 0o755 }, 2, "b"},
		{"kind", func(f *file) { f.link = false; f.mode = 0o444 }, 1, "a"},
		{"path", func(f *file) { f.rel = "rc4.d/S00a" }, 1, "a"},
		{"a shared file", func(f *file) { f.data = "f() { true; }" }, 3, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := append([]file{}, base...)
			c.change(&files[c.at])
			p, tr := hashes(files)
			assert.NotEqual(t, tree, tr, "the profile's name changes")
			for name := range procs {
				if name == c.changed {
					assert.NotEqual(t, procs[name], p[name], name)
				} else {
					assert.Equal(t, procs[name], p[name], name)
				}
			}
		})
	}
}
