# createSupervisordProgram: a supervisord-specific process. It takes the
# parameters of the original (name, command, useProxy, pidFile, path,
# environment, dependencies, credentials, postInstall, and any supervisord
# [program:x] option such as autorestart or startsecs) plus nixproc's
# initialize, nice, directory, umask and user; nixproc checks them and
# renders the program file in Go. The original's factory arguments (stdenv,
# writeTextFile, supervisor, ...) are accepted and ignored.
{ createCredentials ? import ../../create-credentials { inherit ids forceDisableUserChange; }
, ids ? {}
, forceDisableUserChange ? false
, ...
}:

(import ../../lib.nix).mkNative { kind = "supervisord"; inherit createCredentials; }
