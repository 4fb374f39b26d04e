// Package dysnomia is nixproc's implementation of the parts of Dysnomia that
// the process management framework uses: the modules that activate and
// deactivate process components (managed-process, process, sysvinit-script,
// systemd-unit, supervisord-program, s6-rc-service, launchd-daemon,
// bsdrc-script, cygrunsrv-service, docker-container, wrapper, echo), the
// dysnomia command that runs them on a component in a container, the
// container file format, and the state Dysnomia keeps (activation markers,
// the accounts its user tools created).
//
// A module follows the Dysnomia contract: it is run as
// `<module> <activity> <component> [<container>]`, with the container's
// properties in its environment. Here every module is a Go value of this
// package; the nixproc binary runs one when it is called through a link
// named after the module in a libexec/dysnomia directory, or as
// `nixproc dysnomia-module`.
//
// The process manager modules deploy profiles built by nixproc (by
// nixproc build, or by the managed-process module from agnostic
// configurations with the shared generators of backends) with that
// backend's own deployer, one component at a time; the process and
// sysvinit-script modules also deploy components in the original Dysnomia
// layouts. Container files are read literally, never run as shell; an
// unknown activity is an error.
//
// It imports agnostic, backends (and every backend through backends/all),
// dysnomia/agnosticconfig, usermgmt and cmdrun; cmd/nixproc imports it.
package dysnomia
