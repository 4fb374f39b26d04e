package systemd

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
)

// Translate maps an agnostic process to a unit: foreground processes are
// Type=simple, processes that can only daemonize Type=forking with their PID
// file; initialize becomes a prestart script; the unit is wanted by
// default.target so it comes back after a reboot.
func (Backend) Translate(ctx *backends.Context, p *agnostic.Process) (any, []backends.Warning, error) {
	fail := func(field string, err error) (any, []backends.Warning, error) {
		return nil, nil, &agnostic.FieldError{Process: p.Key, Field: field, Msg: err.Error()}
	}
	params := &Params{
		Name:         p.Name,
		Environment:  p.Environment,
		Dependencies: p.Dependencies,
		Path:         p.Path,
		Initialize:   p.Initialize,
		PostInstall:  p.PostInstall,
	}
	params.section("Unit")["Description"] = []string{escapeSpecifiers(oneLine(p.Description))}
	svc := params.section("Service")

	exe, args, exeField, argsField := p.ForegroundProcess, p.ForegroundProcessArgs, "foregroundProcess", "foregroundProcessArgs"
	foreground := p.IsForeground()
	if !foreground {
		exe, args, exeField, argsField = p.Daemon, p.DaemonArgs, "daemon", "daemonArgs"
	}
	line, err := execLine(exe, args)
	if err != nil {
		var ae *argError
		if errors.As(err, &ae) {
			return fail(fmt.Sprintf("%s[%d]", argsField, ae.index), ae.err)
		}
		return fail(exeField, err)
	}
	svc["ExecStart"] = []string{line}
	if foreground {
		svc["Type"] = []string{"simple"}
	} else {
		svc["Type"] = []string{"forking"}
		if pid := daemonPIDFile(ctx, p); pid != "" {
			v, err := pathSetting(pid)
			if err != nil {
				return fail("pidFile", err)
			}
			// /var/run is /run wherever systemd runs; systemd rewrites (and
			// complains about) PID files below the legacy name.
			if rest, ok := strings.CutPrefix(v, "/var/run/"); ok {
				v = "/run/" + rest
			}
			svc["PIDFile"] = []string{v}
		}
	}
	if p.Directory != "" {
		v, err := pathSetting(p.Directory)
		if err != nil {
			return fail("directory", err)
		}
		// initialize may create the directory: systemd enters it for every
		// command, the prestart script included, so a missing one must not
		// be fatal there (the main process then finds it).
		if p.Initialize != "" {
			v = "-" + v
		}
		svc["WorkingDirectory"] = []string{v}
	}
	if p.Umask != "" {
		svc["UMask"] = []string{p.Umask}
	}
	if p.Nice != nil {
		svc["Nice"] = []string{strconv.Itoa(*p.Nice)}
	}
	if u := ctx.User(p.User); u != "" {
		svc["User"] = []string{u}
	}
	params.section("Install")["WantedBy"] = []string{"default.target"}
	if err := params.normalize(); err != nil {
		return nil, nil, &agnostic.FieldError{Process: p.Key, Msg: err.Error()}
	}
	return params, nil, nil
}

// daemonPIDFile is the PID file systemd watches for a daemon: the model's,
// else the one named after the instance, by the rules the other backends
// share; without either, systemd finds the main process itself.
func daemonPIDFile(ctx *backends.Context, p *agnostic.Process) string {
	return backends.PIDFile(ctx.Dirs, p.User, p.InstanceName, p.PIDFile, "")
}

// Decode reads parameters: a systemd-specific spec, or translated ones with
// overrides merged.
func (Backend) Decode(ctx *backends.Context, p *agnostic.Process, raw json.RawMessage) (any, error) {
	params := &Params{}
	if err := json.Unmarshal(raw, params); err != nil {
		return nil, err
	}
	return params, params.normalize()
}

var (
	unitNameChars = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
	octal         = regexp.MustCompile(`^0?[0-7]{1,3}$`)
)

// normalize keeps the prestart script and ExecStartPre in step, then checks
// what systemd would refuse or misread.
func (p *Params) normalize() error {
	if p.Name == "" {
		return fmt.Errorf("name: no unit name")
	}
	if !unitNameChars.MatchString(p.Name) || len(UnitName(p.Name)) > 255 {
		return fmt.Errorf("name: %q cannot be part of a unit name (letters, digits and _ . : - only)", p.Name)
	}
	if svc, ok := p.Sections["Service"]; ok || p.Initialize != "" {
		svc = p.section("Service")
		var pre []string
		for _, v := range svc["ExecStartPre"] {
			if v != prestartCommand(p.Name, true) && v != prestartCommand(p.Name, false) {
				pre = append(pre, v)
			}
		}
		if p.Initialize != "" {
			pre = append([]string{prestartCommand(p.Name, len(svc["User"]) > 0)}, pre...)
		}
		if len(pre) > 0 {
			svc["ExecStartPre"] = pre
		} else {
			delete(svc, "ExecStartPre")
		}
	}
	return p.check()
}

func (p *Params) check() error {
	for _, name := range p.sortedSections() {
		sec := p.Sections[name]
		for _, k := range agnostic.SortedKeys(sec) {
			for _, v := range sec[k] {
				if err := settingValue(v); err != nil {
					return fmt.Errorf("%s.%s: %v", name, k, err)
				}
			}
		}
	}
	if svc := p.Sections["Service"]; svc != nil {
		for _, v := range svc["UMask"] {
			if !octal.MatchString(v) {
				return fmt.Errorf("Service.UMask: %q is not an octal mask", v)
			}
		}
		for _, v := range svc["Nice"] {
			if n, err := strconv.Atoi(v); err != nil || n < -20 || n > 19 {
				return fmt.Errorf("Service.Nice: %q is not a niceness between -20 and 19", v)
			}
		}
	}
	for _, k := range agnostic.SortedKeys(p.Environment) {
		if !validEnvName(k) {
			return fmt.Errorf("environment: %q is not a valid environment variable name", k)
		}
		if err := carriable(p.Environment[k]); err != nil {
			return fmt.Errorf("environment.%s: %v", k, err)
		}
	}
	for _, d := range p.Dependencies {
		if !unitNameChars.MatchString(d) {
			return fmt.Errorf("dependencies: %q cannot be part of a unit name", d)
		}
	}
	for _, pkg := range p.Path {
		if err := carriable(pkg); err != nil || strings.ContainsAny(pkg, ":\n") {
			return fmt.Errorf("path: %q cannot be put on PATH", pkg)
		}
	}
	return nil
}

// settingValue checks a setting written as it is: one line of UTF-8 text
// that does not end in a line continuation.
func settingValue(v string) error {
	if err := carriable(v); err != nil {
		return err
	}
	if strings.ContainsAny(v, "\n\r") {
		return fmt.Errorf("%q spans lines, which a unit setting cannot", v)
	}
	if strings.HasSuffix(v, `\`) {
		return fmt.Errorf("%q ends with a backslash, which continues the line in a unit file", v)
	}
	return nil
}

func validEnvName(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
