// Package proxy holds the proxy example, a port of disnix-proxy-example:
// upgrades made atomic by a TCP proxy that the switch locks (it queues new
// clients and waits until the open connections close) before restarting the
// server behind it, and unlocks afterwards.
//
// The programs are in the subfolders (each a main package, standard library
// only, built into the Nix store by go-program.nix); the processes models
// and their constructors are next to this file. This package itself has
// only the tests that deploy the example with nixproc; see README.md.
package proxy
