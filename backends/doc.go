// Package backends holds what every process manager backend shares: the
// Backend interface and its registry, the build pipeline that turns a model
// into a profile, generations of profiles, and the switch engine that deploys
// a profile with the real process manager (plan, lock, users and groups, stop
// obsolete in reverse order, start new in order, roll back on failure).
//
// One package per process manager lives below it and registers itself in
// registry.go's list. Backends import agnostic, cmdrun, shellquote, usermgmt
// and templates; nothing here imports a backend package.
package backends
