package supervisord

import "nixproc/backends"

// Backend is the supervisord backend.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name implements backends.Backend.
func (Backend) Name() string { return "supervisord" }

// Capabilities implements backends.Backend. Daemons, initialize and nice
// go through the foreground proxy; the rest supervisord does itself.
func (Backend) Capabilities() backends.Capabilities {
	return backends.Capabilities{
		Daemon: true, Foreground: true, User: true, Umask: true, Nice: true,
		Directory: true, Environment: true, Path: true, Initialize: true,
		PIDFile: true, Dependencies: true, Credentials: true, PostInstall: true,
	}
}
