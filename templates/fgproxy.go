package templates

import _ "embed"

// FgproxyFunctions is the bash library every generated foreground proxy
// (backends/fgproxy) inlines: nixproc_proxy_daemon keeps a self-daemonizing
// program's daemon in the foreground (PID file wait, signal passing, exit
// status), nixproc_proxy_exec switches user and niceness and execs. It has
// no shebang and needs bash, coreutils and, for a user switch, setpriv.
//
//go:embed fgproxy.sh
var FgproxyFunctions string
