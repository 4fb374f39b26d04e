// Package launchd is the launchd backend: one property list per process,
// written with howett.net/plist (so every value is XML-escaped), with the
// program's arguments as an exact ProgramArguments array; foreground
// proxies (backends/fgproxy) for processes that only daemonize or need
// initialize; and a deployer that copies the plists into
// /Library/LaunchDaemons and loads them with launchctl.
//
// launchd has no dependencies: the switch loads processes in dependency
// order and warns that launchd does not keep that order afterwards.
//
// launchd cannot run where nixproc is tested, so the deployer is tested
// with recorded launchctl calls and every plist is read back by libplist's
// plistutil.
package launchd
