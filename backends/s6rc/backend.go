package s6rc

import "nixproc/backends"

// Backend is the s6-rc backend.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name implements backends.Backend.
func (Backend) Name() string { return "s6-rc" }

// Capabilities implements backends.Backend.
func (Backend) Capabilities() backends.Capabilities {
	return backends.Capabilities{
		Daemon: true, Foreground: true, User: true, Umask: true, Nice: true,
		Directory: true, Environment: true, Path: true, Initialize: true,
		PIDFile: true, Dependencies: true, Credentials: true, PostInstall: true,
	}
}

// SwitchFlags implements backends.FlagProvider.
func (Backend) SwitchFlags() []backends.SwitchFlag {
	return []backends.SwitchFlag{{
		Name:  ModeOption,
		Usage: "s6-rc: compile and switch with s6-rc; s6: supervise the longruns with plain s6 (no s6-rc needed); default: s6-rc when it is installed or already deployed",
	}}
}
