// Package supervisord is the supervisord backend: one [program:x] file per
// process under conf.d, a supervisord.conf that listens on a unix socket in
// the deployment's runtime directory, and foreground proxies (backends/
// fgproxy) for what supervisord cannot do itself (daemons, initialize,
// nice, values its configuration syntax cannot carry). The deployer runs
// one supervisord per deployment and drives it with supervisorctl.
//
// It imports backends, backends/fgproxy, agnostic, cmdrun, shellquote and
// usermgmt (through backends).
package supervisord
