package launchd

import "nixproc/backends"

// Backend is the launchd backend.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name implements backends.Backend.
func (Backend) Name() string { return "launchd" }

// Capabilities implements backends.Backend. Dependencies are false: a
// plist cannot say that a job needs another one (the switch still starts
// processes in dependency order, and says that launchd will not).
func (Backend) Capabilities() backends.Capabilities {
	return backends.Capabilities{
		Daemon: true, Foreground: true, User: true, Umask: true, Nice: true,
		Directory: true, Environment: true, Path: true, Initialize: true,
		PIDFile: true, Dependencies: false, Credentials: true, PostInstall: true,
	}
}

// OptionPlistDir is the switch option naming where plists are installed.
const OptionPlistDir = "plist-dir"

// SwitchFlags implements backends.FlagProvider.
func (Backend) SwitchFlags() []backends.SwitchFlag {
	return []backends.SwitchFlag{
		{Name: OptionPlistDir, Usage: "directory the plists are installed in (default $LAUNCHD_TARGET_DIR, else /Library/LaunchDaemons)"},
	}
}
