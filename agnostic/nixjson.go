package agnostic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
)

// String is a string parameter that also accepts what Nix's toString would
// turn into one (numbers, Booleans, null, lists), so backend parameters
// decode from models the way the original interpolates them.
type String string

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	// Most parameters are strings without escapes: their text is the value.
	if text, ok := unescapedString(b); ok {
		*s = String(text)
		return nil
	}
	v, err := NixToString(gjson.ParseBytes(b))
	*s = String(v)
	return err
}

// unescapedString returns the text of a JSON string that has no escapes,
// quotes or control characters in it: what gjson, and so NixToString, read
// from it.
func unescapedString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	text := b[1 : len(b)-1]
	for _, c := range text {
		if c < ' ' || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(text), true
}

// Strings is a list of String.
type Strings []string

// UnmarshalJSON implements json.Unmarshaler.
func (s *Strings) UnmarshalJSON(b []byte) error {
	r := gjson.ParseBytes(b)
	if r.Type == gjson.Null {
		*s = nil
		return nil
	}
	if !r.IsArray() {
		return fmt.Errorf("expected a list, got %s", kindOf(r))
	}
	out := Strings{}
	for _, e := range r.Array() {
		v, err := NixToString(e)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	*s = out
	return nil
}

// StringMap is an attribute set of String.
type StringMap map[string]string

// UnmarshalJSON implements json.Unmarshaler.
func (m *StringMap) UnmarshalJSON(b []byte) error {
	r := gjson.ParseBytes(b)
	if r.Type == gjson.Null {
		*m = nil
		return nil
	}
	if !r.IsObject() {
		return fmt.Errorf("expected an attribute set, got %s", kindOf(r))
	}
	out := StringMap{}
	var err error
	r.ForEach(func(k, v gjson.Result) bool {
		var s string
		if s, err = NixToString(v); err != nil {
			err = fmt.Errorf("%s: %w", k.String(), err)
			return false
		}
		out[k.String()] = s
		return true
	})
	*m = out
	return err
}

// Int is a whole number that may also be written as a string ("5").
type Int int

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case float64:
		if x != float64(int(x)) {
			return fmt.Errorf("expected a whole number, got %v", x)
		}
		*n = Int(x)
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return fmt.Errorf("expected a whole number, got %q", x)
		}
		*n = Int(i)
	default:
		return fmt.Errorf("expected a whole number, got %s", string(b))
	}
	return nil
}

// DecodeStrict decodes JSON into a struct and refuses attributes the struct
// does not have, so a misspelt override is an error instead of a no-op.
func DecodeStrict(raw []byte, v any) error {
	if err := exactNames(raw, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return cleanJSONError(err)
	}
	return nil
}

// exactNames refuses attributes whose names match a parameter only when
// case is ignored: Go's JSON decoding would take "pidfile" for "pidFile",
// which Nix never would.
func exactNames(raw []byte, v any) error {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	names := parameterNames(t)
	r := gjson.ParseBytes(raw)
	if !r.IsObject() {
		return nil
	}
	var err error
	r.ForEach(func(k, _ gjson.Result) bool {
		if !names[k.String()] {
			err = fmt.Errorf("unknown parameter %q", k.String())
			return false
		}
		return true
	})
	return err
}

// parameterNamesOf caches parameterNames: a backend decodes its parameters
// once per process, and a large model has thousands.
var parameterNamesOf sync.Map // reflect.Type → map[string]bool

// parameterNames are the attribute names of a struct type's fields: the
// names of their JSON tags, else the fields' own names.
func parameterNames(t reflect.Type) map[string]bool {
	if names, ok := parameterNamesOf.Load(t); ok {
		return names.(map[string]bool)
	}
	names := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = t.Field(i).Name
		}
		if name != "-" {
			names[name] = true
		}
	}
	parameterNamesOf.Store(t, names)
	return names
}

func cleanJSONError(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	if strings.HasPrefix(msg, "unknown field ") {
		return fmt.Errorf("unknown parameter %s", strings.TrimPrefix(msg, "unknown field "))
	}
	return fmt.Errorf("%s", msg)
}
