// Package disnix is the disnix backend: one Dysnomia process component per
// process (etc/dysnomia/process/<name> naming a wrapper that starts the
// process as a daemon, its PID file and the component's credentials) and a
// Disnix deployment model of localhost that orders activation by the
// processes' dependencies (activatesAfter). Its deployer runs disnix-env
// where Disnix is installed; elsewhere it activates the components itself
// with the semantics of Dysnomia's process module, in dependency order, and
// also stops processes that keep no PID file of their own.
//
// It imports backends, and sysvinit for the way foreground processes are
// daemonized with libslack's daemon; only backends/all imports it.
package disnix
