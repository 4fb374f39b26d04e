// Package all links every built backend into the binary: the one place a
// new backend is added.
package all

import (
	_ "nixproc/backends/bsdrc"
	_ "nixproc/backends/cygrunsrv"
	_ "nixproc/backends/disnix"
	_ "nixproc/backends/docker"
	_ "nixproc/backends/launchd"
	_ "nixproc/backends/s6rc"
	_ "nixproc/backends/supervisord"
	_ "nixproc/backends/systemd"
	_ "nixproc/backends/sysvinit"
)
