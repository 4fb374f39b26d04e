package idassign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// IDs are assignments: the ids.nix file.
type IDs struct {
	// IDs maps a resource to its assignments: process -> ID.
	IDs map[string]map[string]int `json:"ids"`
	// LastAssignments is the last ID handed out per resource; new IDs
	// continue after it.
	LastAssignments map[string]int `json:"lastAssignments"`
}

// NewIDs returns empty assignments.
func NewIDs() *IDs {
	return &IDs{IDs: map[string]map[string]int{}, LastAssignments: map[string]int{}}
}

// ParseIDs reads evaluated assignments (what this tool writes, or the
// original's ids.nix). lastAssignmentsPerTarget, which only Disnix's
// distribution mode fills, is accepted and ignored.
func ParseIDs(data []byte) (*IDs, error) {
	if !gjson.ValidBytes(data) {
		return nil, fmt.Errorf("not valid JSON")
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return nil, fmt.Errorf("must be an attribute set with ids and lastAssignments, got %s", kindOf(root))
	}
	out := NewIDs()
	var err error
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.String() {
		case "ids":
			err = parseIDTables(v, out.IDs)
		case "lastAssignments":
			err = parseNumbers("lastAssignments", v, out.LastAssignments)
		case "lastAssignmentsPerTarget":
		default:
			err = fmt.Errorf("unknown attribute %s (known: ids, lastAssignments)", quoteName(k.String()))
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func parseIDTables(v gjson.Result, into map[string]map[string]int) error {
	if v.Type == gjson.Null {
		return nil
	}
	if !v.IsObject() {
		return fmt.Errorf("ids must be an attribute set of resources, got %s", kindOf(v))
	}
	var err error
	v.ForEach(func(res, table gjson.Result) bool {
		m := map[string]int{}
		err = parseNumbers("ids."+quoteName(res.String()), table, m)
		into[res.String()] = m
		return err == nil
	})
	return err
}

func parseNumbers(where string, v gjson.Result, into map[string]int) error {
	if v.Type == gjson.Null {
		return nil
	}
	if !v.IsObject() {
		return fmt.Errorf("%s must be an attribute set of numbers, got %s", where, kindOf(v))
	}
	var err error
	v.ForEach(func(k, n gjson.Result) bool {
		var id int
		if id, err = wholeNumber(n); err != nil {
			err = fmt.Errorf("%s.%s %v", where, quoteName(k.String()), err)
			return false
		}
		if id < 0 || id > MaxID {
			err = fmt.Errorf("%s.%s: %d is outside 0..%d", where, quoteName(k.String()), id, MaxID)
			return false
		}
		into[k.String()] = id
		return true
	})
	return err
}

// FormatNix writes assignments as the original's ids.nix: quoted attribute
// names in sorted order, two-space indentation, every resource table present
// (possibly empty). Unlike the original, the file ends with a newline.
func FormatNix(ids *IDs) []byte {
	var b bytes.Buffer
	attr := func(indent, name string, value int) {
		b.WriteString(indent)
		b.WriteString(nixString(name))
		b.WriteString(" = ")
		b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(value), 10))
		b.WriteString(";\n")
	}
	b.WriteString("{\n  \"ids\" = {\n")
	for _, res := range sortedKeys(ids.IDs) {
		b.WriteString("    " + nixString(res) + " = {\n")
		table := ids.IDs[res]
		for _, p := range sortedKeys(table) {
			attr("      ", p, table[p])
		}
		b.WriteString("    };\n")
	}
	b.WriteString("  };\n  \"lastAssignments\" = {\n")
	for _, res := range sortedKeys(ids.LastAssignments) {
		attr("    ", res, ids.LastAssignments[res])
	}
	b.WriteString("  };\n}\n")
	return b.Bytes()
}

// FormatJSON writes assignments as JSON with the same attributes, keys
// sorted, indented.
func FormatJSON(ids *IDs) []byte {
	out := IDs{IDs: ids.IDs, LastAssignments: ids.LastAssignments}
	if out.IDs == nil {
		out.IDs = map[string]map[string]int{}
	}
	if out.LastAssignments == nil {
		out.LastAssignments = map[string]int{}
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		panic(err) // maps of strings and ints always marshal
	}
	return append(data, '\n')
}

// nixString quotes s as a Nix string literal.
func nixString(s string) string {
	if !strings.ContainsAny(s, "\"\\$\n\r\t") {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				b.WriteString(`\$`)
			} else {
				b.WriteByte(c)
			}
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Equal tells whether two sets of assignments are the same.
func (ids *IDs) Equal(other *IDs) bool {
	return bytes.Equal(FormatJSON(ids), FormatJSON(other))
}
