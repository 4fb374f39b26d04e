package sysvinit

import "nixproc/shellquote"

// daemonProgram is libslack's daemon, which turns a foreground process into
// a daemon with a PID file. It and setpriv are looked up when the script
// runs, on the machine that runs it.
const daemonProgram = "daemon"

// Daemonize returns the shell command that runs a foreground process as a
// daemon with libslack's daemon, which keeps its own PID in pidFile, sends
// the process's output to logFile (when set) and switches to user (when
// set). A daemon changes to / and sets umask 022 for its client, so the
// process's directory and umask (when set) are passed on to it. The disnix
// backend starts foreground processes the same way.
func Daemonize(pidFile, logFile, user, directory, umask, process string, args []string) string {
	return string(appendDaemonize(nil, pidFile, logFile, user, directory, umask, process, args))
}

// appendDaemonize appends Daemonize's command to b, for the scripts, which
// are written into one buffer.
func appendDaemonize(b []byte, pidFile, logFile, user, directory, umask, process string, args []string) []byte {
	b = append(b, `"$(command -v `+daemonProgram+`)" --unsafe --inherit`...)
	if directory != "" {
		b = appendWord(append(b, " --chdir"...), directory)
	}
	if umask != "" {
		b = appendWord(append(b, " --umask"...), umask)
	}
	if logFile != "" {
		b = appendWord(append(b, " --output"...), logFile)
	}
	b = appendWord(append(b, " --pidfile"...), pidFile)
	if user != "" {
		b = appendWord(append(b, " --user"...), user)
	}
	b = appendWord(append(b, " --"...), process)
	return appendWords(b, args)
}

// AsUser returns the command prefix that runs a daemon as user: setpriv
// switches user, primary group and supplementary groups (the original's su
// kept root's groups) and execs the program directly, so arguments are not
// parsed by another shell on the way.
func AsUser(user string) string {
	return string(appendAsUser(nil, user))
}

// appendAsUser appends AsUser's prefix to b.
func appendAsUser(b []byte, user string) []byte {
	if user == "" {
		return b
	}
	q := shellquote.Quote(user)
	b = append(b, `"$(command -v setpriv)" --reuid=`...)
	b = append(b, q...)
	b = append(b, ` --regid="$(id -g -- `...)
	b = append(b, q...)
	return append(b, `)" --init-groups -- `...)
}

// appendWord appends a space and word as one shell word.
func appendWord(b []byte, word string) []byte {
	return append(append(b, ' '), shellquote.Quote(word)...)
}

// appendWords appends every word with appendWord.
func appendWords(b []byte, words []string) []byte {
	for _, word := range words {
		b = appendWord(b, word)
	}
	return b
}
