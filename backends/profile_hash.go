package backends

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// digests hashes every entry not hashed yet (its path, kind, mode and
// content), in parallel; the hashes of processes and of the whole profile
// are made from these, so no byte is hashed twice.
func (w *ProfileWriter) digests() {
	Parallel(len(w.entries), func(i int) {
		e := &w.entries[i]
		if e.summed {
			return
		}
		h := sha256.New()
		h.Write(entryHeader(e))
		h.Write(e.data)
		h.Sum(e.sum[:0])
		e.summed = true
	})
}

// entryHeader is what is hashed before an entry's content: its path, kind,
// mode and length (built by hand: fmt costs more than the hashing for the
// many small entries of a large profile).
func entryHeader(e *entry) []byte {
	b := make([]byte, 0, len(e.rel)+32)
	b = append(b, e.rel...)
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

// processFiles returns, per process, its files (by path) and their hash.
func (w *ProfileWriter) processFiles() map[string]ProfileProcess {
	w.digests()
	var names []string
	members := map[string][]int{}
	for _, i := range w.byPath() {
		p := w.entries[i].process
		if p == "" {
			continue
		}
		if _, ok := members[p]; !ok {
			names = append(names, p)
		}
		members[p] = append(members[p], i)
	}
	procs := make([]ProfileProcess, len(names))
	Parallel(len(names), func(n int) {
		idx := members[names[n]]
		pp := ProfileProcess{Files: make([]string, len(idx))}
		h := sha256.New()
		for k, i := range idx {
			pp.Files[k] = w.entries[i].rel
			h.Write(w.entries[i].sum[:])
		}
		pp.Hash = hex.EncodeToString(h.Sum(nil)[:16])
		procs[n] = pp
	})
	out := make(map[string]ProfileProcess, len(names))
	for n, name := range names {
		out[name] = procs[n]
	}
	return out
}

// treeHash hashes every file of the profile, for its content-addressed name.
func (w *ProfileWriter) treeHash() string {
	w.digests()
	h := sha256.New()
	for _, i := range w.byPath() {
		h.Write(w.entries[i].sum[:])
	}
	return nixBase32(h.Sum(nil)[:20])
}

// sortByPath orders positions of entries by the entries' paths.
func sortByPath(positions []int, entries []entry) {
	slices.SortFunc(positions, func(a, b int) int { return strings.Compare(entries[a].rel, entries[b].rel) })
}
