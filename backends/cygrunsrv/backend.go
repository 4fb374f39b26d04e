package cygrunsrv

import "nixproc/backends"

// Backend is the cygrunsrv backend.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name implements backends.Backend.
func (Backend) Name() string { return "cygrunsrv" }

// Capabilities implements backends.Backend. A Windows service runs as a
// Windows account with a password, so user and credentials are not
// expressed (as in the original); the rest is, natively or by the proxy.
func (Backend) Capabilities() backends.Capabilities {
	return backends.Capabilities{
		Daemon: true, Foreground: true, User: false, Umask: true, Nice: true,
		Directory: true, Environment: true, Path: true, Initialize: true,
		PIDFile: true, Dependencies: true, Credentials: false, PostInstall: true,
	}
}
