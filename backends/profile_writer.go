package backends

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ProfileWriter collects the files of a profile under construction (they
// are written to disk together when the build is done) and keeps
// track of which process each file belongs to, so every process gets a hash
// that changes exactly when its files do.
type ProfileWriter struct {
	root    string
	entries []entry        // in the order they were added
	index   map[string]int // path -> position in entries
	// shareable directories may be written as a link to an identical
	// sibling (ShareIdenticalDir).
	shareable map[string]bool
	// sums are the hashes of the processes, made from the first sumsFor
	// entries (processSums).
	sumNames []string
	sums     map[string]*processSum
	sumsFor  int
}

type entry struct {
	rel     string
	process string
	mode    os.FileMode
	data    []byte // file content, or link target
	link    bool
}

// NewProfileWriter writes into root, an empty directory.
func NewProfileWriter(root string) *ProfileWriter {
	return &ProfileWriter{root: root, index: map[string]int{}, shareable: map[string]bool{}}
}

// ShareIdenticalDir lets a directory of the profile be stored as a link to
// a sibling directory (one of the same parent, also shareable) when both
// hold exactly the same entries. A sysvinit profile has seven runlevel
// directories of one link per process, most of them identical: stored
// once, a profile of 10,000 processes is 50,000 links smaller. Only a
// backend knows that what reads the directory follows such a link.
func (w *ProfileWriter) ShareIdenticalDir(dir string) {
	w.shareable[filepath.Clean(dir)] = true
}

// Root is the directory being written.
func (w *ProfileWriter) Root() string { return w.root }

// SelfRef stands for the profile's own final directory in the files of a
// profile, as $out does in a Nix build: a unit can name its prestart script,
// a plist its foreground proxy, although the profile's name (a hash of its
// files) is only known once every file is written. Build replaces it with
// the final path before the files are written; the hashes are
// computed with the placeholder, so they do not depend on where profiles are
// kept.
const SelfRef = "/nixproc-self-profile-0000000000000000000000000000000"

// Path returns how a file of the profile refers to another one: the
// absolute path it will have (SelfRef followed by rel).
func (w *ProfileWriter) Path(rel string) string {
	return SelfRef + "/" + filepath.ToSlash(filepath.Clean(rel))
}

// resolveSelfRefs replaces SelfRef with final in every file and link
// target of the profile, before they are written.
func (w *ProfileWriter) resolveSelfRefs(final string) {
	self := []byte(SelfRef)
	for i := range w.entries {
		e := &w.entries[i]
		if bytes.Contains(e.data, self) {
			e.data = bytes.ReplaceAll(e.data, self, []byte(final))
		}
	}
}

// WriteFile writes a file of a process ("" for files shared by all).
// Writing the same path twice is fine only with the same content.
func (w *ProfileWriter) WriteFile(process, rel string, data []byte, mode os.FileMode) error {
	return w.add(entry{rel: rel, process: process, mode: mode, data: data})
}

// Symlink makes a link of a process.
func (w *ProfileWriter) Symlink(process, rel, target string) error {
	return w.add(entry{rel: rel, process: process, data: []byte(target), link: true})
}

func (w *ProfileWriter) add(e entry) error {
	if !isPlainRelative(e.rel) {
		rel := filepath.Clean(e.rel)
		if filepath.IsAbs(rel) || rel == "." || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("profile file %q is outside the profile", e.rel)
		}
		e.rel = rel
	}
	rel := e.rel
	if i, ok := w.index[rel]; ok {
		prev := w.entries[i]
		if prev.link == e.link && bytes.Equal(prev.data, e.data) && prev.mode == e.mode {
			return nil
		}
		return fmt.Errorf("profile collision: %s is written by process %s and by process %s with different content", rel, orShared(prev.process), orShared(e.process))
	}
	w.index[rel] = len(w.entries)
	w.entries = append(w.entries, e)
	return nil
}

// isPlainRelative says whether a path is relative and already clean: names
// separated by single slashes, none of them . or .. (what backends write;
// checked by hand, as filepath.Clean costs more for the many entries of a
// large profile).
func isPlainRelative(rel string) bool {
	for seg := range strings.SplitSeq(rel, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// Reserve makes room for n more entries, for a backend that knows how many
// files and links it writes.
func (w *ProfileWriter) Reserve(n int) {
	w.entries = slices.Grow(w.entries, n)
	if len(w.index) == 0 {
		w.index = make(map[string]int, n)
	}
}

func orShared(p string) string {
	if p == "" {
		return "(shared)"
	}
	return p
}
