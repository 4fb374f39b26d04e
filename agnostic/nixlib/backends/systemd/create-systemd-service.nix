# createSystemdService: a systemd-specific process. It takes the parameters of
# the original (name, environment, path, dependencies, credentials,
# postInstall, and one attribute set per unit section: Unit, Service,
# Install); nixproc checks them and renders the unit in Go. The original's
# factory arguments (stdenv, writeTextFile, ...) are accepted and ignored.
{ createCredentials ? import ../../create-credentials { inherit ids forceDisableUserChange; }
, ids ? {}
, forceDisableUserChange ? false
, ...
}:

(import ../../lib.nix).mkNative { kind = "systemd"; inherit createCredentials; }
