// Package fgproxy writes foreground proxies: bash scripts that let a process
// manager which supervises foreground processes (supervisord, launchd,
// cygrunsrv, containers) run a process it cannot run by itself.
//
// In daemon mode the proxy starts a program that only daemonizes, waits for
// its PID file, stays in the foreground while that process lives, passes
// TERM, INT, QUIT, HUP, USR1 and USR2 on to it and exits when it exits: 0
// after a stop it was asked for, non-zero when the daemon died by itself. In
// plain mode it sets up what the process manager cannot (initialize, working
// directory, umask, user, niceness) and execs the foreground program.
//
// Arguments and environment values are shell-quoted into the script, so they
// arrive byte for byte. The bash functions live in templates/fgproxy.sh.
package fgproxy

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/shellquote"
	"nixproc/templates"
)

// Spec describes one proxy.
type Spec struct {
	// Name is the process's name, used in the header and in messages.
	Name string
	// Executable and Args are the program to run, as it is run.
	Executable string
	Args       []string
	// Daemon selects daemon mode: Executable daemonizes and writes PIDFile.
	Daemon  bool
	PIDFile string
	// Initialize is shell run first, as the caller, under set -e.
	Initialize string
	// Directory, Umask, Nice and User are applied before the program runs;
	// an empty User switches to no one.
	Directory string
	Umask     string
	Nice      *int
	User      string
	// Environment is exported before Initialize runs. Path lists packages
	// whose bin directories go before the inherited PATH, unless
	// Environment sets PATH itself.
	Environment map[string]string
	Path        []string
	// StartTimeout is how long (seconds) a daemon may take to write its PID
	// file; StopTimeout how long it may take to stop before it is killed.
	// Zero means 30 and 10.
	StartTimeout, StopTimeout int
}

// Defaults for the timeouts, in seconds.
const (
	DefaultStartTimeout = 30
	DefaultStopTimeout  = 10
)

// Write renders the proxy and writes it, executable, into the profile as a
// file of the process owner.
func Write(w *backends.ProfileWriter, owner, relPath string, s Spec) error {
	script, err := Render(s)
	if err != nil {
		return err
	}
	return w.WriteFile(owner, relPath, []byte(script), 0o555)
}

// PIDFile is where a daemon's PID file is expected when the model names
// none, by the rules every nixproc backend shares: the given pidFile, else
// <instanceName>.pid, else <basename of the executable>.pid, in the runtime
// directory, or in the temp directory for a process that runs as another
// user (as written in the model, so the path does not change with
// --force-disable-user-change).
func PIDFile(dirs agnostic.Dirs, user, instanceName, pidFile, executable string) string {
	return backends.PIDFile(dirs, user, instanceName, pidFile, executable)
}

var (
	octal   = regexp.MustCompile(`^0?[0-7]{1,3}$`)
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Check tells what makes a spec impossible to render, naming the field.
func (s Spec) Check() error {
	if s.Executable == "" {
		return fmt.Errorf("no program to run")
	}
	if !path.IsAbs(s.Executable) {
		return fmt.Errorf("program %q must be an absolute path", s.Executable)
	}
	if s.Daemon && s.PIDFile == "" {
		return fmt.Errorf("pidFile: a daemon needs a PID file to be found by")
	}
	if s.Umask != "" && !octal.MatchString(s.Umask) {
		return fmt.Errorf("umask %q is not an octal mask", s.Umask)
	}
	if s.Nice != nil && (*s.Nice < -20 || *s.Nice > 19) {
		return fmt.Errorf("nice %d is not between -20 and 19", *s.Nice)
	}
	if strings.HasPrefix(s.User, "-") {
		return fmt.Errorf("user %q is not a user name", s.User)
	}
	if s.StartTimeout < 0 || s.StopTimeout < 0 {
		return fmt.Errorf("timeouts cannot be negative")
	}
	for i, p := range s.Path {
		if strings.IndexByte(p, 0) >= 0 || strings.Contains(p, ":") {
			return fmt.Errorf("path[%d] %q cannot be put on PATH (it contains a NUL byte or a colon)", i, p)
		}
	}
	fields := map[string]string{"process": s.Executable, "pidFile": s.PIDFile, "directory": s.Directory, "user": s.User, "initialize": s.Initialize}
	for _, f := range agnostic.SortedKeys(fields) {
		if strings.IndexByte(fields[f], 0) >= 0 {
			return fmt.Errorf("%s contains a NUL byte, which no script can carry", f)
		}
	}
	for i, a := range s.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("args[%d] contains a NUL byte, which no process argument can carry", i)
		}
	}
	for _, k := range agnostic.SortedKeys(s.Environment) {
		if !envName.MatchString(k) {
			return fmt.Errorf("environment variable name %q is not a shell variable name", k)
		}
		if strings.IndexByte(s.Environment[k], 0) >= 0 {
			return fmt.Errorf("environment.%s contains a NUL byte, which no environment value can carry", k)
		}
	}
	return nil
}

// Render returns the proxy script.
func Render(s Spec) (string, error) {
	if err := s.Check(); err != nil {
		return "", err
	}
	q := shellquote.Quote
	var b strings.Builder
	name := strings.Join(strings.Fields(s.Name), " ")
	if s.Daemon {
		fmt.Fprintf(&b, "#!/usr/bin/env bash\n# Generated by nixproc: the foreground proxy of %s. It starts the daemon,\n# stays in the foreground while it runs and passes signals on to it.\n", name)
	} else {
		fmt.Fprintf(&b, "#!/usr/bin/env bash\n# Generated by nixproc: the foreground proxy of %s. It prepares the\n# process's environment and execs it.\n", name)
	}
	// Values are single-quoted so that they arrive as they are: $ and `
	// in them are meant literally.
	b.WriteString("# shellcheck disable=SC2016\nset -e\n\nnixproc_proxy_name=" + q(s.Name) + "\n\n")
	b.WriteString(strings.TrimRight(templates.FgproxyFunctions, "\n") + "\n")
	_, ownPath := s.Environment["PATH"]
	if len(s.Environment) > 0 || (len(s.Path) > 0 && !ownPath) {
		b.WriteString("\n")
		for _, k := range agnostic.SortedKeys(s.Environment) {
			b.WriteString("export " + k + "=" + q(s.Environment[k]) + "\n")
		}
		if len(s.Path) > 0 && !ownPath {
			bins := make([]string, len(s.Path))
			for i, pkg := range s.Path {
				bins[i] = pkg + "/bin"
			}
			b.WriteString("export PATH=" + q(strings.Join(bins, ":")) + `:"$PATH"` + "\n")
		}
	}
	if s.Initialize != "" {
		b.WriteString("\ntrap 'echo \"$nixproc_proxy_name: initialize failed (exit status $?)\" >&2' ERR\n")
		b.WriteString(strings.TrimRight(s.Initialize, "\n") + "\n")
		b.WriteString("trap - ERR\n")
	}
	b.WriteString("\n")
	if s.Directory != "" {
		b.WriteString("cd -- " + q(s.Directory) + "\n")
	}
	if s.Umask != "" {
		b.WriteString("umask " + s.Umask + "\n")
	}
	var opts []string
	if s.Daemon {
		start, stop := s.StartTimeout, s.StopTimeout
		if start == 0 {
			start = DefaultStartTimeout
		}
		if stop == 0 {
			stop = DefaultStopTimeout
		}
		opts = append(opts, "-p", q(s.PIDFile), "-t", fmt.Sprint(start), "-k", fmt.Sprint(stop))
	}
	if s.User != "" {
		opts = append(opts, "-u", q(s.User))
	}
	if s.Nice != nil {
		opts = append(opts, "-n", fmt.Sprint(*s.Nice))
	}
	cmd := shellquote.Join(append([]string{s.Executable}, s.Args...))
	if s.Daemon {
		b.WriteString("set +e\nnixproc_proxy_daemon " + strings.Join(append(opts, "--", cmd), " ") + ` "$@"` + "\n")
	} else {
		b.WriteString("nixproc_proxy_exec " + strings.Join(append(opts, "--", cmd), " ") + ` "$@"` + "\n")
	}
	return b.String(), nil
}
