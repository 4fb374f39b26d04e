# createBSDRCScript: a bsdrc-specific process. It takes the parameters of the
# original (name, command, commandArgs, commandIsDaemon, pidFile, environment,
# dependencies, commands, ...); nixproc checks them and renders the rc.subr
# script in Go. The original's factory arguments (stdenv, writeTextFile,
# directories, ...) are accepted and ignored.
{ createCredentials ? import ../../create-credentials { inherit ids forceDisableUserChange; }
, ids ? {}
, forceDisableUserChange ? false
, ...
}:

(import ../../lib.nix).mkNative { kind = "bsdrc"; inherit createCredentials; }
