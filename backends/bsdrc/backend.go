package bsdrc

import "nixproc/backends"

// Backend is the bsdrc backend.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name implements backends.Backend.
func (Backend) Name() string { return "bsdrc" }

// Capabilities implements backends.Backend: rc.subr expresses every agnostic
// field (daemon(8) turns foreground processes into daemons).
func (Backend) Capabilities() backends.Capabilities {
	return backends.Capabilities{
		Daemon: true, Foreground: true, User: true, Umask: true, Nice: true,
		Directory: true, Environment: true, Path: true, Initialize: true,
		PIDFile: true, Dependencies: true, Credentials: true, PostInstall: true,
	}
}
