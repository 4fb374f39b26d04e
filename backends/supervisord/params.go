package supervisord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"nixproc/agnostic"
)

// Params are createSupervisordProgram's parameters: the original's named
// ones, the settings nixproc may have to move into the foreground proxy
// (user, umask, directory) and its extensions (initialize, nice, instanceName),
// and every other attribute, which is a key of the [program:x] section.
type Params struct {
	Kind string `json:"__nixproc,omitempty"`
	Name string `json:"name"`
	// Command is the command line as supervisord splits it (shlex). A %
	// in it is literal.
	Command agnostic.String `json:"command,omitempty"`
	// UseProxy says the command daemonizes: the foreground proxy runs it
	// and follows the daemon through PIDFile (the original used
	// supervisor's pidproxy here).
	UseProxy     *bool              `json:"useProxy,omitempty"`
	PIDFile      agnostic.String    `json:"pidFile,omitempty"`
	InstanceName agnostic.String    `json:"instanceName,omitempty"`
	Path         agnostic.Strings   `json:"path,omitempty"`
	Environment  agnostic.StringMap `json:"environment,omitempty"`
	Directory    agnostic.String    `json:"directory,omitempty"`
	Umask        agnostic.String    `json:"umask,omitempty"`
	User         agnostic.String    `json:"user,omitempty"`
	// Initialize and Nice are not supervisord's: the foreground proxy
	// does them.
	Initialize   agnostic.String `json:"initialize,omitempty"`
	Nice         *agnostic.Int   `json:"nice,omitempty"`
	Dependencies []string        `json:"dependencies,omitempty"`
	// Handled by the pipeline for every backend; accepted here so that a
	// supervisord-specific spec decodes strictly.
	Credentials json.RawMessage `json:"credentials,omitempty"`
	PostInstall agnostic.String `json:"postInstall,omitempty"`

	// Settings are the other [program:x] keys. A null value leaves the key
	// out (supervisord's own default applies).
	Settings map[string]json.RawMessage `json:"-"`
}

// programOptions are the keys supervisord 4 reads in a [program:x]
// section, besides those Params has fields for.
var programOptions = map[string]bool{
	"process_name": true, "numprocs": true, "numprocs_start": true, "priority": true,
	"autostart": true, "startsecs": true, "startretries": true, "autorestart": true,
	"exitcodes": true, "stopsignal": true, "stopwaitsecs": true, "stopasgroup": true,
	"killasgroup": true, "redirect_stderr": true,
	"stdout_logfile": true, "stdout_logfile_maxbytes": true, "stdout_logfile_backups": true,
	"stdout_capture_maxbytes": true, "stdout_events_enabled": true, "stdout_syslog": true,
	"stderr_logfile": true, "stderr_logfile_maxbytes": true, "stderr_logfile_backups": true,
	"stderr_capture_maxbytes": true, "stderr_events_enabled": true, "stderr_syslog": true,
	"serverurl": true,
}

// fieldNames are the JSON names of Params' own fields.
var fieldNames = map[string]bool{
	"__nixproc": true, "name": true, "command": true, "useProxy": true, "pidFile": true,
	"instanceName": true, "path": true, "environment": true, "directory": true, "umask": true,
	"user": true, "initialize": true, "nice": true, "dependencies": true, "credentials": true,
	"postInstall": true,
}

// paramsFields is Params without its methods, for the JSON codec.
type paramsFields Params

// MarshalJSON writes the fields and the settings as one attribute set, as
// the original's parameters are, so overrides merge into either.
func (p *Params) MarshalJSON() ([]byte, error) {
	raw, err := json.Marshal((*paramsFields)(p))
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for k, v := range p.Settings {
		m[k] = v
	}
	return json.Marshal(m)
}

// decodeParams reads parameters: known fields strictly, any other key must
// be a supervisord program option.
func decodeParams(raw json.RawMessage) (*Params, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("the parameters must be an attribute set: %v", err)
	}
	fields := map[string]json.RawMessage{}
	settings := map[string]json.RawMessage{}
	var unknown []string
	for k, v := range all {
		switch {
		case fieldNames[k]:
			fields[k] = v
		case programOptions[k]:
			settings[k] = v
		default:
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown parameter %s: neither a createSupervisordProgram parameter nor a supervisord program option", strings.Join(unknown, ", "))
	}
	data, _ := json.Marshal(fields)
	p := &Params{}
	if err := agnostic.DecodeStrict(data, (*paramsFields)(p)); err != nil {
		return nil, err
	}
	p.Settings = settings
	return p, nil
}

func (p *Params) useProxy() bool { return p.UseProxy != nil && *p.UseProxy }

// setting returns a setting as text: Booleans as true/false, numbers as
// written, lists comma-separated (supervisord's list syntax); ok is false
// when the key is absent or null.
func (p *Params) setting(key string) (string, bool, error) {
	raw, present := p.Settings[key]
	if !present {
		return "", false, nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", false, err
	}
	s, err := settingText(v)
	if err != nil {
		return "", false, fmt.Errorf("%s: %v", key, err)
	}
	return s, v != nil, nil
}

func settingText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case json.Number:
		return x.String(), nil
	case string:
		return x, nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, err := settingText(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	case map[string]any:
		if op, ok := x["outPath"].(string); ok {
			return op, nil
		}
	}
	return "", fmt.Errorf("an attribute set cannot be a supervisord setting")
}
