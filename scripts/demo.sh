#!/usr/bin/env bash
# make demo: deploys examples/webapps-agnostic with the sysvinit backend
# under a temporary state directory, shows both virtual hosts answering
# through nginx and the generations of the profile, then undeploys.
set -euo pipefail
cd "$(dirname "$0")/.."

nixproc=$PWD/bin/nixproc
work=$(mktemp -d /var/tmp/nixproc-demo.XXXXXX)
chmod 755 "$work"
export NIX_USER_PROFILE_DIR=$work/profiles
export NIXPROC_BUILD_DIR=$work/builds
opts=(--state-dir "$work/state")
if [ "$(id -u)" -ne 0 ]; then
  opts+=(--force-disable-user-change)
fi
switch() { "$nixproc" sysvinit-switch "${opts[@]}" "$@"; }
cleanup() {
  switch --undeploy >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Deploying examples/webapps-agnostic/processes.nix with sysvinit (state in $work/state)"
switch examples/webapps-agnostic/processes.nix

step "The generated profile"
profile=$(readlink -f "$NIX_USER_PROFILE_DIR/processes")
(cd "$profile" && find etc/rc.d/rc3.d dysnomia-support -mindepth 1 | sort)

step "Both virtual hosts answer through nginx on port 8080"
for host in webapp1.local webapp2.local; do
  printf '%s -> ' "$host"
  curl -sf --retry 5 --retry-connrefused -H "Host: $host" http://127.0.0.1:8080/ | grep -o 'Simple test webapp .*' || { echo "no answer"; exit 1; }
done

step "Upgrading to processes-advanced.nix (six webapps, two nginx instances)"
switch examples/webapps-agnostic/processes-advanced.nix
for host in webapp4.local; do
  printf '%s -> ' "$host"
  curl -sf --retry 5 --retry-connrefused -H "Host: $host" http://127.0.0.1:8080/ | grep -o 'Simple test webapp .*'
done

step "Rolling back to the first generation"
switch --rollback

step "Generations"
switch --list-generations

step "Undeploying"
switch --undeploy
if curl -s -o /dev/null http://127.0.0.1:8080/; then echo "nginx still answers"; exit 1; fi
echo "nothing answers on 8080 any more"
