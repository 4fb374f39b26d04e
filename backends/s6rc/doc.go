// Package s6rc is the s6-rc backend: one source definition directory per
// service (a longrun running the process in the foreground with an execline
// run script, its s6-log logger and the bundle of both, named after the
// process), a default bundle of every process, and a deployer that compiles
// them with s6-rc-compile and switches with s6-rc-update and s6-rc. Where
// s6-rc is not installed, the deployer supervises the same longruns with
// plain s6 on the scan directory of nixproc s6-svscan.
//
// It imports backends and fgproxy (daemon-only processes run through a
// foreground proxy), and is imported only by backends/all.
package s6rc
