package s6rc

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/usermgmt"
)

// SourceDir is where the profile keeps the s6-rc source definition
// directories that s6-rc-compile reads.
const SourceDir = "etc/s6/sv"

// logUser runs the loggers when users may be switched.
const logUser = "s6-log"

// Render writes one source definition directory per service: a longrun (and
// its logger and the bundle of both) or the oneshot or bundle a process
// defines, and the default bundle of every process.
func (Backend) Render(ctx *backends.Context, procs []backends.Translated, w *backends.ProfileWriter) error {
	owner := map[string]string{} // s6-rc name -> process
	for _, t := range procs {
		p := t.Params.(*Params)
		for _, n := range p.serviceNames() {
			if other, dup := owner[n]; dup {
				return &agnostic.FieldError{Process: t.Process.Key, Field: "name", Msg: fmt.Sprintf("its s6-rc service %s is also a service of process %s", n, other)}
			}
			owner[n] = p.Name
		}
	}
	loggers := false
	for _, t := range procs {
		p := t.Params.(*Params)
		r := &renderer{ctx: ctx, w: w, p: p, owner: owner}
		if err := r.render(); err != nil {
			return &agnostic.FieldError{Process: t.Process.Key, Msg: err.Error()}
		}
		loggers = loggers || p.autoLog()
	}
	if err := writeBundle(w, "", defaultBundle, processNames(procs), false); err != nil {
		return err
	}
	if loggers && !ctx.ForceDisableUserChange {
		return writeLogAccount(w, procs)
	}
	return nil
}

func processNames(procs []backends.Translated) []string {
	out := make([]string, len(procs))
	for i, t := range procs {
		out[i] = t.Params.(*Params).Name
	}
	return out
}

type renderer struct {
	ctx   *backends.Context
	w     *backends.ProfileWriter
	p     *Params
	owner map[string]string
}

func (r *renderer) file(svc, rel string, data []byte, mode os.FileMode) error {
	return r.w.WriteFile(r.p.Name, path.Join(SourceDir, svc, rel), data, mode)
}

func (r *renderer) line(svc, rel, value string) error {
	return r.file(svc, rel, []byte(value+"\n"), 0o444)
}

func (r *renderer) flag(svc, rel string, on bool) error {
	if !on {
		return nil
	}
	return r.file(svc, rel, nil, 0o444)
}

func (r *renderer) number(svc, rel string, n *agnostic.Int) error {
	if n == nil {
		return nil
	}
	return r.line(svc, rel, strconv.Itoa(int(*n)))
}

// known checks that a service a process refers to exists in the profile.
func (r *renderer) known(field, name string) error {
	if _, ok := r.owner[name]; !ok {
		return fmt.Errorf("%s: %q is not a service of this profile", field, name)
	}
	return nil
}

func (r *renderer) render() error {
	p := r.p
	for _, d := range p.Dependencies {
		if err := r.known("dependencies", d); err != nil {
			return err
		}
	}
	switch p.Type {
	case Bundle:
		for _, c := range p.Contents {
			if err := r.known("contents", c); err != nil {
				return err
			}
		}
		return writeBundle(r.w, p.Name, p.Name, p.Contents, p.FlagEssential)
	case Oneshot:
		return r.oneshot()
	}
	return r.longrun()
}

func (r *renderer) common(svc, typ string) error {
	p := r.p
	if err := r.line(svc, "type", typ); err != nil {
		return err
	}
	if err := r.flag(svc, "flag-essential", p.FlagEssential); err != nil {
		return err
	}
	// A dependency is the process's s6-rc name: its bundle (service and
	// logger) or its only service.
	for _, d := range p.Dependencies {
		if err := r.file(svc, "dependencies.d/"+d, nil, 0o444); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) oneshot() error {
	p := r.p
	if err := r.common(p.Name, Oneshot); err != nil {
		return err
	}
	for _, s := range []struct {
		field, file string
		value       agnostic.String
	}{{"up", "up", p.Up}, {"down", "down", p.Down}} {
		if s.value == "" {
			continue
		}
		data, err := script(s.field, string(s.value))
		if err != nil {
			return err
		}
		if err := r.file(p.Name, s.file, data, 0o444); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) longrun() error {
	p := r.p
	svc := p.mainService()
	if err := r.common(svc, Longrun); err != nil {
		return err
	}
	for _, s := range []struct {
		field string
		value agnostic.String
	}{{"run", p.Run}, {"finish", p.Finish}} {
		if s.value == "" {
			continue
		}
		data, err := script(s.field, string(s.value))
		if err != nil {
			return err
		}
		if err := r.file(svc, s.field, data, 0o555); err != nil {
			return err
		}
	}
	for _, n := range []struct {
		file  string
		value *agnostic.Int
	}{{"notification-fd", p.NotificationFd}, {"timeout-kill", p.TimeoutKill}, {"timeout-finish", p.TimeoutFinish}, {"max-death-tally", p.MaxDeathTally}} {
		if err := r.number(svc, n.file, n.value); err != nil {
			return err
		}
	}
	if err := r.flag(svc, "nosetsid", p.Nosetsid); err != nil {
		return err
	}
	if p.DownSignal != "" {
		if err := r.line(svc, "down-signal", string(p.DownSignal)); err != nil {
			return err
		}
	}
	if p.Data != "" {
		if err := r.copyDir(svc, "data", string(p.Data)); err != nil {
			return err
		}
	}
	if p.ForegroundProxy != "" {
		if err := r.file(svc, proxyDataFile, []byte(p.ForegroundProxy), 0o555); err != nil {
			return err
		}
	}
	if p.Env != nil {
		if p.Env.Dir != "" {
			if err := r.copyDir(svc, "env", p.Env.Dir); err != nil {
				return err
			}
		}
		for _, k := range agnostic.SortedKeys(p.Env.Values) {
			// s6-envdir -fn reads the file's bytes as they are.
			if err := r.file(svc, "env/"+k, []byte(p.Env.Values[k]), 0o444); err != nil {
				return err
			}
		}
	}
	producer := string(p.ProducerFor)
	if p.autoLog() {
		producer = p.Name + "-log"
	}
	if producer != "" {
		if err := r.known("producerFor", producer); err != nil {
			return err
		}
		if err := r.line(svc, "producer-for", producer); err != nil {
			return err
		}
	}
	if len(p.ConsumerFor) > 0 {
		for _, c := range p.ConsumerFor {
			if err := r.known("consumerFor", c); err != nil {
				return err
			}
		}
		if err := r.file(svc, "consumer-for", []byte(strings.Join(p.ConsumerFor, "\n")+"\n"), 0o444); err != nil {
			return err
		}
	}
	if p.PipelineName != "" {
		if err := r.line(svc, "pipeline-name", string(p.PipelineName)); err != nil {
			return err
		}
	}
	if !p.autoLog() {
		return nil
	}
	if err := r.logger(); err != nil {
		return err
	}
	return writeBundle(r.w, p.Name, p.Name, []string{p.Name + "-srv", p.Name + "-log"}, false)
}

// LogDir is where the logger of a process writes: s6-log keeps the current
// log in its file current.
func LogDir(dirs agnostic.Dirs, name string) string {
	return path.Join(dirs.Resolved().LogDir, "s6-log", name)
}

// logger writes <name>-log: s6-log reading the service's output from the
// pipe s6-rc keeps, announcing readiness on descriptor 3, as the s6-log
// user unless users are not switched.
func (r *renderer) logger() error {
	p := r.p
	svc := p.Name + "-log"
	dir := LogDir(r.ctx.Dirs, p.Name)
	if !path.IsAbs(dir) {
		return fmt.Errorf("the log directory %s must be an absolute path", dir)
	}
	var b strings.Builder
	b.WriteString(runHeader)
	fmt.Fprintf(&b, "# Generated by nixproc: the logger of %s; the current log is %s/current.\n", oneLine(p.Name), oneLine(dir))
	fmt.Fprintf(&b, "if { mkdir -p %s }\n", Quote(dir))
	if !r.ctx.ForceDisableUserChange {
		fmt.Fprintf(&b, "if { chown -R %s:%s %s }\n", logUser, logUser, Quote(dir))
		fmt.Fprintf(&b, "s6-setuidgid %s\n", logUser)
	}
	fmt.Fprintf(&b, "exec -c s6-log -d3 %s\n", Quote(dir))
	if err := r.line(svc, "type", Longrun); err != nil {
		return err
	}
	if err := r.file(svc, "run", []byte(b.String()), 0o555); err != nil {
		return err
	}
	if err := r.line(svc, "consumer-for", p.Name+"-srv"); err != nil {
		return err
	}
	return r.line(svc, "notification-fd", "3")
}

// writeBundle writes a bundle; an empty one gets an empty contents file,
// since a directory without files cannot be part of a profile.
func writeBundle(w *backends.ProfileWriter, owner, name string, contents []string, essential bool) error {
	dir := path.Join(SourceDir, name)
	if err := w.WriteFile(owner, dir+"/type", []byte(Bundle+"\n"), 0o444); err != nil {
		return err
	}
	if essential {
		if err := w.WriteFile(owner, dir+"/flag-essential", nil, 0o444); err != nil {
			return err
		}
	}
	if len(contents) == 0 {
		return w.WriteFile(owner, dir+"/contents", nil, 0o444)
	}
	for _, c := range contents {
		if err := w.WriteFile(owner, dir+"/contents.d/"+c, nil, 0o444); err != nil {
			return err
		}
	}
	return nil
}

// writeLogAccount declares the s6-log user and group the loggers run as,
// unless a process declares them itself.
func writeLogAccount(w *backends.ProfileWriter, procs []backends.Translated) error {
	for _, t := range procs {
		c := t.Process.Credentials
		if _, ok := c.Users[logUser]; ok {
			return nil
		}
	}
	group := true
	for _, t := range procs {
		if _, ok := t.Process.Credentials.Groups[logUser]; ok {
			group = false
		}
	}
	// System accounts: their IDs come from the system range, so they never
	// take an ID a model assigns to its own accounts (now or later).
	if group {
		if err := w.WriteFile("", "dysnomia-support/groups/"+logUser, usermgmt.Format(map[string]string{"system": "1"}), 0o444); err != nil {
			return err
		}
	}
	return w.WriteFile("", "dysnomia-support/users/"+logUser, usermgmt.Format(map[string]string{"group": logUser, "description": "s6-log user", "system": "1"}), 0o444)
}

// script returns the content of a script parameter: a file in the Nix
// store (writeTextFile, builtins.toFile or a path, which Nix copies there)
// or the script's text itself (an s6-rc up script is often one line).
func script(field, v string) ([]byte, error) {
	if !isStorePath(v) {
		return []byte(v), nil
	}
	data, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the script %s: %v", field, v, unwrap(err))
	}
	return data, nil
}

func isStorePath(v string) bool {
	store := os.Getenv("NIX_STORE_DIR")
	if store == "" {
		store = "/nix/store"
	}
	return strings.HasPrefix(v, store+"/") && !strings.ContainsAny(v, " \t\n")
}

// copyDir copies a directory parameter into the service directory,
// following links, keeping only whether files are executable.
func (r *renderer) copyDir(svc, field, src string) error {
	info, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("%s: %v", field, unwrap(err))
	}
	if !info.IsDir() {
		return fmt.Errorf("%s: %s is not a directory", field, src)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %v", field, unwrap(err))
		}
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s: %v", field, unwrap(err))
		}
		rel, _ := filepath.Rel(src, p)
		if st.IsDir() {
			if d.Type()&fs.ModeSymlink != 0 {
				return r.copyDir(svc, path.Join(field, filepath.ToSlash(rel)), p)
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%s: %v", field, unwrap(err))
		}
		mode := os.FileMode(0o444)
		if st.Mode()&0o111 != 0 {
			mode = 0o555
		}
		return r.file(svc, path.Join(field, filepath.ToSlash(rel)), data, mode)
	})
}

func unwrap(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
