package backends

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// mergeRaw is DeepMerge without decoding both documents into maps of
// interfaces: it walks them with gjson and writes the merged document
// directly, in the exact form json.Marshal gives the merged maps (keys
// sorted and unique, strings and numbers as encoding/json writes them), so
// that what is decoded from it is the same to the last byte. It reports
// false when the general path must answer instead, which is when that path
// fails: invalid JSON, or a number a float64 cannot hold.
func mergeRaw(base, override []byte) ([]byte, bool) {
	if !json.Valid(base) || !json.Valid(override) {
		return nil, false
	}
	b, o := gjson.ParseBytes(base), gjson.ParseBytes(override)
	m := rawMerger{out: make([]byte, 0, len(base)+len(override)), members: make([]rawMember, 0, 16)}
	m.merge(b, o)
	if m.failed {
		return nil, false
	}
	return m.out, true
}

// rawMerger writes a merged document; failed means the general path must
// be taken.
type rawMerger struct {
	out []byte
	// members holds the attributes of the objects being written, the
	// innermost last, so that one slice serves them all.
	members []rawMember
	failed  bool
}

// merge writes what merging override into base gives: attribute sets merge
// key by key, anything else in override replaces base. A replaced base
// value is still checked, as the general path decodes it too.
func (m *rawMerger) merge(base, override gjson.Result) {
	if !base.IsObject() || !override.IsObject() {
		m.check(base)
		m.value(override)
		return
	}
	defer m.release(len(m.members))
	bs, ovs := m.sortedMembers(base), m.sortedMembers(override)
	m.out = append(m.out, '{')
	for i, j := 0, 0; i < len(bs) || j < len(ovs); {
		if i+j > 0 {
			m.out = append(m.out, ',')
		}
		switch {
		case j == len(ovs) || i < len(bs) && bs[i].key < ovs[j].key:
			m.member(bs[i])
			i++
		case i == len(bs) || ovs[j].key < bs[i].key:
			m.member(ovs[j])
			j++
		default:
			m.quoted(ovs[j].rawKey)
			m.out = append(m.out, ':')
			m.merge(bs[i].value, ovs[j].value)
			i++
			j++
		}
	}
	m.out = append(m.out, '}')
}

func (m *rawMerger) member(e rawMember) {
	m.quoted(e.rawKey)
	m.out = append(m.out, ':')
	m.value(e.value)
}

// value writes v as decoding it into an interface and encoding that gives.
func (m *rawMerger) value(v gjson.Result) {
	switch {
	case v.IsObject():
		defer m.release(len(m.members))
		m.out = append(m.out, '{')
		for i, e := range m.sortedMembers(v) {
			if i > 0 {
				m.out = append(m.out, ',')
			}
			m.member(e)
		}
		m.out = append(m.out, '}')
	case v.IsArray():
		m.out = append(m.out, '[')
		first := true
		v.ForEach(func(_, e gjson.Result) bool {
			if !first {
				m.out = append(m.out, ',')
			}
			first = false
			m.value(e)
			return !m.failed
		})
		m.out = append(m.out, ']')
	case v.Type == gjson.String:
		m.quoted(v.Raw)
	case v.Type == gjson.Number:
		m.number(v.Raw)
	default: // null, true, false
		m.out = append(m.out, v.Raw...)
	}
}

// check fails the merge when v holds a number the general path cannot
// decode.
func (m *rawMerger) check(v gjson.Result) {
	if v.Type == gjson.Number {
		m.floatOf(v.Raw)
		return
	}
	if v.IsObject() || v.IsArray() {
		v.ForEach(func(_, e gjson.Result) bool {
			m.check(e)
			return !m.failed
		})
	}
}

// number writes a number as encoding/json writes the float64 it decodes to.
// Integers of up to 15 digits are exact in a float64 and written as they
// are, which is the common case worth not converting.
func (m *rawMerger) number(raw string) {
	digits := strings.TrimPrefix(raw, "-")
	if len(digits) <= 15 && strings.Trim(digits, "0123456789") == "" {
		m.out = append(m.out, raw...)
		return
	}
	f := m.floatOf(raw)
	if m.failed {
		return
	}
	enc, err := json.Marshal(f)
	if err != nil {
		m.failed = true
		return
	}
	m.out = append(m.out, enc...)
}

func (m *rawMerger) floatOf(raw string) float64 {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		m.failed = true
	}
	return f
}

// rawMember is one attribute of an object, its name decoded and as written.
type rawMember struct {
	key, rawKey string
	value       gjson.Result
}

// sortedMembers returns the attributes of an object sorted by name, the
// last of each name only, as decoding into a map keeps them (the others are
// still checked, as decoding reads them too). They stay valid until the
// object is released.
func (m *rawMerger) sortedMembers(obj gjson.Result) []rawMember {
	start := len(m.members)
	obj.ForEach(func(k, v gjson.Result) bool {
		m.members = append(m.members, rawMember{m.unquote(k.Raw), k.Raw, v})
		return true
	})
	ms := m.members[start:]
	// A stable sort keeps repeated names in document order: the last one
	// of each run is the one to keep.
	slices.SortStableFunc(ms, func(a, b rawMember) int { return strings.Compare(a.key, b.key) })
	unique := ms[:0]
	for i, e := range ms {
		if i+1 < len(ms) && ms[i+1].key == e.key {
			m.check(e.value)
			continue
		}
		unique = append(unique, e)
	}
	return unique[:len(unique):len(unique)]
}

// release drops the members of the objects entered since there were n.
func (m *rawMerger) release(n int) { m.members = m.members[:n] }

// unquote decodes a JSON string, as unquoteJSON.
func (m *rawMerger) unquote(raw string) string {
	s, ok := unquoteJSON(raw)
	m.failed = m.failed || !ok
	return s
}

// unquoteJSON decodes a JSON string as encoding/json does. Plain strings,
// the common case, decode to their text; others are left to encoding/json,
// which replaces invalid UTF-8, for instance.
func unquoteJSON(raw string) (string, bool) {
	if s := raw[1 : len(raw)-1]; isPlain(s) {
		return s, true
	}
	var s string
	err := json.Unmarshal([]byte(raw), &s)
	return s, err == nil
}

// quoted writes the JSON string raw as decoding and encoding it gives.
func (m *rawMerger) quoted(raw string) {
	if isPlain(raw[1 : len(raw)-1]) {
		m.out = append(m.out, raw...)
		return
	}
	enc, err := json.Marshal(m.unquote(raw))
	m.failed = m.failed || err != nil
	m.out = append(m.out, enc...)
}

// isPlain tells whether s is written in JSON as it is, and read back as it
// is, by encoding/json: no quote, backslash or control character, none of
// the <, > and & it escapes for HTML, valid UTF-8 without the line and
// paragraph separators it escapes for JavaScript.
func isPlain(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if !plainASCII[c] {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}

// plainASCII are the ASCII characters encoding/json writes as they are.
var plainASCII = func() (plain [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		plain[c] = !strings.ContainsRune(`"\<>&`, c)
	}
	return plain
}()
