# Builds one program of the proxy example (a folder next to this file) into
# $out/bin/<name> (see ../build-go-program.nix). Each program has its own
# source, so an upgrade of the server never restarts the proxy in front of it.
name:

import ../build-go-program.nix { inherit name; dir = ./. + "/${name}"; }
