// Package docker is the docker backend: one container per process, named
// nixproc-<name>, on the host's network, with the state directories and
// the host's Nix store (read-only) mounted, and a restart policy.
//
// The image of each container is written by nixproc itself (package
// imagebuild), without a daemon or a base image: the store closure of what
// the process runs, the host programs it needs that are not in the store
// (with their libraries), /etc/passwd and /etc/group with the process's
// users (with the IDs the host gave them), and, when the engine cannot run
// the process by itself (a daemon, initialize, umask, nice), a foreground
// proxy (backends/fgproxy). The profile keeps, per process,
// <NN>-<name>-docker-priority, <name>-docker-settings,
// <name>-docker-createparams and <name>-docker-image.json; the deployer
// writes the image from the last when it creates the container, loads it
// and removes it again with the container.
//
// The engine is any docker-compatible command (docker, podman, a wrapper),
// chosen with --docker or NIXPROC_DOCKER.
package docker
