package docker

import (
	"os"

	"nixproc/backends"
)

// Backend is the docker backend.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name implements backends.Backend.
func (Backend) Name() string { return "docker" }

// Capabilities implements backends.Backend: what a container engine cannot
// do itself (wait for a daemon, initialize, umask, nice) a foreground proxy
// inside the container does.
func (Backend) Capabilities() backends.Capabilities {
	return backends.Capabilities{
		Daemon: true, Foreground: true, User: true, Umask: true, Nice: true,
		Directory: true, Environment: true, Path: true, Initialize: true,
		PIDFile: true, Dependencies: true, Credentials: true, PostInstall: true,
	}
}

// DockerOption is the switch option (and Env.Options key) naming the
// container engine's command; NIXPROC_DOCKER is its default.
const DockerOption = "docker"

// SwitchFlags implements backends.FlagProvider.
func (Backend) SwitchFlags() []backends.SwitchFlag {
	return []backends.SwitchFlag{{
		Name:  DockerOption,
		Usage: "docker-compatible command, with options if any (default $NIXPROC_DOCKER, else docker; podman works)",
	}}
}

func fsMode(m int) os.FileMode { return os.FileMode(m) }
