package supervisord

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// supervisord reads its configuration with Python's configparser and then
// expands %(name)s in most values, so a value passes through three layers:
//
//  1. the INI file: a line ends at \n or \r; a ; or # that follows
//     whitespace starts a comment; whitespace around the value is dropped.
//     gopkg.in/ini.v1, which writes the file, wraps values holding a
//     backtick in """ (which configparser does not understand).
//  2. supervisord's %-expansion: a literal % is written %%. Before it, the
//     literal text %(here)s is replaced by the file's directory everywhere.
//  3. the value's own syntax: command= is split into words by shlex.split
//     (POSIX); environment= is tokenised by the non-POSIX shlex, where a
//     quoted value is one token with no escapes, and then loses every
//     quote character at its ends.
//
// The functions here encode values for all three, or say that a value
// cannot be encoded.

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// lineBreak finds what would end a configuration line early.
func lineBreak(v string) error {
	switch {
	case strings.ContainsAny(v, "\n\r"):
		return fmt.Errorf("contains a line break, which a supervisord configuration value cannot carry")
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("contains a NUL byte, which no process argument or environment value can carry")
	case !utf8.ValidString(v):
		return fmt.Errorf("is not valid UTF-8, which supervisord reads its configuration as")
	}
	return nil
}

// iniProblem tells why v, written as it is after key=, would not be read
// back as it is (ignoring %-expansion).
func iniProblem(v string) string {
	if strings.ContainsRune(v, '`') {
		return "contains a backtick, which the INI writer would quote"
	}
	if v != strings.TrimFunc(v, pyIsSpace) {
		return "starts or ends with whitespace, which supervisord drops"
	}
	if strings.HasPrefix(v, ";") || strings.HasPrefix(v, "#") {
		return "starts with ; or #, which supervisord reads as a comment"
	}
	prev := rune(0)
	for _, r := range v {
		if (r == ';' || r == '#') && pyIsSpace(prev) {
			return "has whitespace followed by ; or #, which supervisord reads as a comment"
		}
		prev = r
	}
	return ""
}

// escapePercent doubles every %, for supervisord's %-expansion.
func escapePercent(v string) string { return strings.ReplaceAll(v, "%", "%%") }

// setting encodes a plain setting (directory=, user=, a log file...): the
// value arrives as it is, or an error says why it cannot.
func setting(v string) (string, error) {
	if err := lineBreak(v); err != nil {
		return "", err
	}
	if p := iniProblem(v); p != "" {
		return "", fmt.Errorf("%s", p)
	}
	if strings.Contains(v, "%(here)s") {
		return "", fmt.Errorf("contains %%(here)s, which supervisord replaces even when escaped")
	}
	return escapePercent(v), nil
}

// splitCommand splits a command line the way supervisord does (Python's
// shlex.split: POSIX rules, no comments). Single quotes keep everything;
// in double quotes a backslash escapes only " and \; outside quotes it
// escapes any character.
func splitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("no closing quotation")
			}
			cur.WriteString(string(rs[i+1 : j]))
			i = j
			inWord = true
		case c == '"':
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) && (rs[j+1] == '"' || rs[j+1] == '\\') {
					j++
				}
				cur.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("no closing quotation")
			}
			i = j
			inWord = true
		case c == '\\':
			if i+1 >= len(rs) {
				return nil, fmt.Errorf("no escaped character")
			}
			i++
			cur.WriteRune(rs[i])
			inWord = true
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func isSafeWord(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("@%+:,./_=-", r):
		default:
			return false
		}
	}
	return true
}

// commandWord quotes one word for command=, already escaped for the INI
// file and %-expansion: it is single-quoted where needed, and the quotes
// are closed and reopened (”) between whitespace and a following ; or #,
// and between %% and (, so that no comment starts and no %(here)s appears.
func commandWord(w string) string {
	if isSafeWord(w) {
		return escapePercent(w)
	}
	var b strings.Builder
	b.WriteByte('\'')
	prev := rune(0)
	for _, r := range w {
		switch {
		case r == '\'':
			b.WriteString(`'\''`)
		case (r == ';' || r == '#') && pyIsSpace(prev):
			b.WriteString("''")
			b.WriteRune(r)
		case r == '(' && prev == '%':
			b.WriteString("''(")
		case r == '%':
			b.WriteString("%%")
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	b.WriteByte('\'')
	return b.String()
}

// commandLine encodes words for command=. It fails only for what the
// configuration file cannot hold at all (a line break); a backtick, which
// the INI writer cannot write, is reported by ok = false, so the words can
// go through the foreground proxy instead.
func commandLine(words []string) (line string, ok bool, err error) {
	q := make([]string, len(words))
	ok = true
	for i, w := range words {
		if err := lineBreak(w); err != nil {
			return "", false, err
		}
		if strings.ContainsRune(w, '`') {
			ok = false
		}
		q[i] = commandWord(w)
	}
	return strings.Join(q, " "), ok, nil
}

// envValue encodes one environment value for environment=, or says why it
// cannot be encoded there (the foreground proxy can carry it instead).
func envValue(v string) (string, string) {
	hasDouble, hasSingle := strings.ContainsRune(v, '"'), strings.ContainsRune(v, '\'')
	switch {
	case hasDouble && hasSingle:
		return "", "contains both kinds of quote"
	case strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "'") || strings.HasSuffix(v, `"`) || strings.HasSuffix(v, "'"):
		return "", "starts or ends with a quote, which supervisord strips"
	case strings.Contains(v, "%(here)s"):
		return "", "contains %(here)s, which supervisord replaces even when escaped"
	}
	quote := `"`
	if hasDouble {
		quote = "'"
	}
	enc := quote + escapePercent(v) + quote
	if p := iniProblem("X=" + enc); p != "" {
		return "", p
	}
	return enc, ""
}
