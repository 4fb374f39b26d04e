package idassign

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Scopes a resource may have. A processes model describes one machine, so
// both mean the same there.
const (
	ScopeGlobal  = "global"
	ScopeMachine = "machine"
)

// MaxID bounds IDs, so that no arithmetic on them can overflow.
const MaxID = 1 << 62

// Resource is one pool of IDs: min, min+step, ..., up to max.
type Resource struct {
	Name  string
	Min   int
	Max   int
	Step  int
	Scope string
}

// Size is the number of IDs in the pool.
func (r Resource) Size() int { return (r.Max-r.Min)/r.Step + 1 }

// Contains tells whether id is one of the pool's IDs: in range and on the
// step grid.
func (r Resource) Contains(id int) bool {
	return id >= r.Min && id <= r.Max && (id-r.Min)%r.Step == 0
}

// String describes the pool for error messages: 5000..6000, or
// 5000..6000 step 10.
func (r Resource) String() string {
	s := fmt.Sprintf("%d..%d", r.Min, r.Max)
	if r.Step != 1 {
		s += fmt.Sprintf(" step %d", r.Step)
	}
	return s
}

// ParseResources reads an evaluated ID resources model: a JSON object of
// resource name -> { min, max, step?, scope? }. The result is sorted by name.
func ParseResources(data []byte) ([]Resource, error) {
	if !gjson.ValidBytes(data) {
		return nil, fmt.Errorf("not valid JSON")
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return nil, fmt.Errorf("must be an attribute set of resources, got %s", kindOf(root))
	}
	var out []Resource
	var err error
	root.ForEach(func(k, v gjson.Result) bool {
		var r Resource
		r, err = parseResource(k.String(), v)
		out = append(out, r)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func parseResource(name string, v gjson.Result) (Resource, error) {
	r := Resource{Name: name, Step: 1, Scope: ScopeGlobal}
	fail := func(format string, args ...any) (Resource, error) {
		return r, fmt.Errorf("resource %s: %s", quoteName(name), fmt.Sprintf(format, args...))
	}
	if name == "" {
		return fail("a resource needs a name")
	}
	if !v.IsObject() {
		return fail("must be an attribute set with min and max, got %s", kindOf(v))
	}
	var unknown []string
	v.ForEach(func(k, _ gjson.Result) bool {
		switch k.String() {
		case "min", "max", "step", "scope":
		default:
			unknown = append(unknown, k.String())
		}
		return true
	})
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fail("unknown attribute %s (known: min, max, step, scope)", quoteName(unknown[0]))
	}
	var err error
	for _, f := range []struct {
		name     string
		dst      *int
		required bool
	}{{"min", &r.Min, true}, {"max", &r.Max, true}, {"step", &r.Step, false}} {
		x := v.Get(f.name)
		if !x.Exists() || x.Type == gjson.Null {
			if f.required {
				return fail("%s is missing", f.name)
			}
			continue
		}
		if *f.dst, err = wholeNumber(x); err != nil {
			return fail("%s: %v", f.name, err)
		}
	}
	if s := v.Get("scope"); s.Exists() && s.Type != gjson.Null {
		if s.Type != gjson.String {
			return fail("scope must be \"global\" or \"machine\", got %s", kindOf(s))
		}
		switch s.String() {
		case "", ScopeGlobal:
		case ScopeMachine:
			r.Scope = ScopeMachine
		default:
			return fail("unknown scope %q (use \"global\" or \"machine\")", s.String())
		}
	}
	switch {
	case r.Min < 0 || r.Min > MaxID:
		return fail("min %d is outside 0..%d", r.Min, MaxID)
	case r.Max < 0 || r.Max > MaxID:
		return fail("max %d is outside 0..%d", r.Max, MaxID)
	case r.Min > r.Max:
		return fail("min %d is greater than max %d", r.Min, r.Max)
	case r.Step < 1:
		return fail("step must be at least 1, got %d", r.Step)
	}
	return r, nil
}

// wholeNumber reads a JSON number that must be an integer (Nix's ints).
func wholeNumber(v gjson.Result) (int, error) {
	if v.Type != gjson.Number {
		return 0, fmt.Errorf("must be a whole number, got %s", kindOf(v))
	}
	n, err := strconv.ParseInt(v.Raw, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("must be a whole number, got %s", v.Raw)
	}
	return int(n), nil
}

func kindOf(v gjson.Result) string {
	switch {
	case v.IsObject():
		return "an attribute set"
	case v.IsArray():
		return "a list"
	case v.Type == gjson.String:
		return fmt.Sprintf("the string %q", v.String())
	case v.Type == gjson.Number:
		return "the number " + v.Raw
	case v.Type == gjson.True || v.Type == gjson.False:
		return "a Boolean"
	default:
		return "null"
	}
}

// quoteName quotes a name only when it needs it in a message.
func quoteName(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\") {
		return s
	}
	return strconv.Quote(s)
}
