package backends

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"nixproc/agnostic"
)

// MetaFile is where a profile describes itself, relative to its root.
const MetaFile = "nixproc/profile.json"

// ProfileMeta is what the switch engine and the other front doors (Dysnomia
// modules, images) read from a profile instead of parsing backend files.
type ProfileMeta struct {
	ProcessManager         string        `json:"processManager"`
	Dirs                   agnostic.Dirs `json:"dirs"`
	ForceDisableUserChange bool          `json:"forceDisableUserChange"`
	// Processes in activation order.
	Processes []ProfileProcess `json:"processes"`
	// StorePaths the profile's files refer to (realised, GC-rooted).
	StorePaths []string `json:"storePaths,omitempty"`
}

// ProfileProcess is one process of a profile.
type ProfileProcess struct {
	Name         string   `json:"name"`
	Hash         string   `json:"hash"`
	Dependencies []string `json:"dependencies"`
	Files        []string `json:"files"`
	User         string   `json:"user,omitempty"`
	Lock         string   `json:"lock,omitempty"`
	Unlock       string   `json:"unlock,omitempty"`
}

// Profile is a built profile directory.
type Profile struct {
	Path string
	Meta ProfileMeta
}

// OpenProfile reads a profile. An empty path is the empty profile (nothing
// deployed yet).
func OpenProfile(path string) (*Profile, error) {
	p := &Profile{Path: path}
	if path == "" {
		return p, nil
	}
	data, err := os.ReadFile(filepath.Join(path, MetaFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a nixproc profile: %w", path, unwrap(err))
	}
	if err := json.Unmarshal(data, &p.Meta); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(path, MetaFile), err)
	}
	return p, nil
}

// File returns the absolute path of a file of the profile.
func (p *Profile) File(rel string) string { return filepath.Join(p.Path, rel) }

// Process finds a process of the profile by name.
func (p *Profile) Process(name string) *ProfileProcess {
	for i := range p.Meta.Processes {
		if p.Meta.Processes[i].Name == name {
			return &p.Meta.Processes[i]
		}
	}
	return nil
}

// DefaultUnits is the unit list most deployers use: every process of the
// profile, in activation order.
func DefaultUnits(p *Profile) []Unit {
	out := make([]Unit, 0, len(p.Meta.Processes))
	for _, pp := range p.Meta.Processes {
		out = append(out, Unit{Name: pp.Name, Hash: pp.Hash, Dependencies: pp.Dependencies, Lock: pp.Lock, Unlock: pp.Unlock})
	}
	return out
}

// ProfileWriter collects the files of a profile under construction (they
// are written to disk together when the build is done) and keeps
// track of which process each file belongs to, so every process gets a hash
// that changes exactly when its files do.
type ProfileWriter struct {
	root    string
	entries map[string]entry
	sums    map[string][32]byte // digests of entries, once computed
}

type entry struct {
	process string
	mode    os.FileMode
	data    []byte // file content, or link target
	link    bool
}

// NewProfileWriter writes into root, an empty directory.
func NewProfileWriter(root string) *ProfileWriter {
	return &ProfileWriter{root: root, entries: map[string]entry{}}
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
	for rel, e := range w.entries {
		if bytes.Contains(e.data, self) {
			e.data = bytes.ReplaceAll(e.data, self, []byte(final))
			w.entries[rel] = e
		}
	}
}

// WriteFile writes a file of a process ("" for files shared by all).
// Writing the same path twice is fine only with the same content.
func (w *ProfileWriter) WriteFile(process, rel string, data []byte, mode os.FileMode) error {
	return w.add(rel, entry{process: process, mode: mode, data: data})
}

// Symlink makes a link of a process.
func (w *ProfileWriter) Symlink(process, rel, target string) error {
	return w.add(rel, entry{process: process, data: []byte(target), link: true})
}

func (w *ProfileWriter) add(rel string, e entry) error {
	rel = filepath.Clean(rel)
	if filepath.IsAbs(rel) || rel == "." || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("profile file %q is outside the profile", rel)
	}
	if prev, ok := w.entries[rel]; ok {
		if prev.link == e.link && bytes.Equal(prev.data, e.data) && prev.mode == e.mode {
			return nil
		}
		return fmt.Errorf("profile collision: %s is written by process %s and by process %s with different content", rel, orShared(prev.process), orShared(e.process))
	}
	w.entries[rel] = e
	return nil
}

// flush writes every entry to disk. Large profiles have tens of thousands
// of files and links, and creating them is what a build spends its time on,
// so they are written by several workers at once (the work is system calls,
// which overlap even on few cores).
func (w *ProfileWriter) flush() error {
	paths := agnostic.SortedKeys(w.entries)
	dirs := map[string]bool{}
	for _, rel := range paths {
		dirs[filepath.Dir(rel)] = true
	}
	for _, d := range agnostic.SortedKeys(dirs) {
		if err := os.MkdirAll(filepath.Join(w.root, d), 0o755); err != nil {
			return err
		}
	}
	const workers = 16
	jobs := make(chan string, 256)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var first error
			for rel := range jobs {
				if first != nil {
					continue
				}
				e := w.entries[rel]
				abs := filepath.Join(w.root, rel)
				if e.link {
					first = os.Symlink(string(e.data), abs)
				} else {
					first = os.WriteFile(abs, e.data, e.mode)
				}
			}
			errs <- first
		}()
	}
	for _, rel := range paths {
		jobs <- rel
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func orShared(p string) string {
	if p == "" {
		return "(shared)"
	}
	return p
}

// digests hashes every entry once (its path, kind, mode and content), in
// parallel; the hashes of processes and of the whole profile are made from
// these, so no byte is hashed twice.
func (w *ProfileWriter) digests() ([]string, [][32]byte) {
	paths := agnostic.SortedKeys(w.entries)
	sums := make([][32]byte, len(paths))
	Parallel(len(paths), func(i int) {
		if sum, ok := w.sums[paths[i]]; ok {
			sums[i] = sum
			return
		}
		e := w.entries[paths[i]]
		h := sha256.New()
		h.Write(entryHeader(paths[i], e))
		h.Write(e.data)
		h.Sum(sums[i][:0])
	})
	w.sums = make(map[string][32]byte, len(paths))
	for i, rel := range paths {
		w.sums[rel] = sums[i]
	}
	return paths, sums
}

// entryHeader is what is hashed before an entry's content: its path, kind,
// mode and length (built by hand: fmt costs more than the hashing for the
// many small entries of a large profile).
func entryHeader(rel string, e entry) []byte {
	b := make([]byte, 0, len(rel)+32)
	b = append(b, rel...)
	b = append(b, 0)
	if e.link {
		b = append(b, "link"...)
	} else {
		b = append(b, "file"...)
	}
	b = append(b, 0)
	b = strconv.AppendUint(b, uint64(e.mode.Perm()), 8)
	b = append(b, 0)
	b = strconv.AppendInt(b, int64(len(e.data)), 10)
	return append(b, 0)
}

// processFiles returns, per process, its files and their hash.
func (w *ProfileWriter) processFiles() map[string]ProfileProcess {
	paths, sums := w.digests()
	out := map[string]ProfileProcess{}
	hashers := map[string]hash.Hash{}
	for i, rel := range paths {
		e := w.entries[rel]
		if e.process == "" {
			continue
		}
		pp := out[e.process]
		pp.Files = append(pp.Files, rel)
		out[e.process] = pp
		h := hashers[e.process]
		if h == nil {
			h = sha256.New()
			hashers[e.process] = h
		}
		h.Write(sums[i][:])
	}
	for name, h := range hashers {
		pp := out[name]
		pp.Hash = fmt.Sprintf("%x", h.Sum(nil)[:16])
		out[name] = pp
	}
	return out
}

// treeHash hashes every file of the profile, for its content-addressed name.
func (w *ProfileWriter) treeHash() string {
	_, sums := w.digests()
	h := sha256.New()
	for _, sum := range sums {
		h.Write(sum[:])
	}
	return nixBase32(h.Sum(nil)[:20])
}

// nixBase32 encodes like Nix store hashes do, so profile names look at home
// next to store paths.
func nixBase32(b []byte) string {
	const chars = "0123456789abcdfghijklmnpqrsvwxyz"
	n := (len(b)*8-1)/5 + 1
	out := make([]byte, 0, n)
	for i := n - 1; i >= 0; i-- {
		bit := uint(i * 5)
		j, k := bit/8, bit%8
		c := b[j] >> k
		if int(j)+1 < len(b) {
			c |= b[j+1] << (8 - k)
		}
		out = append(out, chars[c&0x1f])
	}
	return string(out)
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
