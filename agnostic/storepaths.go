package agnostic

import (
	"bytes"
	"os"
	"sort"
)

// DefaultStoreDir is where Nix keeps its store unless configured otherwise.
const DefaultStoreDir = "/nix/store"

// StorePathsIn returns the store paths a text mentions: the store directory,
// a slash, a 32-character hash in Nix's base-32 alphabet, a dash and a name.
// A file below a store path counts as the store path. Sorted, without
// duplicates. None of the characters involved is ever escaped in JSON, so
// a JSON text can be scanned as it is.
func StorePathsIn(text []byte, storeDir string) []string {
	prefix := []byte(storeDir + "/")
	seen := map[string]bool{}
	var out []string
	for rest := text; ; {
		i := bytes.Index(rest, prefix)
		if i < 0 {
			break
		}
		rest = rest[i+len(prefix):]
		n := storePathBaseLen(rest)
		if n == 0 {
			continue
		}
		p := storeDir + "/" + string(rest[:n])
		rest = rest[n:]
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// storePathBaseLen is the length of the hash-name part of a store path at
// the start of b, or 0 when b does not start with one.
func storePathBaseLen(b []byte) int {
	const hashLen = 32
	if len(b) < hashLen+2 || b[hashLen] != '-' {
		return 0
	}
	for _, c := range b[:hashLen] {
		if !isNixBase32(c) {
			return 0
		}
	}
	n := hashLen + 1
	for n < len(b) && isStoreNameChar(b[n]) {
		n++
	}
	if n == hashLen+1 || b[hashLen+1] == '.' {
		return 0
	}
	return n
}

// isNixBase32 says whether c is in Nix's base-32 alphabet (no e, o, t, u).
func isNixBase32(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' && c != 'e' && c != 'o' && c != 't' && c != 'u'
}

func isStoreNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || bytes.IndexByte([]byte("+-._?="), c) >= 0
}

// allExist says whether every path is there.
func allExist(paths []string) bool {
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			return false
		}
	}
	return true
}
