package backends

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
	"strings"
)

// processSums hashes the entries of every process (their paths, kinds,
// modes and contents, in path order), one hash per process, the processes in
// parallel. It returns the process names in the order of their first entry
// written
// and, per name, the entries and the hash; kept until a process gets
// another entry.
func (w *ProfileWriter) processSums() ([]string, map[string]*processSum) {
	if w.sums != nil && !w.processEntriesSince(w.sumsFor) {
		return w.sumNames, w.sums
	}
	var names []string
	sums := map[string]*processSum{}
	for i := range w.entries {
		p := w.entries[i].process
		if p == "" {
			continue
		}
		s := sums[p]
		if s == nil {
			s = &processSum{}
			sums[p] = s
			names = append(names, p)
		}
		s.entries = append(s.entries, i)
	}
	Parallel(len(names), func(n int) {
		s := sums[names[n]]
		sortByPath(s.entries, w.entries) // a few entries each: no need to sort them all
		h := sha256.New()
		var buf []byte
		for _, i := range s.entries {
			buf = hashEntry(h, &w.entries[i], buf)
		}
		h.Sum(s.sum[:0])
	})
	w.sumNames, w.sums, w.sumsFor = names, sums, len(w.entries)
	return names, sums
}

// processSum is the hash of one process's entries.
type processSum struct {
	entries []int // positions in ProfileWriter.entries, by path
	sum     [32]byte
}

func (w *ProfileWriter) processEntriesSince(n int) bool {
	for _, e := range w.entries[n:] {
		if e.process != "" {
			return true
		}
	}
	return false
}

// hashEntry writes an entry to h: its path, kind, mode and length, then its
// content. The header is built by hand in buf (returned for reuse): fmt
// costs more than the hashing for the many small entries of a large profile.
func hashEntry(h hash.Hash, e *entry, buf []byte) []byte {
	b := append(buf[:0], e.rel...)
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
	b = append(b, 0)
	h.Write(b)
	h.Write(e.data)
	return b
}

// processFiles returns, per process, its files (by path) and their hash.
func (w *ProfileWriter) processFiles() map[string]ProfileProcess {
	names, sums := w.processSums()
	out := make(map[string]ProfileProcess, len(names))
	for _, name := range names {
		s := sums[name]
		pp := ProfileProcess{Files: make([]string, len(s.entries)), Hash: hex.EncodeToString(s.sum[:16])}
		for k, i := range s.entries {
			pp.Files[k] = w.entries[i].rel
		}
		out[name] = pp
	}
	return out
}

// treeHash hashes every file of the profile, for its content-addressed
// name: the hash of every process, by name, then the entries no process
// owns, by path.
func (w *ProfileWriter) treeHash() string {
	names, sums := w.processSums()
	h := sha256.New()
	for _, name := range slices.Sorted(slices.Values(names)) {
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write(sums[name].sum[:])
	}
	var shared []int
	for i := range w.entries {
		if w.entries[i].process == "" {
			shared = append(shared, i)
		}
	}
	sortByPath(shared, w.entries)
	var buf []byte
	for _, i := range shared {
		buf = hashEntry(h, &w.entries[i], buf)
	}
	return nixBase32(h.Sum(nil)[:20])
}

// sortByPath orders positions of entries by the entries' paths.
func sortByPath(positions []int, entries []entry) {
	slices.SortFunc(positions, func(a, b int) int { return strings.Compare(entries[a].rel, entries[b].rel) })
}
