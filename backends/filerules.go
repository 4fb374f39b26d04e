package backends

import (
	"path"

	"nixproc/agnostic"
)

// PIDFile returns the PID file of a process by the original framework's
// rules, which every backend shares: the model's pidFile; else
// <instanceName>.pid, or for a program nixproc daemonizes itself (program
// set) <basename of program>.pid; in the runtime directory, or in the temp
// directory for a process written to run as another user. The user as
// written counts, so paths stay put with --force-disable-user-change. ""
// means no PID file is known.
func PIDFile(dirs agnostic.Dirs, user, instanceName, pidFile, program string) string {
	if pidFile != "" {
		return pidFile
	}
	dirs = dirs.Resolved()
	dir := dirs.RuntimeDir
	if user != "" {
		dir = dirs.TmpDir
	}
	switch {
	case instanceName != "":
		return path.Join(dir, instanceName+".pid")
	case program != "":
		return path.Join(dir, path.Base(program)+".pid")
	}
	return ""
}

// LogFile returns where the output of a foreground process that a backend
// daemonizes goes: nixproc-<instanceName or name>.log in the log directory,
// or in the temp directory when the process does switch user (who may not
// write the log directory).
func LogFile(dirs agnostic.Dirs, effectiveUser, instanceName, name string) string {
	dirs = dirs.Resolved()
	dir := dirs.LogDir
	if effectiveUser != "" {
		dir = dirs.TmpDir
	}
	id := instanceName
	if id == "" {
		id = name
	}
	return path.Join(dir, "nixproc-"+id+".log")
}
