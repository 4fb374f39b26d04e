package sysvinit

import (
	"slices"
	"strconv"
	"strings"
)

// standardActivities are generated for every process that names a program
// and come first in a script, in this order; the others follow
// alphabetically.
var standardActivities = []string{"start", "stop", "reload", "restart", "status"}

// indent starts every line of an activity's body.
const indent = "    "

// activityKind says where the body of an activity comes from.
type activityKind int

const (
	noActivity           activityKind = iota
	modelCode                         // the model's shell code, as it is
	generatedCode                     // status or restart of the process
	modelInstruction                  // the model's instruction, between messages
	generatedInstruction              // start, stop or reload of the process
)

// activityOf decides, in one place, which body an activity gets: the
// model's own code wins over everything, the generated status and restart
// over the model's instructions, and those over the generated ones.
// RemoveActivities drops an activity whatever its body.
func activityOf(p *Params, name string) activityKind {
	if slices.Contains(p.RemoveActivities, name) {
		return noActivity
	}
	if _, ok := p.Activities[name]; ok {
		return modelCode
	}
	generated := p.Process != ""
	if generated && (name == "status" || name == "restart") {
		return generatedCode
	}
	if _, ok := p.Instructions[name]; ok {
		return modelInstruction
	}
	if generated && (name == "start" || name == "stop" || name == "reload") {
		return generatedInstruction
	}
	return noActivity
}

// activityNames returns the script's activities in the order of its case
// arms.
func activityNames(p *Params) []string {
	names := make([]string, 0, len(standardActivities)+len(p.Instructions)+len(p.Activities))
	for _, name := range standardActivities {
		if activityOf(p, name) != noActivity {
			names = append(names, name)
		}
	}
	others := len(names)
	for name := range p.Instructions {
		if !slices.Contains(standardActivities, name) && activityOf(p, name) != noActivity {
			names = append(names, name)
		}
	}
	for name := range p.Activities {
		_, listed := p.Instructions[name]
		if !listed && !slices.Contains(standardActivities, name) && activityOf(p, name) != noActivity {
			names = append(names, name)
		}
	}
	slices.Sort(names[others:])
	return names
}

// caseArms dispatches on the script's argument: an arm per activity, then
// one that shows the usage.
func (w *scriptWriter) caseArms() {
	names := activityNames(w.p)
	w.write("\ncase \"$1\" in\n")
	for _, name := range names {
		w.write("  ")
		w.write(name)
		w.write(")\n")
		w.activity(name)
		w.write(indent + ";;\n\n")
	}
	w.write("  *)\n" + indent + `echo "Usage: $0 {`)
	for i, name := range names {
		if i > 0 {
			w.write("|")
		}
		w.write(name)
	}
	w.write(`}" >&2` + "\n" + indent + "exit 2\n" + indent + ";;\nesac\n")
}

// activity writes the body of an activity, one item per line. An item is
// never re-indented inside: it may hold a quoted value or the model's code,
// whose newlines are part of it.
func (w *scriptWriter) activity(name string) {
	p := w.p
	switch activityOf(p, name) {
	case modelCode:
		w.item(strings.TrimRight(p.Activities[name], "\n"))
	case generatedCode:
		if name == "restart" {
			w.item(`"$0" stop`)
			w.item(`"$0" start`)
			return
		}
		w.write(indent + "statusproc ")
		w.pidOption()
		w.writeQuoted(string(p.Process))
		w.write("\n")
	case modelInstruction:
		in := p.Instructions[name]
		w.message(in.Activity)
		w.item(strings.TrimRight(in.Instruction, "\n"))
		w.item("evaluate_retval")
	case generatedInstruction:
		switch name {
		case "start":
			w.message("Starting")
			w.start()
		case "stop":
			w.message("Stopping")
			w.killproc("")
		case "reload":
			w.message("Reloading")
			w.killproc(string(p.ReloadSignal))
		}
		w.item("evaluate_retval")
	}
}

func (w *scriptWriter) item(s string) {
	w.write(indent)
	w.write(s)
	w.write("\n")
}

// message writes the line that announces an instruction: the verb and the
// description, single-quoted as shellquote.Quote quotes them once joined
// (the space between them means a join is never left bare), without
// joining them first.
func (w *scriptWriter) message(verb string) {
	w.write(indent + "log_info_msg '")
	w.buf = appendSingleQuotedText(w.buf, verb)
	w.write(" ")
	w.buf = appendSingleQuotedText(w.buf, string(w.p.Description))
	w.write("...'\n")
}

// appendSingleQuotedText appends s for use between single quotes, inside
// which only a single quote itself needs writing differently: it closes
// the quotes, adds an escaped quote and opens them again.
func appendSingleQuotedText(b []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		b = append(b, `'\''`...)
		s = s[i+1:]
	}
}

// start runs the initialize code, changes to the process's directory and
// starts the process, each step only if the one before succeeded.
func (w *scriptWriter) start() {
	p := w.p
	if p.Initialize != "" {
		w.item(initializeStep(string(p.Initialize)))
	}
	if p.Directory != "" {
		w.write(indent + "cd ")
		w.writeQuoted(string(p.Directory))
		w.write(" &&\n")
	}
	w.write(indent + "start_daemon ")
	w.pidOption()
	if p.Nice != nil {
		w.write("-n ")
		w.buf = strconv.AppendInt(w.buf, int64(*p.Nice), 10)
		w.write(" ")
	}
	if p.isDaemon() {
		w.buf = appendAsUser(w.buf, w.user)
		w.writeQuoted(string(p.Process))
		w.buf = appendWords(w.buf, p.Args)
	} else {
		w.buf = appendDaemonize(w.buf, w.files.pidFile, w.files.logFile, w.user, string(p.Directory), string(p.Umask), string(p.Process), p.Args)
	}
	w.write("\n")
}

// killproc signals the process, with TERM when signal is "".
func (w *scriptWriter) killproc(signal string) {
	w.write(indent + "killproc ")
	w.pidOption()
	w.writeQuoted(string(w.p.Process))
	if signal != "" {
		w.write(" ")
		w.write(signal)
	}
	w.write("\n")
}

// pidOption names the PID file for the init functions, when there is one.
func (w *scriptWriter) pidOption() {
	if w.files.pidFile != "" {
		w.write("-p ")
		w.writeQuoted(w.files.pidFile)
		w.write(" ")
	}
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
