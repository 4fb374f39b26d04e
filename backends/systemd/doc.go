// Package systemd is the systemd backend: one unit per process,
// nix-process-<name>.service, written with go-systemd's unit package and
// escaped by systemd's own rules; a deployer that links the units into a
// unit directory, enables them, reloads the manager once per switch and
// starts, stops and restarts only what changed, through systemctl.
//
// systemd cannot run where nixproc is tested, so the deployer is tested with
// recorded systemctl calls and the units with systemd-analyze verify and
// systemd's own parser (systemd --test).
package systemd
