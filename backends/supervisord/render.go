package supervisord

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"

	"gopkg.in/ini.v1"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/fgproxy"
)

// Files of a profile.
const (
	ConfFile = "supervisord.conf"
	ConfDir  = "conf.d"
	proxyDir = "bin"
)

// SocketPath is where the supervisord of a deployment listens.
func SocketPath(dirs agnostic.Dirs) string {
	return path.Join(dirs.Resolved().RuntimeDir, "supervisord.sock")
}

// maxSocketPath is what a unix socket address holds (sun_path less the NUL).
const maxSocketPath = 107

// Render writes conf.d/<name>.conf for every process, a foreground proxy
// bin/<name>-foregroundproxy.sh for those that need one, and
// supervisord.conf.
func (Backend) Render(ctx *backends.Context, procs []backends.Translated, w *backends.ProfileWriter) error {
	priorities := map[string]int{}
	for _, t := range procs { // activation order: dependencies come first
		p := t.Params.(*Params)
		prio, err := priority(p, priorities)
		if err != nil {
			return &agnostic.FieldError{Process: t.Process.Key, Msg: err.Error()}
		}
		priorities[p.Name] = prio
		if err := renderProgram(ctx, p, prio, w); err != nil {
			return &agnostic.FieldError{Process: t.Process.Key, Msg: err.Error()}
		}
	}
	conf, err := renderConf(ctx.Dirs)
	if err != nil {
		return err
	}
	return w.WriteFile("", ConfFile, conf, 0o444)
}

// priority is the program's priority setting, or one more than the highest
// of its dependencies (1 without any): supervisord starts lower priorities
// first and stops them last.
func priority(p *Params, known map[string]int) (int, error) {
	if v, ok, err := p.setting("priority"); err != nil || ok {
		if err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("priority %q is not a whole number", v)
		}
		return n, nil
	}
	prio := 1
	for _, d := range p.Dependencies {
		if known[d]+1 > prio {
			prio = known[d] + 1
		}
	}
	return prio, nil
}

// program is one [program:x] section being built.
type program struct {
	keys   []string
	values map[string]string
}

func (s *program) set(key, value string) {
	if _, ok := s.values[key]; !ok {
		s.keys = append(s.keys, key)
	}
	s.values[key] = value
}

func renderProgram(ctx *backends.Context, p *Params, prio int, w *backends.ProfileWriter) error {
	words, err := p.words()
	if err != nil {
		return err
	}
	user := ctx.User(string(p.User))

	// The environment: in environment= when supervisord can carry every
	// value, else exported by the proxy.
	env := map[string]string{}
	for k, v := range p.Environment {
		env[k] = v
	}
	_, ownPath := env["PATH"]
	var envItems []string
	envInProxy := false
	for _, k := range agnostic.SortedKeys(env) {
		enc, problem := envValue(env[k])
		if problem != "" {
			envInProxy = true
			break
		}
		envItems = append(envItems, k+"="+enc)
	}
	if len(p.Path) > 0 && !ownPath && !envInProxy {
		bins := make([]string, len(p.Path))
		for i, pkg := range p.Path {
			bins[i] = pkg + "/bin"
		}
		// %(ENV_PATH)s is supervisord's own PATH: the packages come first.
		enc, problem := envValue(strings.Join(bins, ":"))
		if problem != "" {
			envInProxy = true
		} else {
			envItems = append(envItems, "PATH="+enc[:len(enc)-1]+":%(ENV_PATH)s"+enc[len(enc)-1:])
		}
	}

	line, lineOK, err := commandLine(words)
	if err != nil {
		return fmt.Errorf("command: %v", err)
	}
	dir, dirErr := setting(string(p.Directory))
	if dirErr != nil {
		if err := lineBreak(string(p.Directory)); err != nil {
			return fmt.Errorf("directory: %v", err)
		}
	}
	needProxy := p.useProxy() || p.Initialize != "" || p.Nice != nil || envInProxy || !lineOK || dirErr != nil

	prog := &program{values: map[string]string{}}
	if needProxy {
		spec := fgproxy.Spec{
			Name:       p.Name,
			Executable: words[0],
			Args:       words[1:],
			Daemon:     p.useProxy(),
			PIDFile:    string(p.PIDFile),
			Initialize: string(p.Initialize),
			Directory:  string(p.Directory),
			Umask:      string(p.Umask),
			User:       user,
		}
		if p.Nice != nil {
			n := int(*p.Nice)
			spec.Nice = &n
		}
		if envInProxy {
			spec.Environment, spec.Path = env, p.Path
		}
		rel := proxyDir + "/" + p.Name + "-foregroundproxy.sh"
		if err := fgproxy.Write(w, p.Name, rel, spec); err != nil {
			return err
		}
		// %(here)s is the directory of this file, conf.d: the proxy is
		// found next to it in whichever profile supervisord reads.
		prog.set("command", "%(here)s/../"+rel)
	} else {
		prog.set("command", line)
	}
	if len(envItems) > 0 && !envInProxy {
		prog.set("environment", strings.Join(envItems, ","))
	}
	if !needProxy {
		if dir != "" {
			prog.set("directory", dir)
		}
		if p.Umask != "" {
			prog.set("umask", string(p.Umask))
		}
		if user != "" {
			prog.set("user", user)
		}
	}
	prog.set("priority", strconv.Itoa(prio))
	for _, k := range agnostic.SortedKeys(p.Settings) {
		if k == "priority" || (k == "user" && ctx.ForceDisableUserChange) {
			continue
		}
		v, ok, err := p.setting(k)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		enc, err := setting(v)
		if k == "process_name" && err == nil {
			// It is made of supervisord's expansions (%(process_num)d...):
			// written as it is.
			enc = v
		}
		if err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
		prog.set(k, enc)
	}

	data, err := writeINI([]section{{"program:" + p.Name, prog}})
	if err != nil {
		return err
	}
	return w.WriteFile(p.Name, ConfDir+"/"+p.Name+".conf", data, 0o444)
}

type section struct {
	name string
	*program
}

// writeINI writes sections with gopkg.in/ini.v1. Values are checked
// beforehand never to need its quoting, which supervisord would not read.
func writeINI(sections []section) ([]byte, error) {
	f := ini.Empty(ini.LoadOptions{IgnoreInlineComment: true})
	for _, s := range sections {
		sec, err := f.NewSection(s.name)
		if err != nil {
			return nil, err
		}
		for _, k := range s.keys {
			if _, err := sec.NewKey(k, s.values[k]); err != nil {
				return nil, err
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// renderConf writes supervisord.conf: the daemon's PID and log files in the
// deployment's directories, control through a unix socket only its owner
// may use (no TCP port), and the programs of conf.d.
func renderConf(dirs agnostic.Dirs) ([]byte, error) {
	d := dirs.Resolved()
	sock := SocketPath(d)
	if len(sock) > maxSocketPath {
		return nil, fmt.Errorf("supervisord's control socket %s is longer than the %d bytes a unix socket path can have: use a shorter --runtime-dir", sock, maxSocketPath)
	}
	enc := map[string]string{}
	for name, v := range map[string]string{
		"pidfile": path.Join(d.RuntimeDir, "supervisord.pid"), "logfile": path.Join(d.LogDir, "supervisord.log"),
		"childlogdir": d.LogDir, "file": sock,
	} {
		e, err := setting(v)
		if err != nil {
			return nil, fmt.Errorf("supervisord.conf: %s %q: %v", name, v, err)
		}
		enc[name] = e
	}
	mk := func(kv ...string) *program {
		p := &program{values: map[string]string{}}
		for i := 0; i < len(kv); i += 2 {
			p.set(kv[i], kv[i+1])
		}
		return p
	}
	return writeINI([]section{
		{"supervisord", mk("pidfile", enc["pidfile"], "logfile", enc["logfile"], "childlogdir", enc["childlogdir"])},
		{"unix_http_server", mk("file", enc["file"], "chmod", "0700")},
		{"rpcinterface:supervisor", mk("supervisor.rpcinterface_factory", "supervisor.rpcinterface:make_main_rpcinterface")},
		{"supervisorctl", mk("serverurl", "unix://"+enc["file"])},
		{"include", mk("files", ConfDir+"/*.conf")},
	})
}
