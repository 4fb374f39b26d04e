package systemd

import "nixproc/backends"

// Backend is the systemd backend.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name implements backends.Backend.
func (Backend) Name() string { return "systemd" }

// Capabilities implements backends.Backend: systemd expresses every agnostic
// field natively.
func (Backend) Capabilities() backends.Capabilities {
	return backends.Capabilities{
		Daemon: true, Foreground: true, User: true, Umask: true, Nice: true,
		Directory: true, Environment: true, Path: true, Initialize: true,
		PIDFile: true, Dependencies: true, Credentials: true, PostInstall: true,
	}
}

// Options of the switch and deploy tools.
const (
	OptionUser    = "user"
	OptionUnitDir = "unit-dir"
)

// SwitchFlags implements backends.FlagProvider.
func (Backend) SwitchFlags() []backends.SwitchFlag {
	return []backends.SwitchFlag{
		{Name: OptionUser, Bool: true, Usage: "deploy user units with systemctl --user (into ~/.config/systemd/user)"},
		{Name: OptionUnitDir, Usage: "directory the units are linked into (default $SYSTEMD_TARGET_DIR, else /etc/systemd/system, or ~/.config/systemd/user with --user)"},
	}
}
