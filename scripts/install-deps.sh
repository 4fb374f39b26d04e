#!/usr/bin/env bash
# Installs the Debian packages nixproc's demo and tests use, when missing.
# As root on Debian only; elsewhere it says what is missing and goes on.
set -euo pipefail

packages=(nix-bin daemon nginx curl shellcheck util-linux procps supervisor podman runc s6 execline systemd libplist-utils man-db groff-base bsdextrautils less)
commands=(nix-instantiate daemon nginx curl shellcheck setpriv ps supervisord podman runc s6-svscan execlineb systemd-analyze plistutil man groff col less)

missing=()
for i in "${!commands[@]}"; do
  if ! command -v "${commands[$i]}" >/dev/null 2>&1 && ! [ -x "/usr/sbin/${commands[$i]}" ]; then
    missing+=("${packages[$i]}")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing packages: ${missing[*]} (install them as root with apt-get)" >&2
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# With their recommended packages, as the tests were run with (podman
# needs some of them).
apt-get install -y -qq "${missing[@]}" >/dev/null
# Debian's nginx package starts a system nginx on port 80; nixproc runs its
# own instances, so the packaged one is stopped and kept from restarting.
if [[ " ${missing[*]} " == *" nginx "* ]]; then
  (service nginx stop || pkill -x nginx || true) >/dev/null 2>&1
fi
# Debian's supervisor package starts a system supervisord; nixproc runs one
# per deployment, so the packaged one is stopped.
if [[ " ${missing[*]} " == *" supervisor "* ]]; then
  (service supervisor stop || true) >/dev/null 2>&1
fi
