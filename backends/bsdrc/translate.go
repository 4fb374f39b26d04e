package bsdrc

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
)

// Translate maps an agnostic process to script parameters: daemon mode when
// the process can daemonize (as the original), else its foreground process
// runs under daemon(8); initialize runs as start_precmd.
func (Backend) Translate(ctx *backends.Context, p *agnostic.Process) (any, []backends.Warning, error) {
	params := &Params{
		Name:         p.Name,
		InstanceName: agnostic.String(p.InstanceName),
		Description:  agnostic.String(p.Description),
		Environment:  p.Environment,
		Path:         p.Path,
		PIDFile:      agnostic.String(p.PIDFile),
		Umask:        agnostic.String(p.Umask),
		Directory:    agnostic.String(p.Directory),
		User:         agnostic.String(p.User),
		Dependencies: p.Dependencies,
	}
	if p.Nice != nil {
		n := agnostic.Int(*p.Nice)
		params.Nice = &n
	}
	daemon := p.IsDaemon()
	params.CommandIsDaemon = &daemon
	if daemon {
		params.Command, params.CommandArgs = agnostic.String(p.Daemon), p.DaemonArgs
	} else {
		params.Command, params.CommandArgs = agnostic.String(p.ForegroundProcess), p.ForegroundProcessArgs
	}
	if p.Initialize != "" {
		params.Commands = map[string]Command{"start": {Pre: agnostic.String(p.Initialize)}}
	}
	if err := params.normalize(); err != nil {
		return nil, nil, &agnostic.FieldError{Process: p.Key, Msg: err.Error()}
	}
	return params, nil, nil
}

// Decode reads parameters (a bsdrc-specific spec, or translated ones with
// overrides merged) and checks them.
func (Backend) Decode(ctx *backends.Context, p *agnostic.Process, raw json.RawMessage) (any, error) {
	params := &Params{}
	if err := agnostic.DecodeStrict(raw, params); err != nil {
		return nil, err
	}
	return params, params.normalize()
}

// normalize applies createBSDRCScript's defaults and checks the result.
func (p *Params) normalize() error {
	if p.Name == "" {
		p.Name = string(p.InstanceName)
	}
	if len(p.Provides) == 0 {
		p.Provides = agnostic.Strings{p.Name}
	}
	if p.Keywords == nil {
		// rc runs only scripts with this keyword when the system shuts down.
		p.Keywords = agnostic.Strings{"shutdown"}
	}
	return p.check()
}

var (
	// rc.subr names variables and functions after the script.
	rcName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	rcWord    = regexp.MustCompile(`^[A-Za-z0-9_.:+@-]+$`)
	octal     = regexp.MustCompile(`^0?[0-7]{1,3}$`)
	signal    = regexp.MustCompile(`^[A-Z][A-Z0-9]*$`)
	cmdName   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	limitsArg = regexp.MustCompile(`^[A-Za-z0-9 =_.:-]*$`)
	// safePath is a path the shell reads unquoted: rc.subr puts command
	// into commands it evaluates without quotes.
	safePath = regexp.MustCompile(`^/[A-Za-z0-9_./+@:,=-]*$`)
)

func (p *Params) check() error {
	if !rcName.MatchString(p.Name) {
		return fmt.Errorf("name: %q cannot name an rc script: rc.subr names variables after it (letters, digits and _ only)", p.Name)
	}
	if r := p.rcvar(); r != "" && !rcName.MatchString(r) {
		return fmt.Errorf("rcvar: %q is not a variable name suffix", r)
	}
	for _, k := range agnostic.SortedKeys(p.RcvarsDefaults) {
		if !rcName.MatchString(k) {
			return fmt.Errorf("rcvarsDefaults: %q is not a variable name suffix", k)
		}
	}
	if p.Command == "" {
		if p.Commands["start"].Implementation == "" || p.Commands["stop"].Implementation == "" {
			return fmt.Errorf("command: nothing to run (set command, or commands.start and commands.stop)")
		}
	} else if !safePath.MatchString(string(p.Command)) || path.Clean(string(p.Command)) != string(p.Command) {
		return fmt.Errorf("command: %q must be an absolute path of letters, digits and /_.+@:,=- (rc.subr runs it unquoted)", p.Command)
	}
	for i, a := range p.CommandArgs {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("commandArgs[%d]: contains a NUL byte, which no process argument can carry", i)
		}
	}
	for _, k := range agnostic.SortedKeys(p.Environment) {
		if !validEnvName(k) {
			return fmt.Errorf("environment: %q is not a shell variable name", k)
		}
		if strings.IndexByte(p.Environment[k], 0) >= 0 {
			return fmt.Errorf("environment.%s: contains a NUL byte, which no environment value can carry", k)
		}
	}
	for _, sig := range []struct{ field, v string }{{"reloadSignal", string(p.ReloadSignal)}, {"stopSignal", string(p.StopSignal)}} {
		if sig.v != "" && !signal.MatchString(sig.v) {
			return fmt.Errorf("%s: %q is not a signal name (like HUP)", sig.field, sig.v)
		}
	}
	if p.Umask != "" && !octal.MatchString(string(p.Umask)) {
		return fmt.Errorf("umask: %q is not an octal mask", p.Umask)
	}
	if p.Nice != nil && (*p.Nice < -20 || *p.Nice > 20) {
		return fmt.Errorf("nice: %d is not between -20 and 20", *p.Nice)
	}
	if p.Fib != nil && *p.Fib < 0 {
		return fmt.Errorf("fib: %d is not a routing table number", *p.Fib)
	}
	if !limitsArg.MatchString(string(p.Limits)) {
		return fmt.Errorf("limits: %q is not a list of limits(1) options", p.Limits)
	}
	for field, v := range map[string]string{"user": string(p.User), "loginClass": string(p.LoginClass), "oomProtect": string(p.OOMProtect)} {
		if v != "" && !rcWord.MatchString(v) {
			return fmt.Errorf("%s: %q is not a plain word", field, v)
		}
	}
	for field, v := range map[string]string{"pidFile": string(p.PIDFile), "directory": string(p.Directory)} {
		if v != "" && !path.IsAbs(v) {
			return fmt.Errorf("%s: %q must be an absolute path", field, v)
		}
		if strings.ContainsAny(v, "\x00\n") {
			return fmt.Errorf("%s: %q cannot contain a newline", field, v)
		}
	}
	for field, list := range map[string]agnostic.Strings{
		"requiredFiles": p.RequiredFiles, "requiredDirs": p.RequiredDirs, "requiredVars": p.RequiredVars,
		"requiredModules": p.RequiredModules, "requires": p.Requires, "provides": p.Provides,
		"keywords": p.Keywords, "path": p.Path,
	} {
		for _, v := range list {
			if v == "" || strings.ContainsAny(v, " \t\n\x00'\"\\$`") {
				return fmt.Errorf("%s: %q cannot be a word of a space-separated list", field, v)
			}
		}
	}
	for _, d := range p.Dependencies {
		if !rcName.MatchString(d) {
			return fmt.Errorf("dependencies: %q cannot name an rc script", d)
		}
	}
	for _, name := range agnostic.SortedKeys(p.Commands) {
		if !cmdName.MatchString(name) {
			return fmt.Errorf("commands: %q is not usable as an rc command name", name)
		}
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
