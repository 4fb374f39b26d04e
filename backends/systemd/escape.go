package systemd

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// Escaping by systemd's own rules (systemd.syntax(7), systemd.service(5)):
// a setting is one line; in command lines and Environment= a word may be
// double-quoted, with C escapes (\n, \\, \", \xNN) unquoted; % starts a
// specifier everywhere (%% is a %); in command line arguments $ starts an
// environment variable substitution at exec time ($$ is a $), while
// Environment= values are taken literally.

// carriable tells whether a unit file can carry a value at all: systemd
// reads UTF-8 text, and no argument or environment value can hold NUL.
func carriable(v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("contains a NUL byte, which no unit file can carry")
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("is not valid UTF-8, which no unit file can carry")
	}
	return nil
}

// execWord quotes one argument of a command line.
func execWord(s string) string {
	if s != "" && isPlain(s) {
		return s
	}
	return `"` + escapeQuoted(s, true) + `"`
}

// isPlain tells whether a word needs no quoting: only characters that are
// special neither to systemd's word splitting nor to its expansions.
func isPlain(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("/-_.,:+=@", r):
		default:
			return false
		}
	}
	return true
}

// escapeQuoted escapes s for the inside of a double-quoted word; dollar
// says whether $ is special (command lines) or not (Environment=).
func escapeQuoted(s string, dollar bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == '%':
			b.WriteString("%%")
		case r == '$' && dollar:
			b.WriteString("$$")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// execLine is a command line that runs exe with args, exactly.
func execLine(exe string, args []string) (string, error) {
	if err := checkExecutable(exe); err != nil {
		return "", err
	}
	words := []string{execWord(exe)}
	for i, a := range args {
		if err := carriable(a); err != nil {
			return "", &argError{i, err}
		}
		words = append(words, execWord(a))
	}
	return strings.Join(words, " "), nil
}

type argError struct {
	index int
	err   error
}

func (e *argError) Error() string { return e.err.Error() }

// checkExecutable rejects what systemd refuses as the program of a command
// line: a relative path, quotes, backslashes and control characters.
func checkExecutable(exe string) error {
	if err := carriable(exe); err != nil {
		return err
	}
	if !path.IsAbs(exe) || strings.HasSuffix(exe, "/") {
		return fmt.Errorf("%q must be the absolute path of a program", exe)
	}
	for _, r := range exe {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\'' || r == '\\' {
			return fmt.Errorf("%q contains a character systemd does not accept in a program path", exe)
		}
	}
	return nil
}

// envAssignment is the value of an Environment= line that sets name to
// value, exactly.
func envAssignment(name, value string) string {
	return `"` + escapeQuoted(name+"="+value, false) + `"`
}

// escapeSpecifiers makes % literal in a setting that expands specifiers.
func escapeSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// pathSetting is the value of a setting that takes a path (WorkingDirectory,
// PIDFile): no quoting applies, only specifiers.
func pathSetting(p string) (string, error) {
	if err := carriable(p); err != nil {
		return "", err
	}
	if !path.IsAbs(p) {
		return "", fmt.Errorf("%q must be an absolute path", p)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%q contains a control character, which a unit file cannot carry in a path", p)
		}
	}
	clean := path.Clean(p)
	if strings.TrimSpace(clean) != clean {
		return "", fmt.Errorf("%q ends with white space, which systemd strips", p)
	}
	return escapeSpecifiers(clean), nil
}

// oneLine folds white space, so a description stays one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
