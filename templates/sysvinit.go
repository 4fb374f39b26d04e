package templates

import _ "embed"

// SysvinitInitFunctions is the bash library that every generated sysvinit
// script inlines before its case statement: log_info_msg, evaluate_retval,
// start_daemon, killproc, pidofproc and statusproc with LSB exit codes.
// It has no shebang and needs only bash and coreutils (no pidof, no procps).
//
// It reads NIXPROC_RUNTIME_DIR (directory of conventional <prog>.pid files,
// default /var/run), NIXPROC_START_TIMEOUT (seconds to wait for a daemon's
// PID file, default 10), NIXPROC_START_SETTLE (seconds a started daemon must
// survive, default 0.3) and NIXPROC_STOP_TIMEOUT (seconds between TERM and
// KILL, default 10). The functions also work under set -eu, but a script
// that wants evaluate_retval to report a failure must not use set -e: the
// failing command would end the script before evaluate_retval runs.
//
//go:embed sysvinit/init-functions.sh
var SysvinitInitFunctions string
