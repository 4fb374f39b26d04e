// Package cygrunsrv is the cygrunsrv backend: Windows services run by
// Cygwin's cygrunsrv, one per process, described by a parameters file (one
// cygrunsrv option or value per line) from which the deployer really
// installs the service (the original only printed the command), starts it
// in dependency order, stops and removes it. Processes that only daemonize
// or need initialize, a niceness or a umask run through a foreground proxy
// (backends/fgproxy).
//
// cygrunsrv cannot run where nixproc is tested, so the deployer is tested
// with recorded cygrunsrv calls, and the arguments with cygrunsrv's own
// splitting rules.
package cygrunsrv
