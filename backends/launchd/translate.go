package launchd

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/fgproxy"
)

// Translate maps an agnostic process to a plist. launchd runs foreground
// processes itself and applies user, umask, nice and directory; a process
// that only daemonizes, or that has initialize, runs through a foreground
// proxy. Jobs start at load and are kept alive, their output goes to a log
// file.
func (Backend) Translate(ctx *backends.Context, p *agnostic.Process) (any, []backends.Warning, error) {
	fail := func(field string, err error) (any, []backends.Warning, error) {
		return nil, nil, &agnostic.FieldError{Process: p.Key, Field: field, Msg: err.Error()}
	}
	foreground := p.IsForeground()
	exe, args, exeField, argsField := p.ForegroundProcess, p.ForegroundProcessArgs, "foregroundProcess", "foregroundProcessArgs"
	if !foreground {
		exe, args, exeField, argsField = p.Daemon, p.DaemonArgs, "daemon", "daemonArgs"
	}
	if err := checkString(exe); err != nil {
		return fail(exeField, err)
	}
	for i, a := range args {
		if err := checkString(a); err != nil {
			return fail(fmt.Sprintf("%s[%d]", argsField, i), err)
		}
	}
	for _, k := range agnostic.SortedKeys(p.Environment) {
		if err := checkString(p.Environment[k]); err != nil {
			return fail("environment."+k, err)
		}
	}
	for field, v := range map[string]string{"directory": p.Directory, "initialize": p.Initialize, "pidFile": p.PIDFile} {
		if err := checkString(v); err != nil {
			return fail(field, err)
		}
	}

	params := &Params{Name: p.Name, Path: p.Path, Dependencies: p.Dependencies, PostInstall: p.PostInstall, Keys: map[string]any{}}
	keys := params.Keys
	label := LabelPrefix + p.Name
	keys["Label"] = label
	keys["RunAtLoad"] = true
	keys["KeepAlive"] = true
	log := logFile(ctx, p)
	keys["StandardOutPath"], keys["StandardErrorPath"] = log, log
	if len(p.Environment) > 0 {
		env := map[string]any{}
		for k, v := range p.Environment {
			env[k] = v
		}
		keys["EnvironmentVariables"] = env
	}
	if p.Umask != "" {
		mask, err := strconv.ParseUint(p.Umask, 8, 32)
		if err != nil || mask > 0o777 {
			return fail("umask", fmt.Errorf("%q is not an octal mask", p.Umask))
		}
		keys["Umask"] = int64(mask) // launchd takes the mask as an integer
	}
	if p.Nice != nil {
		keys["Nice"] = int64(*p.Nice)
	}
	user := ctx.User(p.User)
	if !foreground || p.Initialize != "" {
		proxy := &Proxy{Executable: exe, Args: args, Daemon: !foreground, Initialize: p.Initialize}
		if !foreground {
			proxy.PIDFile = fgproxy.PIDFile(ctx.Dirs, p.User, p.InstanceName, p.PIDFile, exe)
		}
		if p.Initialize != "" {
			// initialize runs as root, before the directory is entered
			// (it may create it); then the proxy becomes the user.
			proxy.User, proxy.Directory = user, p.Directory
			user = ""
		} else if p.Directory != "" {
			keys["WorkingDirectory"] = p.Directory
		}
		params.Proxy = proxy
		ref := proxyPath(label)
		keys["Program"], keys["ProgramArguments"] = ref, []any{ref}
	} else {
		argv := []any{exe}
		for _, a := range args {
			argv = append(argv, a)
		}
		keys["Program"], keys["ProgramArguments"] = exe, argv
		if p.Directory != "" {
			keys["WorkingDirectory"] = p.Directory
		}
	}
	if user != "" {
		keys["UserName"] = user
	}
	if err := params.normalize(); err != nil {
		return nil, nil, &agnostic.FieldError{Process: p.Key, Msg: err.Error()}
	}
	return params, nil, nil
}

// logFile is where launchd writes the process's output: the log directory,
// or the temp directory for a process that runs as another user.
func logFile(ctx *backends.Context, p *agnostic.Process) string {
	return backends.LogFile(ctx.Dirs, ctx.User(p.User), p.InstanceName, p.Name)
}

func proxyRel(label string) string { return "libexec/" + label + "-foregroundproxy.sh" }

// proxyPath is how a plist names its proxy: by its path in the profile.
func proxyPath(label string) string { return backends.SelfRef + "/" + proxyRel(label) }

// Decode reads parameters: a launchd-specific spec, or translated ones with
// overrides merged.
func (Backend) Decode(ctx *backends.Context, p *agnostic.Process, raw json.RawMessage) (any, error) {
	params := &Params{}
	if err := json.Unmarshal(raw, params); err != nil {
		return nil, err
	}
	return params, params.normalize()
}

var labelChars = regexp.MustCompile(`^[A-Za-z0-9._@+-]+$`)

// normalize applies createLaunchdDaemon's defaults and checks what launchd
// would refuse or misread.
func (p *Params) normalize() error {
	if p.Name == "" {
		return fmt.Errorf("name: no name")
	}
	if _, ok := p.Keys["Label"]; !ok {
		p.Keys["Label"] = LabelPrefix + p.Name
	}
	label, ok := p.Keys["Label"].(string)
	if !ok || !labelChars.MatchString(label) || strings.HasPrefix(label, ".") {
		return fmt.Errorf("Label: %v cannot be a job label and file name (letters, digits and . _ @ + - only)", p.Keys["Label"])
	}
	_, hasProgram := p.Keys["Program"]
	argv, hasArgv := p.Keys["ProgramArguments"].([]any)
	if _, set := p.Keys["ProgramArguments"]; set && !hasArgv {
		return fmt.Errorf("ProgramArguments: must be a list of strings")
	}
	if !hasProgram && len(argv) == 0 {
		return fmt.Errorf("Program: nothing to run (set Program or ProgramArguments)")
	}
	for i, a := range argv {
		if _, ok := a.(string); !ok {
			return fmt.Errorf("ProgramArguments[%d]: must be a string", i)
		}
	}
	if prog, ok := p.Keys["Program"]; ok {
		if s, ok := prog.(string); !ok || !path.IsAbs(s) {
			return fmt.Errorf("Program: %v must be an absolute path", prog)
		}
	}
	if p.Proxy == nil {
		for _, v := range append([]any{p.Keys["Program"]}, argv...) {
			if s, ok := v.(string); ok && strings.HasPrefix(s, backends.SelfRef+"/libexec/") {
				return fmt.Errorf("foregroundProxy: the job runs its foreground proxy, which the parameters no longer describe")
			}
		}
	} else if p.Proxy.Executable == "" || !path.IsAbs(p.Proxy.Executable) {
		return fmt.Errorf("foregroundProxy.executable: %q must be an absolute path", p.Proxy.Executable)
	}
	for _, k := range []string{"Umask", "Nice"} {
		if v, ok := p.Keys[k]; ok {
			if _, isInt := v.(int64); !isInt {
				return fmt.Errorf("%s: %v must be a whole number", k, v)
			}
		}
	}
	if n, ok := p.Keys["Nice"].(int64); ok && (n < -20 || n > 20) {
		return fmt.Errorf("Nice: %d is not between -20 and 20", n)
	}
	if env, ok := p.Keys["EnvironmentVariables"].(map[string]any); ok {
		for _, k := range agnostic.SortedKeys(env) {
			if !validEnvName(k) {
				return fmt.Errorf("EnvironmentVariables: %q is not a valid environment variable name", k)
			}
		}
	}
	for _, pkg := range p.Path {
		if err := checkString(pkg); err != nil || strings.ContainsAny(pkg, ":\n") {
			return fmt.Errorf("path: %q cannot be put on PATH", pkg)
		}
	}
	for _, k := range agnostic.SortedKeys(p.Keys) {
		if err := checkValue(k, p.Keys[k]); err != nil {
			return err
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
