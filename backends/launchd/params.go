package launchd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"nixproc/agnostic"
)

// Params are createLaunchdDaemon's parameters: name, path, credentials and
// postInstall, and, as in the original, every other attribute is a key of
// the property list (Label, ProgramArguments, KeepAlive...).
type Params struct {
	Kind string
	Name string
	Path []string // packages whose bin/ go on PATH
	// Dependencies only order the switch: launchd has no dependencies.
	Dependencies []string
	Credentials  json.RawMessage
	PostInstall  string
	// Proxy is a nixproc parameter (foregroundProxy): the foreground proxy
	// the plist runs when launchd cannot run the program itself.
	Proxy *Proxy
	Keys  map[string]any // plist values: string, int64, float64, bool, []any, map[string]any
}

// Proxy describes a foreground proxy (see backends/fgproxy).
type Proxy struct {
	Executable string   `json:"executable"`
	Args       []string `json:"args,omitempty"`
	Daemon     bool     `json:"daemon,omitempty"`
	PIDFile    string   `json:"pidFile,omitempty"`
	Initialize string   `json:"initialize,omitempty"`
	Directory  string   `json:"directory,omitempty"`
	User       string   `json:"user,omitempty"`
}

// LabelPrefix is what labels start with, as in the original.
const LabelPrefix = "org.nixos."

// knownKeys are the keys of launchd.plist(5); another key is most likely a
// misspelling, which launchd would ignore silently.
var knownKeys = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`Label Disabled UserName GroupName inetdCompatibility
		LimitLoadToHosts LimitLoadFromHosts LimitLoadToSessionType LimitLoadToHardware
		LimitLoadFromHardware Program ProgramArguments EnableGlobbing EnableTransactions
		EnablePressuredExit OnDemand ServiceIPC KeepAlive RunAtLoad RootDirectory
		WorkingDirectory EnvironmentVariables Umask TimeOut ExitTimeOut ThrottleInterval
		InitGroups WatchPaths QueueDirectories StartOnMount StartInterval
		StartCalendarInterval StandardInPath StandardOutPath StandardErrorPath Debug
		WaitForDebugger SoftResourceLimits HardResourceLimits Nice ProcessType
		AbandonProcessGroup LowPriorityIO LowPriorityBackgroundIO MaterializeDatalessFiles
		LaunchOnlyOnce MachServices Sockets LaunchEvents SessionCreate LegacyTimers
		AssociatedBundleIdentifiers`) {
		knownKeys[k] = true
	}
}

// MarshalJSON writes the parameters in the original's shape: named
// parameters and plist keys side by side.
func (p *Params) MarshalJSON() ([]byte, error) {
	m := map[string]any{"name": p.Name}
	if p.Kind != "" {
		m["__nixproc"] = p.Kind
	}
	if len(p.Path) > 0 {
		m["path"] = p.Path
	}
	if len(p.Dependencies) > 0 {
		m["dependencies"] = p.Dependencies
	}
	if len(p.Credentials) > 0 {
		m["credentials"] = p.Credentials
	}
	if p.PostInstall != "" {
		m["postInstall"] = p.PostInstall
	}
	if p.Proxy != nil {
		m["foregroundProxy"] = p.Proxy
	}
	for k, v := range p.Keys {
		m[k] = v
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads the parameters strictly: an attribute that is neither
// a parameter nor a launchd.plist key is an error. A key set to null is
// left out, so an override can remove a generated key.
func (p *Params) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("the parameters must be an attribute set")
	}
	*p = Params{Keys: map[string]any{}}
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
		case "path":
			var s agnostic.Strings
			err = json.Unmarshal(raw, &s)
			p.Path = s
		case "dependencies":
			var s agnostic.Strings
			err = json.Unmarshal(raw, &s)
			p.Dependencies = s
		case "credentials":
			p.Credentials = raw
		case "postInstall":
			var s agnostic.String
			err = json.Unmarshal(raw, &s)
			p.PostInstall = string(s)
		case "foregroundProxy":
			if string(raw) != "null" {
				p.Proxy = &Proxy{}
				err = agnostic.DecodeStrict(raw, p.Proxy)
			}
		default:
			if !knownKeys[k] {
				return fmt.Errorf("unknown parameter %q (neither a createLaunchdDaemon parameter nor a launchd.plist key)", k)
			}
			var v any
			if v, err = decodeValue(raw); err == nil && v != nil {
				switch k {
				case "EnvironmentVariables":
					v, err = environment(raw)
				case "ProgramArguments":
					v, err = arguments(raw)
				}
				p.Keys[k] = v
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
	}
	return nil
}

// decodeValue turns JSON into plist values: whole numbers are integers,
// other numbers reals; a derivation is its store path; null is nothing.
func decodeValue(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return convert(v)
}

func convert(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.Float64()
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			c, err := convert(e)
			if err != nil {
				return nil, err
			}
			if c == nil {
				return nil, fmt.Errorf("a list cannot hold null")
			}
			out = append(out, c)
		}
		return out, nil
	case map[string]any:
		if op, ok := x["outPath"].(string); ok {
			return op, nil
		}
		out := map[string]any{}
		for k, e := range x {
			c, err := convert(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", k, err)
			}
			if c != nil {
				out[k] = c
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected value %v", v)
}

// environment reads EnvironmentVariables the way the original renders them:
// every value made a string as Nix's toString does.
func environment(raw json.RawMessage) (any, error) {
	var env agnostic.StringMap
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for k, v := range env {
		out[k] = v
	}
	return out, nil
}

// arguments reads ProgramArguments as strings, numbers written as Nix's
// toString does: launchd passes only strings to a program.
func arguments(raw json.RawMessage) (any, error) {
	var args agnostic.Strings
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, err
	}
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out, nil
}

// label is the job's label: the Label key, else org.nixos.<name>.
func (p *Params) label() string {
	if l, ok := p.Keys["Label"].(string); ok && l != "" {
		return l
	}
	return LabelPrefix + p.Name
}

// checkString tells whether an XML property list can carry s: XML 1.0
// has no place for NUL and most other control characters.
func checkString(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not valid UTF-8, which a property list cannot carry", s)
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("%q contains the control character %U, which an XML property list cannot carry", s, r)
		}
	}
	return nil
}

// checkValue checks every string of a plist value, naming where it is.
func checkValue(where string, v any) error {
	switch x := v.(type) {
	case string:
		if err := checkString(x); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
	case []any:
		for i, e := range x {
			if err := checkValue(fmt.Sprintf("%s[%d]", where, i), e); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range agnostic.SortedKeys(x) {
			if err := checkString(k); err != nil {
				return fmt.Errorf("%s: key %v", where, err)
			}
			if err := checkValue(where+"."+k, x[k]); err != nil {
				return err
			}
		}
	}
	return nil
}
