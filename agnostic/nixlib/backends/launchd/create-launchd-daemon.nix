# createLaunchdDaemon: a launchd-specific process. It takes the parameters of
# the original (name, path, credentials, postInstall, and any launchd.plist
# key, such as ProgramArguments or KeepAlive); nixproc checks them and renders
# the property list in Go. The original's factory arguments (stdenv,
# writeTextFile, ...) are accepted and ignored.
{ createCredentials ? import ../../create-credentials { inherit ids forceDisableUserChange; }
, ids ? {}
, forceDisableUserChange ? false
, ...
}:

(import ../../lib.nix).mkNative { kind = "launchd"; inherit createCredentials; }
