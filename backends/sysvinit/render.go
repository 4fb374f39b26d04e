package sysvinit

import (
	_ "embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/shellquote"
	"nixproc/templates"
)

//go:embed script.tmpl
var scriptText string

var scriptTemplate = template.Must(template.New("script").Parse(scriptText))

// daemonProgram is libslack's daemon, which turns a foreground process into
// a daemon with a PID file. It and setpriv are looked up when the script
// runs, on the machine that runs it.
const daemonProgram = "daemon"

// initFunctionsFile is where the scripts find their init functions.
const initFunctionsFile = "etc/rc.d/init-functions"

type arm struct {
	Name string
	Body []string
}

type scriptData struct {
	Name               string
	Summary            string
	Dependencies       string
	DefaultStart       string
	DefaultStop        string
	RuntimeDir         string
	GlobalInstructions string
	Umask              string
	Exports            []string
	Arms               []arm
}

// Render writes etc/rc.d/init.d/<name> for every process and the start and
// kill links of every runlevel, numbered by dependency depth.
func (Backend) Render(ctx *backends.Context, procs []backends.Translated, w *backends.ProfileWriter) error {
	seq := sequences(procs)
	width := 2
	for _, s := range seq {
		if n := len(strconv.Itoa(s)); n > width {
			width = n
		}
	}
	maxSeq := 1
	for i := 0; i < width; i++ {
		maxSeq *= 10
	}
	maxSeq--
	// One copy of the init functions serves every script of the profile
	// (inlined, they made up most of a large profile's bytes).
	if err := w.WriteFile("", initFunctionsFile, []byte(templates.SysvinitInitFunctions), 0o444); err != nil {
		return err
	}
	// Scripts render independently: on every core.
	scripts := make([]string, len(procs))
	errs := make([]error, len(procs))
	backends.Parallel(len(procs), func(i int) {
		scripts[i], errs[i] = renderScript(ctx, procs[i].Params.(*Params))
	})
	for i, t := range procs {
		p := t.Params.(*Params)
		script, err := scripts[i], errs[i]
		if err != nil {
			return &agnostic.FieldError{Process: t.Process.Key, Msg: err.Error()}
		}
		if err := w.WriteFile(p.Name, "etc/rc.d/init.d/"+p.Name, []byte(script), 0o555); err != nil {
			return err
		}
		start, stop := runlevels(p)
		s := seq[p.Name]
		for _, l := range start {
			link := fmt.Sprintf("etc/rc.d/rc%d.d/S%0*d%s", l, width, s, p.Name)
			if err := w.Symlink(p.Name, link, "../init.d/"+p.Name); err != nil {
				return err
			}
		}
		for _, l := range stop {
			link := fmt.Sprintf("etc/rc.d/rc%d.d/K%0*d%s", l, width, maxSeq-s, p.Name)
			if err := w.Symlink(p.Name, link, "../init.d/"+p.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// sequences numbers processes by dependency depth: 0 without dependencies,
// else one more than the highest number among them.
func sequences(procs []backends.Translated) map[string]int {
	seq := map[string]int{}
	for _, t := range procs { // activation order: dependencies come first
		p := t.Params.(*Params)
		s := 0
		for _, d := range p.Dependencies {
			if seq[d]+1 > s {
				s = seq[d] + 1
			}
		}
		seq[p.Name] = s
	}
	return seq
}

// runlevels returns where the script starts and where it stops.
func runlevels(p *Params) (start, stop []int) {
	if len(p.Runlevels) == 0 && (len(p.DefaultStart) > 0 || len(p.DefaultStop) > 0) {
		return sortedUnique(p.DefaultStart), sortedUnique(p.DefaultStop)
	}
	want := p.Runlevels
	if len(want) == 0 {
		want = defaultRunlevels
	}
	in := map[int]bool{}
	for _, l := range want {
		in[l] = true
	}
	for _, l := range supportedRunlevels {
		if in[l] {
			start = append(start, l)
		} else {
			stop = append(stop, l)
		}
	}
	return start, stop
}

func sortedUnique(ls []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, l := range ls {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	sort.Ints(out)
	return out
}

func joinInts(ls []int) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = strconv.Itoa(l)
	}
	return strings.Join(s, " ")
}

// files are the PID and log files of a process, by the original's rules.
type files struct {
	pidFile string // "" when only discovery can find the process
	logFile string // foreground mode only
}

func fileRules(ctx *backends.Context, p *Params) files {
	// libslack writes the PID file of a process it daemonizes where these
	// rules say; naming it lets stop and status find it (the original
	// looked in another directory).
	program := ""
	if !p.isDaemon() {
		program = string(p.Process)
	}
	f := files{pidFile: backends.PIDFile(ctx.Dirs, string(p.User), string(p.InstanceName), string(p.PIDFile), program)}
	if !p.isDaemon() && p.daemonLogging() {
		f.logFile = backends.LogFile(ctx.Dirs, ctx.User(string(p.User)), string(p.InstanceName), p.Name)
	}
	return f
}

func renderScript(ctx *backends.Context, p *Params) (string, error) {
	f := fileRules(ctx, p)
	user := ctx.User(string(p.User))
	q := shellquote.Quote
	desc := string(p.Description)

	// Bodies are lists of items printed one per line; an item is never
	// re-indented inside, since it may hold a quoted value or user code
	// whose newlines are part of it.
	instructions := map[string]body{}
	if p.Process != "" {
		proc := string(p.Process)
		pidOpt := ""
		if f.pidFile != "" {
			pidOpt = "-p " + q(f.pidFile) + " "
		}
		var start []string
		if p.Initialize != "" {
			start = append(start, initializeStep(string(p.Initialize)))
		}
		if p.Directory != "" {
			start = append(start, "cd "+q(string(p.Directory))+" &&")
		}
		niceOpt := ""
		if p.Nice != nil {
			niceOpt = fmt.Sprintf("-n %d ", *p.Nice)
		}
		invocation := Daemonize(f.pidFile, f.logFile, user, string(p.Directory), string(p.Umask), proc, p.Args)
		if p.isDaemon() {
			invocation = AsUser(user) + shellquote.Join(append([]string{proc}, p.Args...))
		}
		start = append(start, "start_daemon "+pidOpt+niceOpt+invocation)
		instructions["start"] = body{"Starting", start}
		instructions["stop"] = body{"Stopping", []string{"killproc " + pidOpt + q(proc)}}
		instructions["reload"] = body{"Reloading", []string{"killproc " + pidOpt + q(proc) + " " + string(p.ReloadSignal)}}
	}
	for k, v := range p.Instructions {
		instructions[k] = body{v.Activity, []string{strings.TrimRight(v.Instruction, "\n")}}
	}
	activities := map[string][]string{}
	for name, in := range instructions {
		activities[name] = append([]string{"log_info_msg " + q(in.verb+" "+desc+"...")},
			append(in.lines, "evaluate_retval")...)
	}
	if p.Process != "" {
		pidOpt := ""
		if f.pidFile != "" {
			pidOpt = "-p " + q(f.pidFile) + " "
		}
		activities["status"] = []string{"statusproc " + pidOpt + q(string(p.Process))}
		activities["restart"] = []string{`"$0" stop`, `"$0" start`}
	}
	for name, code := range p.Activities {
		activities[name] = []string{strings.TrimRight(code, "\n")}
	}
	for _, name := range p.RemoveActivities {
		delete(activities, name)
	}
	order := activityOrder(activities)
	var arms []arm
	for _, name := range order {
		arms = append(arms, arm{Name: name, Body: activities[name]})
	}
	arms = append(arms, arm{Name: "*", Body: []string{
		fmt.Sprintf(`echo "Usage: $0 {%s}" >&2`, strings.Join(order, "|")),
		"exit 2",
	}})

	var exports []string
	env := map[string]string{}
	for k, v := range p.Environment {
		env[k] = v
	}
	for _, k := range agnostic.SortedKeys(env) {
		exports = append(exports, k+"="+q(env[k]))
	}
	if len(p.Path) > 0 {
		if _, own := env["PATH"]; !own {
			bins := make([]string, len(p.Path))
			for i, pkg := range p.Path {
				bins[i] = pkg + "/bin"
			}
			exports = append(exports, "PATH="+q(strings.Join(bins, ":"))+`:"$PATH"`)
		}
	}
	start, stop := runlevels(p)
	data := scriptData{
		Name:               p.Name,
		Summary:            oneLine(desc),
		Dependencies:       strings.Join(p.Dependencies, " "),
		DefaultStart:       joinInts(start),
		DefaultStop:        joinInts(stop),
		RuntimeDir:         q(ctx.Dirs.RuntimeDir),
		GlobalInstructions: strings.TrimRight(string(p.GlobalInstructions), "\n"),
		Umask:              string(p.Umask),
		Exports:            exports,
		Arms:               arms,
	}
	var b strings.Builder
	if err := scriptTemplate.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Daemonize returns the shell command that runs a foreground process as a
// daemon with libslack's daemon, which keeps its own PID in pidFile, sends
// the process's output to logFile (when set) and switches to user (when
// set). A daemon changes to / and sets umask 022 for its client, so the
// process's directory and umask (when set) are passed on to it. The disnix
// backend starts foreground processes the same way.
func Daemonize(pidFile, logFile, user, directory, umask, process string, args []string) string {
	cmd := []string{"--unsafe", "--inherit"}
	if directory != "" {
		cmd = append(cmd, "--chdir", directory)
	}
	if umask != "" {
		cmd = append(cmd, "--umask", umask)
	}
	if logFile != "" {
		cmd = append(cmd, "--output", logFile)
	}
	cmd = append(cmd, "--pidfile", pidFile)
	if user != "" {
		cmd = append(cmd, "--user", user)
	}
	cmd = append(append(cmd, "--", process), args...)
	return `"$(command -v ` + daemonProgram + `)" ` + shellquote.Join(cmd)
}

// AsUser returns the command prefix that runs a daemon as user: setpriv
// switches user, primary group and supplementary groups (the original's su
// kept root's groups) and execs the program directly, so arguments are not
// parsed by another shell on the way.
func AsUser(user string) string {
	if user == "" {
		return ""
	}
	q := shellquote.Quote(user)
	return `"$(command -v setpriv)" --reuid=` + q + ` --regid="$(id -g -- ` + q + `)" --init-groups -- `
}

// activityOrder is start, stop, reload, restart, status, then the rest
// alphabetically.
func activityOrder(activities map[string][]string) []string {
	var out []string
	for _, name := range []string{"start", "stop", "reload", "restart", "status"} {
		if _, ok := activities[name]; ok {
			out = append(out, name)
		}
	}
	for _, name := range agnostic.SortedKeys(activities) {
		switch name {
		case "start", "stop", "reload", "restart", "status":
		default:
			out = append(out, name)
		}
	}
	return out
}

// initializeStep runs the initialize code in a bash of its own with -e, so
// that any failing command fails the start (inside the script, errexit would
// be ignored on the left of &&). The code travels verbatim in a quoted here
// document.
func initializeStep(code string) string {
	delim := "NIXPROC_INITIALIZE"
	for strings.Contains(code, delim) {
		delim += "_"
	}
	return `"$BASH" -e <<'` + delim + `' &&` + "\n" + strings.TrimRight(code, "\n") + "\n" + delim
}

// body is a generated activity: the verb of its message and its lines.
type body struct {
	verb  string
	lines []string
}

// oneLine makes a header-safe summary: comments end at a newline.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
