// Package e2e deploys the examples end to end with every backend that runs
// on this machine, with the real process managers, nginx and Nix: the cycle a
// user goes through (deploy, both hosts answer through nginx, upgrade,
// rollback, undeploy leaves nothing). Backends take turns, since the examples
// listen on fixed ports. Only tests live here.
package e2e
