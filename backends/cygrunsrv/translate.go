package cygrunsrv

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/fgproxy"
)

// Translate maps an agnostic process to cygrunsrv parameters. cygrunsrv
// runs foreground programs and enters their directory itself; a program
// that only daemonizes, or needs initialize, a niceness or a umask, runs
// through a foreground proxy.
func (Backend) Translate(ctx *backends.Context, p *agnostic.Process) (any, []backends.Warning, error) {
	fail := func(field string, err error) (any, []backends.Warning, error) {
		return nil, nil, &agnostic.FieldError{Process: p.Key, Field: field, Msg: err.Error()}
	}
	foreground := p.IsForeground()
	exe, args, argsField := p.ForegroundProcess, p.ForegroundProcessArgs, "foregroundProcessArgs"
	if !foreground {
		exe, args, argsField = p.Daemon, p.DaemonArgs, "daemonArgs"
	}
	params := &Params{
		Name:            p.Name,
		Description:     agnostic.String(oneLine(p.Description)),
		Environment:     p.Environment,
		EnvironmentPath: p.Path,
		Dependencies:    p.Dependencies,
		PostInstall:     agnostic.String(p.PostInstall),
	}
	if !foreground || p.Initialize != "" || p.Nice != nil || p.Umask != "" {
		proxy := &Proxy{Executable: exe, Args: args, Daemon: !foreground, Initialize: p.Initialize, Umask: p.Umask, Nice: p.Nice}
		if !foreground {
			proxy.PIDFile = fgproxy.PIDFile(ctx.Dirs, p.User, p.InstanceName, p.PIDFile, exe)
		}
		if p.Initialize != "" {
			// initialize may create the directory: the proxy enters it.
			proxy.Directory = p.Directory
		} else {
			params.Directory = agnostic.String(p.Directory)
		}
		params.ForegroundProxy = proxy
		params.Path = agnostic.String(backends.SelfRef + "/" + proxyRel(p.Name))
	} else {
		for i, a := range args {
			if _, err := argWord(a); err != nil {
				return fail(fmt.Sprintf("%s[%d]", argsField, i), err)
			}
		}
		params.Path, params.Args = agnostic.String(exe), args
		params.Directory = agnostic.String(p.Directory)
	}
	for _, k := range agnostic.SortedKeys(p.Environment) {
		if err := line(p.Environment[k]); err != nil {
			return fail("environment."+k, err)
		}
	}
	if err := params.normalize(); err != nil {
		return nil, nil, &agnostic.FieldError{Process: p.Key, Msg: err.Error()}
	}
	return params, nil, nil
}

// Decode reads parameters: a cygrunsrv-specific spec, or translated ones
// with overrides merged.
func (Backend) Decode(ctx *backends.Context, p *agnostic.Process, raw json.RawMessage) (any, error) {
	params := &Params{}
	if err := agnostic.DecodeStrict(raw, params); err != nil {
		return nil, err
	}
	return params, params.normalize()
}

var (
	serviceName = regexp.MustCompile(`^[A-Za-z0-9_.@+-]+$`)
	signalName  = regexp.MustCompile(`^(SIG)?[A-Z][A-Z0-9]*$|^[0-9]+$`)
	octal       = regexp.MustCompile(`^0?[0-7]{1,3}$`)
)

// normalize applies createCygrunsrvParams's defaults and checks what
// cygrunsrv or its parameters file cannot take.
func (p *Params) normalize() error {
	if p.Name == "" {
		return fmt.Errorf("name: no name")
	}
	if !serviceName.MatchString(p.Name) || len(ServiceName(p.Name)) > 256 {
		return fmt.Errorf("name: %q cannot be part of a Windows service name (letters, digits and _ . @ + - only)", p.Name)
	}
	if p.DisplayName == "" {
		p.DisplayName = agnostic.String(ServiceName(p.Name))
	}
	if p.Type == "" {
		p.Type = "auto"
	}
	if p.Type != "auto" && p.Type != "manual" {
		return fmt.Errorf("type: %q is neither auto nor manual", p.Type)
	}
	if p.Path == "" || !path.IsAbs(string(p.Path)) {
		return fmt.Errorf("path: %q must be the absolute path of the program to run", p.Path)
	}
	if prx := p.ForegroundProxy; prx != nil {
		if !path.IsAbs(prx.Executable) {
			return fmt.Errorf("foregroundProxy.executable: %q must be an absolute path", prx.Executable)
		}
		if prx.Umask != "" && !octal.MatchString(prx.Umask) {
			return fmt.Errorf("foregroundProxy.umask: %q is not an octal mask", prx.Umask)
		}
	} else if strings.HasPrefix(string(p.Path), backends.SelfRef+"/libexec/") {
		return fmt.Errorf("foregroundProxy: the service runs its foreground proxy, which the parameters no longer describe")
	}
	if p.TerminateSignal != "" && !signalName.MatchString(string(p.TerminateSignal)) {
		return fmt.Errorf("terminateSignal: %q is not a signal", p.TerminateSignal)
	}
	for i, a := range p.Args {
		if _, err := argWord(a); err != nil {
			return fmt.Errorf("args[%d]: %v", i, err)
		}
	}
	for _, k := range agnostic.SortedKeys(p.Environment) {
		if !validEnvName(k) {
			return fmt.Errorf("environment: %q is not a valid environment variable name", k)
		}
		if err := line(p.Environment[k]); err != nil {
			return fmt.Errorf("environment.%s: %v", k, err)
		}
	}
	for _, pkg := range p.EnvironmentPath {
		if err := line(pkg); err != nil || strings.Contains(pkg, ":") {
			return fmt.Errorf("environmentPath: %q cannot be put on PATH", pkg)
		}
	}
	for _, d := range p.Dependencies {
		if !serviceName.MatchString(d) {
			return fmt.Errorf("dependencies: %q cannot name a service", d)
		}
	}
	for field, v := range map[string]string{
		"path": string(p.Path), "displayName": string(p.DisplayName), "description": string(p.Description),
		"directory": string(p.Directory), "user": string(p.User), "password": string(p.Password),
		"stdin": string(p.Stdin), "stdout": string(p.Stdout), "stderr": string(p.Stderr),
	} {
		if err := line(v); err != nil {
			return fmt.Errorf("%s: %v", field, err)
		}
	}
	return nil
}

// line checks a value for the parameters file, which holds one per line.
func line(v string) error {
	if strings.ContainsAny(v, "\n\r\x00") {
		return fmt.Errorf("%q spans lines, which a cygrunsrv parameter cannot", v)
	}
	return nil
}

// argWord writes an argument for cygrunsrv's --args, which cygrunsrv
// splits at spaces; a word that starts with a quote runs to the next such
// quote; there are no escapes. So a word with a space (or starting with a
// quote, or empty) is quoted with the quote it does not contain.
func argWord(a string) (string, error) {
	if err := line(a); err != nil {
		return "", err
	}
	if a != "" && !strings.Contains(a, " ") && a[0] != '"' && a[0] != '\'' {
		return a, nil
	}
	switch {
	case !strings.Contains(a, `"`):
		return `"` + a + `"`, nil
	case !strings.Contains(a, "'"):
		return "'" + a + "'", nil
	}
	return "", fmt.Errorf("%q has a space (or starts with a quote) and both kinds of quotes, which cygrunsrv's argument splitting cannot carry", a)
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

// oneLine folds white space, so a description stays one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
