# createCygrunsrvParams: a cygrunsrv-specific process. It takes the parameters
# of the original (name, path, args, environment, environmentPath, type,
# dependencies, ...); nixproc checks them and renders the cygrunsrv parameters
# in Go. The original's factory arguments (stdenv, writeTextFile, ...) are
# accepted and ignored.
{ createCredentials ? import ../../create-credentials { inherit ids forceDisableUserChange; }
, ids ? {}
, forceDisableUserChange ? false
, ...
}:

(import ../../lib.nix).mkNative { kind = "cygrunsrv"; inherit createCredentials; }
