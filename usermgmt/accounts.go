// Package usermgmt creates and removes the users and groups that processes
// declare in their credentials, from the key=value files of a profile's
// dysnomia-support folder (the format Dysnomia's user tools read).
//
// Files are read literally, line by line, never run as shell. Accounts that
// already exist are left alone; only accounts this tool created are ever
// removed.
package usermgmt

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"nixproc/agnostic"
	"nixproc/shellquote"
)

// Format writes account properties as key=value lines, sorted by key, each
// value quoted so a shell that sources the file gets it byte for byte.
func Format(props map[string]string) []byte {
	var b bytes.Buffer
	for _, k := range agnostic.SortedKeys(props) {
		fmt.Fprintf(&b, "%s=%s\n", k, shellquote.Quote(props[k]))
	}
	return b.Bytes()
}

// Parse reads key=value lines. Values may be shell-quoted; blank lines and
// lines starting with # are skipped. Anything that needs a shell to expand
// is an error.
func Parse(data []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	var pending string
	for sc.Scan() {
		n++
		line := pending + sc.Text()
		pending = ""
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		eq := strings.IndexByte(line, '=')
		if eq <= 0 || !validKey(line[:eq]) {
			return nil, fmt.Errorf("line %d: expected key=value, got %q", n, line)
		}
		words, err := shellquote.Split(line[eq+1:])
		if err != nil && strings.Contains(err.Error(), "unterminated") {
			pending = line + "\n" // a quoted value that spans lines
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		if len(words) > 1 {
			return nil, fmt.Errorf("line %d: the value of %s has unquoted spaces", n, line[:eq])
		}
		out[line[:eq]] = strings.Join(words, "")
	}
	if pending != "" {
		return nil, fmt.Errorf("line %d: unterminated quote", n)
	}
	return out, sc.Err()
}

func validKey(k string) bool {
	for i, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return k != ""
}
