package agnosticconfig

import (
	"bytes"
	"encoding/json"
	"fmt"

	"nixproc/agnostic"
)

// Encode writes a process as its canonical agnostic configuration: the
// parameters of createManagedProcess with nixproc's defaults applied (the
// daemon and foreground forms spelt out, so nothing depends on how process,
// args and the extra arguments combine), keys sorted, dependencies as
// names. agnostic.DecodeConfig reads it back to the same process, and it is
// a valid argument of createManagedProcess. A process manager-specific
// process is written as its create function's parameters.
func Encode(p *agnostic.Process) ([]byte, error) {
	if p.Kind != agnostic.KindManagedProcess {
		dec := json.NewDecoder(bytes.NewReader(p.Native))
		dec.UseNumber() // numbers stay as written
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("process %s: %w", p.Key, err)
		}
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("process %s: %w", p.Key, err)
		}
		return append(data, '\n'), nil
	}
	c := map[string]any{
		"name":                  p.Name,
		"description":           p.Description,
		"daemonArgs":            list(p.DaemonArgs),
		"foregroundProcessArgs": list(p.ForegroundProcessArgs),
		"dependencies":          list(p.Dependencies),
	}
	for key, v := range map[string]string{
		"instanceName": p.InstanceName, "initialize": p.Initialize,
		"daemon": p.Daemon, "foregroundProcess": p.ForegroundProcess,
		"pidFile": p.PIDFile, "directory": p.Directory, "umask": p.Umask,
		"user": p.User, "postInstall": p.PostInstall, "lock": p.Lock, "unlock": p.Unlock,
	} {
		if v != "" {
			c[key] = v
		}
	}
	if len(p.Path) > 0 {
		c["path"] = p.Path
	}
	if len(p.Environment) > 0 {
		c["environment"] = p.Environment
	}
	if p.Nice != nil {
		c["nice"] = *p.Nice
	}
	if len(p.Credentials.Groups) > 0 || len(p.Credentials.Users) > 0 {
		cred := map[string]any{}
		if len(p.Credentials.Groups) > 0 {
			cred["groups"] = p.Credentials.Groups
		}
		if len(p.Credentials.Users) > 0 {
			cred["users"] = p.Credentials.Users
		}
		c["credentials"] = cred
	}
	if len(p.Overrides) > 0 {
		c["overrides"] = p.Overrides
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("process %s: %w", p.Key, err)
	}
	return append(data, '\n'), nil
}

func list(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// functionOverrides lists the process managers whose override of a process
// is a Nix function: JSON cannot carry it, only its marker.
func functionOverrides(p *agnostic.Process) []string {
	var out []string
	for _, pm := range agnostic.SortedKeys(p.Overrides) {
		var m map[string]json.RawMessage
		if json.Unmarshal(p.Overrides[pm], &m) == nil {
			if _, ok := m[agnostic.FunctionOverrideMarker]; ok {
				out = append(out, pm)
			}
		}
	}
	return out
}
