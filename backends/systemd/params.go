package systemd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
)

// Params are createSystemdService's parameters: a few named ones and, as in
// the original, every other attribute is a unit section (Unit, Service,
// Install) whose settings are written as they are, in systemd's syntax. So
// overrides read as the README's: systemd.Service.Restart = "always".
type Params struct {
	Kind         string
	Name         string
	Environment  map[string]string // raw values, escaped when rendered
	Dependencies []string          // process names
	Path         []string          // packages whose bin/ go on PATH
	// Initialize is a nixproc parameter: shell run before the process
	// starts, as a prestart script in the profile that ExecStartPre runs.
	Initialize  string
	Credentials json.RawMessage
	PostInstall string
	Sections    map[string]Section
}

// Section holds the settings of one unit section. A setting has one value
// per line it is written on: a list in a model repeats the setting, as
// systemd wants for ExecStartPre, Environment, After and the like.
type Section map[string][]string

// Prefix is what every unit name starts with.
const Prefix = "nix-process-"

// UnitName is the unit of a process.
func UnitName(name string) string { return Prefix + name + ".service" }

// unitDirRel is where units live in a profile, as in the original.
const unitDirRel = "etc/systemd/system"

func prestartRel(name string) string { return "libexec/" + Prefix + name + "-prestart" }

// prestartCommand is the ExecStartPre value that runs the prestart script:
// with + (full privileges) when the unit switches user, so initialize runs
// as root as with the other backends. The path is quoted because the
// directory profiles are kept in may have spaces.
func prestartCommand(name string, privileged bool) string {
	cmd := `"` + backends.SelfRef + "/" + prestartRel(name) + `"`
	if privileged {
		return "+" + cmd
	}
	return cmd
}

var knownSections = []string{"Unit", "Service", "Install"}

func isSection(name string) bool {
	for _, s := range knownSections {
		if s == name {
			return true
		}
	}
	return strings.HasPrefix(name, "X-") && settingName.MatchString(name[2:])
}

var settingName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// MarshalJSON writes the parameters in the original's shape: named
// parameters and sections side by side; a setting with one value is a
// string, so function overrides can extend it ("${ExecStart} -D").
func (p *Params) MarshalJSON() ([]byte, error) {
	m := map[string]any{"name": p.Name}
	if p.Kind != "" {
		m["__nixproc"] = p.Kind
	}
	if len(p.Environment) > 0 {
		m["environment"] = p.Environment
	}
	if len(p.Dependencies) > 0 {
		m["dependencies"] = p.Dependencies
	}
	if len(p.Path) > 0 {
		m["path"] = p.Path
	}
	if p.Initialize != "" {
		m["initialize"] = p.Initialize
	}
	if len(p.Credentials) > 0 {
		m["credentials"] = p.Credentials
	}
	if p.PostInstall != "" {
		m["postInstall"] = p.PostInstall
	}
	for name, sec := range p.Sections {
		s := map[string]any{}
		for k, vs := range sec {
			if len(vs) == 1 {
				s[k] = vs[0]
			} else {
				s[k] = vs
			}
		}
		m[name] = s
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads the parameters strictly: an attribute that is neither
// a parameter nor a unit section is an error.
func (p *Params) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("the parameters must be an attribute set")
	}
	*p = Params{Sections: map[string]Section{}}
	for _, k := range agnostic.SortedKeys(m) {
		raw := m[k]
		var err error
		switch k {
		case "__nixproc":
			err = json.Unmarshal(raw, &p.Kind)
		case "name":
			var s agnostic.String
			err = json.Unmarshal(raw, &s)
			p.Name = string(s)
		case "environment":
			var s agnostic.StringMap
			err = json.Unmarshal(raw, &s)
			p.Environment = s
		case "dependencies":
			var s agnostic.Strings
			err = json.Unmarshal(raw, &s)
			p.Dependencies = s
		case "path":
			var s agnostic.Strings
			err = json.Unmarshal(raw, &s)
			p.Path = s
		case "initialize":
			var s agnostic.String
			err = json.Unmarshal(raw, &s)
			p.Initialize = string(s)
		case "credentials":
			p.Credentials = raw
		case "postInstall":
			var s agnostic.String
			err = json.Unmarshal(raw, &s)
			p.PostInstall = string(s)
		default:
			if !isSection(k) {
				return fmt.Errorf("unknown parameter %q (unit sections are %s, or X-<name>)", k, strings.Join(knownSections, ", "))
			}
			if string(raw) == "null" {
				continue
			}
			var sec Section
			if sec, err = decodeSection(raw); err == nil {
				p.Sections[k] = sec
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
	}
	return nil
}

// decodeSection reads one section: each setting is a string, a number, a
// Boolean (written true or false), a list of those (the setting repeated)
// or null (the setting left out, so an override can remove one).
func decodeSection(raw json.RawMessage) (Section, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("a unit section must be an attribute set of settings")
	}
	sec := Section{}
	for k, v := range m {
		if !settingName.MatchString(k) {
			return nil, fmt.Errorf("%q is not a unit setting name", k)
		}
		vals, err := decodeValues(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", k, err)
		}
		if vals != nil {
			sec[k] = vals
		}
	}
	return sec, nil
}

func decodeValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		out := []string{}
		for _, e := range list {
			v, null, err := decodeValue(e)
			if err != nil {
				return nil, err
			}
			if !null {
				out = append(out, v)
			}
		}
		return out, nil
	}
	v, null, err := decodeValue(raw)
	if err != nil || null {
		return nil, err
	}
	return []string{v}, nil
}

func decodeValue(raw json.RawMessage) (string, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false, err
	}
	switch x := v.(type) {
	case nil:
		return "", true, nil
	case string:
		return x, false, nil
	case json.Number:
		return x.String(), false, nil
	case bool:
		if x {
			return "true", false, nil
		}
		return "false", false, nil
	case map[string]any:
		if op, ok := x["outPath"].(string); ok {
			return op, false, nil
		}
	}
	return "", false, fmt.Errorf("a setting must be a string, a number, a Boolean or a list of those")
}

// sortedSections lists section names in the order they are written: Unit,
// Service, Install, then the X- sections.
func (p *Params) sortedSections() []string {
	var out, extra []string
	for _, s := range knownSections {
		if _, ok := p.Sections[s]; ok {
			out = append(out, s)
		}
	}
	for s := range p.Sections {
		if !isKnown(s) {
			extra = append(extra, s)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

func isKnown(s string) bool {
	for _, k := range knownSections {
		if k == s {
			return true
		}
	}
	return false
}

func (p *Params) section(name string) Section {
	if p.Sections == nil {
		p.Sections = map[string]Section{}
	}
	s, ok := p.Sections[name]
	if !ok {
		s = Section{}
		p.Sections[name] = s
	}
	return s
}
