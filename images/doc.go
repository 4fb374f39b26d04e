// Package images builds multi-process container images: one image that runs
// every process of a processes model under one process manager, as the
// original's createMultiProcessImage did with nixpkgs' dockerTools, but
// without Nix building the image and without a container engine.
//
// The Nix side only describes the image (agnostic/nixlib/
// create-image-from-steps/create-multi-process-image-universal.nix evaluates
// to an attribute set); Go does the rest (`nixproc build-image`):
//
//  1. the profile is built with backends.Build, the one translation every
//     other front door uses;
//  2. the image gets the store closure of everything the profile refers to
//     (one layer per store path, shared with other images), the host
//     programs the process manager and the generated files need with their
//     libraries (bash, coreutils, setpriv, libslack's daemon, supervisord
//     with the Python modules its Debian package and dependencies install,
//     s6 and execline, nginx...), and a layer of its own: the profile, /etc/passwd and
//     /etc/group from the credentials, the state directories;
//  3. the entry point: supervisord runs supervisord in the foreground; for
//     sysvinit, disnix and s6-rc nixproc itself is PID 1 (`nixproc init`,
//     Init): it starts the processes in order through the backend's
//     deployer (disnix activating the components itself, s6-rc with plain
//     s6 on an s6-svscan it starts), reaps orphans, and on SIGTERM stops
//     them in reverse order and exits.
//
// The tarball is written by imagebuild, deterministically: the same inputs
// give a byte-identical file.
//
// images imports agnostic, backends (and, through the registry, whatever
// backend the profile names; s6rc and supervisord for their layout), cmdrun,
// imagebuild and usermgmt; only cmd/nixproc imports it.
package images
