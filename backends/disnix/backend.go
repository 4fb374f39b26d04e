package disnix

import "nixproc/backends"

// Backend is the disnix backend.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name implements backends.Backend.
func (Backend) Name() string { return "disnix" }

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
		Usage: "disnix-env: deploy with Disnix; builtin: activate the components like Dysnomia's process module; default: disnix-env when it is installed, unless a builtin deployment is running",
	}}
}
