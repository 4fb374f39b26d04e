// Package bsdrc is the bsdrc backend: FreeBSD rc.subr scripts, one per
// process, with PROVIDE/REQUIRE from the dependencies, every value quoted for
// the shell that reads it (and for the extra shells rc.subr runs when it
// switches user or niceness), foreground processes run through daemon(8);
// and a deployer that orders the scripts by PROVIDE/REQUIRE as rcorder does
// and runs them with onestart and onestop.
//
// FreeBSD's rc cannot run where nixproc is tested, so the deployer is tested
// with recorded calls and the scripts with sh -n, shellcheck and real sh
// reading back the arguments.
package bsdrc
