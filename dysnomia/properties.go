package dysnomia

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"nixproc/shellquote"
)

// Props are a container's properties, as a module finds them in its
// environment.
type Props map[string]string

// Get returns a property, or def when it is not set or empty.
func (p Props) Get(key, def string) string {
	if v := p[key]; v != "" {
		return v
	}
	return def
}

// Bool reads a property that is on with 1 (Dysnomia's convention) or true.
func (p Props) Bool(key string) bool { return truthy(p[key]) }

func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes":
		return true
	}
	return false
}

// Environ returns the properties as KEY=value strings, sorted.
func (p Props) Environ() []string {
	out := make([]string, 0, len(p))
	for _, k := range sortedKeys(p) {
		out = append(out, k+"="+p[k])
	}
	return out
}

// PropsFromEnviron reads properties from an environment (os.Environ()).
func PropsFromEnviron(env []string) Props {
	p := Props{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			p[k] = v
		}
	}
	return p
}

var propertyKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseProperties reads key=value lines, the format of container files, as
// text: values may be quoted as in a shell ('…', "…", backslashes) and a
// value in parentheses is a list, whose words are joined with spaces (as
// Dysnomia forwards bash arrays); blank lines and # comments are skipped.
// Nothing is evaluated, so anything that would need a shell to expand ($,
// backticks) or that a shell would split (unquoted spaces) is an error
// naming its line.
func ParseProperties(data []byte) (Props, error) {
	out := Props{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	n, start := 0, 0
	var pending string
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if pending != "" {
			line = pending + "\n" + line
		} else {
			start = n
		}
		pending = ""
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		key, value, ok := strings.Cut(trimmed, "=")
		if !ok || !propertyKey.MatchString(key) {
			return nil, fmt.Errorf("line %d: expected key=value, got %q", start, trimmed)
		}
		v, err := parseValue(value)
		if err == errUnterminated {
			pending = line // a quoted value that spans lines
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %v", start, key, err)
		}
		out[key] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if pending != "" {
		return nil, fmt.Errorf("line %d: unterminated quote", start)
	}
	return out, nil
}

var errUnterminated = fmt.Errorf("unterminated quote")

// parseValue reads the text after key=.
func parseValue(s string) (string, error) {
	s = stripComment(s)
	list := false
	if strings.HasPrefix(s, "(") {
		t := strings.TrimSpace(s)
		if !strings.HasSuffix(t, ")") {
			if strings.Count(t, "'")%2 == 1 || strings.Count(t, `"`)%2 == 1 {
				return "", errUnterminated
			}
			return "", fmt.Errorf("a list must end with )")
		}
		s, list = t[1:len(t)-1], true
	}
	words, err := shellquote.Split(s)
	switch {
	case err != nil && strings.Contains(err.Error(), "unterminated"):
		return "", errUnterminated
	case err != nil && strings.Contains(err.Error(), "expansion"):
		return "", fmt.Errorf("$ and ` are not expanded: container files are read as text, never run (write the value itself, or quote it with '…')")
	case err != nil:
		return "", err
	case len(words) > 1 && !list:
		return "", fmt.Errorf("the value has unquoted spaces (quote it: '…')")
	}
	return strings.Join(words, " "), nil
}

// stripComment cuts a comment that starts with # after whitespace, outside
// quotes, as a shell would.
func stripComment(s string) string {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\\':
			i++
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && i > 0 && (s[i-1] == ' ' || s[i-1] == '\t'):
			return strings.TrimRight(s[:i], " \t")
		}
	}
	return s
}
