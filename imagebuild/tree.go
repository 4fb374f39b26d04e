package imagebuild

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// EntryType is the kind of a tree entry.
type EntryType int

// The kinds of entries a layer can hold.
const (
	TypeDir EntryType = iota
	TypeFile
	TypeSymlink
	TypeFifo
)

func (t EntryType) String() string {
	switch t {
	case TypeDir:
		return "directory"
	case TypeFile:
		return "file"
	case TypeSymlink:
		return "symbolic link"
	case TypeFifo:
		return "FIFO"
	}
	return "unknown"
}

// Entry is one file system object of a tree.
type Entry struct {
	Type EntryType
	// Mode holds the permission bits and ModeSetuid, ModeSetgid and
	// ModeSticky; other mode bits are ignored.
	Mode     fs.FileMode
	UID, GID int
	// Data is a file's content when Source is empty.
	Data []byte
	// Source is a host file whose content is read when the layer is written.
	Source string
	// Target is a symbolic link's target, as it is written.
	Target string
	// implicit marks a parent directory nobody declared: it gets mode 0755
	// and gives way to a declaration.
	implicit bool
}

func (e *Entry) same(o *Entry) bool {
	return e.Type == o.Type && e.Mode == o.Mode && e.UID == o.UID && e.GID == o.GID &&
		e.Source == o.Source && e.Target == o.Target && bytes.Equal(e.Data, o.Data)
}

// Tree is the content of one layer: entries keyed by absolute path. Parent
// directories that are not declared are made with mode 0755. The zero value
// is not usable; use NewTree.
type Tree struct {
	entries map[string]*Entry
}

// NewTree returns an empty tree.
func NewTree() *Tree { return &Tree{entries: map[string]*Entry{}} }

// Dir declares a directory.
func (t *Tree) Dir(p string, mode fs.FileMode) error {
	return t.add(p, &Entry{Type: TypeDir, Mode: mode})
}

// File declares a file with the given content.
func (t *Tree) File(p string, data []byte, mode fs.FileMode) error {
	return t.add(p, &Entry{Type: TypeFile, Mode: mode, Data: data})
}

// Symlink declares a symbolic link.
func (t *Tree) Symlink(p, target string) error {
	if target == "" {
		return fmt.Errorf("image path %s: a symbolic link needs a target", p)
	}
	return t.add(p, &Entry{Type: TypeSymlink, Mode: 0o777, Target: target})
}

// Fifo declares a named pipe.
func (t *Tree) Fifo(p string, mode fs.FileMode) error {
	return t.add(p, &Entry{Type: TypeFifo, Mode: mode})
}

// Chown sets the owner of a declared entry.
func (t *Tree) Chown(p string, uid, gid int) error {
	e := t.entries[clean(p)]
	if e == nil {
		return fmt.Errorf("image path %s: cannot change the owner of something that is not there", p)
	}
	if uid < 0 || gid < 0 {
		return fmt.Errorf("image path %s: owner %d:%d is not valid", p, uid, gid)
	}
	e.UID, e.GID = uid, gid
	e.implicit = false
	return nil
}

// Lookup returns the entry at a path, or nil.
func (t *Tree) Lookup(p string) *Entry { return t.entries[clean(p)] }

// Paths lists every path of the tree in the order the layer holds them: a
// directory before what it holds.
func (t *Tree) Paths() []string {
	out := make([]string, 0, len(t.entries))
	for p := range t.entries {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Len is the number of entries, parent directories included.
func (t *Tree) Len() int { return len(t.entries) }

func clean(p string) string { return path.Clean("/" + p) }

// add declares an entry. Declaring the same thing twice is fine; declaring
// something else at a path that is taken is an error, as is putting
// something below a path that is not a directory.
func (t *Tree) add(p string, e *Entry) error {
	if !path.IsAbs(p) {
		return fmt.Errorf("image path %q must be absolute", p)
	}
	if strings.ContainsAny(p, "\x00") {
		return fmt.Errorf("image path %q contains a NUL byte", p)
	}
	p = clean(p)
	if p == "/" {
		return fmt.Errorf("image path /: the root directory cannot be declared")
	}
	e.Mode &= fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky
	if err := t.parents(p); err != nil {
		return err
	}
	if prev, ok := t.entries[p]; ok {
		switch {
		case prev.same(e):
			prev.implicit = false
			return nil
		case prev.implicit && e.Type == TypeDir:
			t.entries[p] = e
			return nil
		default:
			return fmt.Errorf("image path %s: declared as a %s and as a %s (%s)", p, prev.Type, e.Type, difference(prev, e))
		}
	}
	t.entries[p] = e
	return nil
}

func difference(a, b *Entry) string {
	switch {
	case a.Type != b.Type:
		return "different kinds"
	case a.Mode != b.Mode:
		return fmt.Sprintf("modes %04o and %04o", unixMode(a.Mode), unixMode(b.Mode))
	case a.Target != b.Target:
		return fmt.Sprintf("targets %s and %s", a.Target, b.Target)
	case a.UID != b.UID || a.GID != b.GID:
		return "different owners"
	}
	return "different content"
}

// parents makes the parent directories of p, and refuses a parent that is
// not a directory: a layer that puts a file below a symbolic link would
// write wherever the link points when it is unpacked.
func (t *Tree) parents(p string) error {
	dir := path.Dir(p)
	if dir == "/" {
		return nil
	}
	if prev, ok := t.entries[dir]; ok {
		if prev.Type != TypeDir {
			return fmt.Errorf("image path %s: its parent %s is a %s, not a directory", p, dir, prev.Type)
		}
		return nil
	}
	if err := t.parents(dir); err != nil {
		return err
	}
	t.entries[dir] = &Entry{Type: TypeDir, Mode: 0o755, implicit: true}
	return nil
}

// unixMode turns a Go file mode into the mode bits of a tar header.
func unixMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

func fsMode(m uint32) fs.FileMode { return fs.FileMode(m) & fs.ModePerm }
