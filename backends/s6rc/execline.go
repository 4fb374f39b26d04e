package s6rc

import (
	"fmt"
	"strings"
)

// Quote returns s as one execline word. Inside double quotes the execline
// lexer treats only the backslash and the double quote specially (a
// backslash starts an escape such as \n or \x41), so escaping those two is
// enough for every other byte, newlines and non-ASCII text included, to
// arrive as it is. Execline never expands $ by itself: only substitution
// commands (importas, define, ...) do, and generated scripts use none.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', '"':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// Join quotes every word and joins them with spaces.
func Join(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = Quote(w)
	}
	return strings.Join(q, " ")
}

// carriable tells why a value cannot be an argument or an environment
// value: only a NUL byte is impossible, since argv and environ end their
// strings with one.
func carriable(v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("contains a NUL byte, which no process argument or environment value can carry")
	}
	return nil
}
