package supervisord

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
	"nixproc/shellquote"
)

// Translate maps an agnostic process to a program: a process that can run
// in the foreground runs directly, one that can only daemonize runs
// through the foreground proxy (useProxy).
func (Backend) Translate(ctx *backends.Context, p *agnostic.Process) (any, []backends.Warning, error) {
	params := &Params{
		Name:         p.Name,
		InstanceName: agnostic.String(p.InstanceName),
		Path:         p.Path,
		Environment:  p.Environment,
		Directory:    agnostic.String(p.Directory),
		Umask:        agnostic.String(p.Umask),
		User:         agnostic.String(p.User),
		Initialize:   agnostic.String(p.Initialize),
		Dependencies: p.Dependencies,
	}
	if p.Nice != nil {
		n := agnostic.Int(*p.Nice)
		params.Nice = &n
	}
	var words []string
	var field string
	switch {
	case p.IsForeground():
		words, field = append([]string{p.ForegroundProcess}, p.ForegroundProcessArgs...), "foregroundProcess"
	case p.IsDaemon():
		words, field = append([]string{p.Daemon}, p.DaemonArgs...), "daemon"
		yes := true
		params.UseProxy = &yes
		params.PIDFile = agnostic.String(fgproxy.PIDFile(ctx.Dirs, p.User, p.InstanceName, p.PIDFile, p.Daemon))
	default:
		return nil, nil, &agnostic.FieldError{Process: p.Key, Msg: "nothing to run: set process, foregroundProcess or daemon"}
	}
	for i, w := range words {
		if err := lineBreak(w); err != nil {
			f := field
			if i > 0 {
				f = fmt.Sprintf("%sArgs[%d]", field, i-1)
			}
			return nil, nil, &agnostic.FieldError{Process: p.Key, Field: f, Msg: err.Error()}
		}
	}
	params.Command = agnostic.String(shellquote.Join(words))
	if err := params.normalize(ctx); err != nil {
		return nil, nil, &agnostic.FieldError{Process: p.Key, Msg: err.Error()}
	}
	return params, nil, nil
}

// Decode reads parameters (a supervisord-specific spec, or translated ones
// with overrides merged) and checks them.
func (Backend) Decode(ctx *backends.Context, p *agnostic.Process, raw json.RawMessage) (any, error) {
	params, err := decodeParams(raw)
	if err != nil {
		return nil, err
	}
	return params, params.normalize(ctx)
}

// Log files of a program, in the deployment's log directory.
func stdoutLog(dirs agnostic.Dirs, name string) string {
	return path.Join(dirs.Resolved().LogDir, name+"-stdout.log")
}

func stderrLog(dirs agnostic.Dirs, name string) string {
	return path.Join(dirs.Resolved().LogDir, name+"-stderr.log")
}

// proxyStopWait is how long supervisord waits for a proxied daemon to stop
// before it kills the proxy: longer than the proxy waits before it kills
// the daemon, so the daemon is never left behind.
const proxyStopWait = fgproxy.DefaultStopTimeout + 5

// normalize applies the defaults and checks the result.
func (p *Params) normalize(ctx *backends.Context) error {
	if p.Name == "" {
		p.Name = string(p.InstanceName)
	}
	if err := checkName(p.Name); err != nil {
		return err
	}
	if p.Settings == nil {
		p.Settings = map[string]json.RawMessage{}
	}
	defaults := []struct{ key, value string }{
		{"autostart", "true"},
		{"autorestart", "true"},
		// A program that exits within a second has failed to start.
		{"startsecs", "1"},
		// Signals reach the whole process group, so no child is left.
		{"stopasgroup", "true"},
		{"killasgroup", "true"},
		{"stdout_logfile", strconv.Quote(stdoutLog(ctx.Dirs, p.Name))},
		{"stderr_logfile", strconv.Quote(stderrLog(ctx.Dirs, p.Name))},
	}
	if p.useProxy() {
		defaults = append(defaults, struct{ key, value string }{"stopwaitsecs", strconv.Itoa(proxyStopWait)})
	}
	for _, d := range defaults {
		if _, ok := p.Settings[d.key]; !ok {
			p.Settings[d.key] = json.RawMessage(d.value)
		}
	}
	if p.Command == "" {
		return fmt.Errorf("command: no command to run")
	}
	if _, err := p.words(); err != nil {
		return err
	}
	if p.useProxy() && p.PIDFile == "" {
		// createSupervisordProgram's default (translated processes get
		// the rules every backend shares).
		p.PIDFile = agnostic.String(path.Join(ctx.Dirs.Resolved().RuntimeDir, p.Name+".pid"))
	}
	return p.check()
}

// words splits the command as supervisord will.
func (p *Params) words() ([]string, error) {
	words, err := splitCommand(string(p.Command))
	if err != nil {
		return nil, fmt.Errorf("command %q cannot be split into words: %v", p.Command, err)
	}
	if len(words) == 0 || words[0] == "" {
		return nil, fmt.Errorf("command: no program to run")
	}
	return words, nil
}

var (
	octal    = regexp.MustCompile(`^0?[0-7]{1,3}$`)
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	userName = regexp.MustCompile(`^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$`)
)

// checkName accepts names supervisord takes for a program and that are
// safe as a file name and inside the section header.
func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("no process name")
	}
	if name == "." || name == ".." || strings.HasPrefix(name, "-") {
		return fmt.Errorf("name %q cannot be a supervisord program name", name)
	}
	for _, r := range name {
		if pyIsSpace(r) || r < 0x20 || r == 0x7f || strings.ContainsRune(":/%[]`\"';#\\", r) {
			return fmt.Errorf("name %q cannot be a supervisord program name (it contains %q)", name, r)
		}
	}
	return nil
}

func (p *Params) check() error {
	if p.Umask != "" && !octal.MatchString(string(p.Umask)) {
		return fmt.Errorf("umask %q is not an octal mask", p.Umask)
	}
	if p.Nice != nil && (*p.Nice < -20 || *p.Nice > 19) {
		return fmt.Errorf("nice %d is not between -20 and 19", *p.Nice)
	}
	if p.User != "" && !userName.MatchString(string(p.User)) {
		return fmt.Errorf("user %q is not a user name", p.User)
	}
	if err := lineBreak(string(p.Command)); err != nil {
		return fmt.Errorf("command: %v", err)
	}
	for field, v := range map[string]string{"directory": string(p.Directory), "pidFile": string(p.PIDFile)} {
		if err := lineBreak(v); err != nil {
			return fmt.Errorf("%s: %v", field, err)
		}
	}
	if strings.IndexByte(string(p.Initialize), 0) >= 0 {
		return fmt.Errorf("initialize contains a NUL byte")
	}
	for i, pkg := range p.Path {
		if err := lineBreak(pkg); err != nil {
			return fmt.Errorf("path[%d]: %v", i, err)
		}
		if strings.ContainsAny(pkg, ":") {
			return fmt.Errorf("path[%d] %q contains a colon, which PATH cannot hold", i, pkg)
		}
	}
	for _, k := range agnostic.SortedKeys(p.Environment) {
		if !envName.MatchString(k) {
			return fmt.Errorf("environment: %q is not a valid variable name", k)
		}
		if err := lineBreak(p.Environment[k]); err != nil {
			return fmt.Errorf("environment.%s: %v", k, err)
		}
	}
	for _, k := range agnostic.SortedKeys(p.Settings) {
		v, ok, err := p.setting(k)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if _, err := setting(v); err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
	}
	stopGroup, _, _ := p.setting("stopasgroup")
	killGroup, _, _ := p.setting("killasgroup")
	if strings.EqualFold(stopGroup, "true") && strings.EqualFold(killGroup, "false") {
		return fmt.Errorf("stopasgroup = true needs killasgroup = true (supervisord refuses the combination)")
	}
	return nil
}
