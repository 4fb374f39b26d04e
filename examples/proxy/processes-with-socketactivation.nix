# The hello world server started on demand by systemd socket activation:
# systemd listens on the port, starts the server on the first connection,
# and the server exits when its last client leaves. Only systemd can do
# this, so only nixproc-systemd-switch (or -P systemd) builds it.
#
# nixproc's systemd deployer links and starts the processes' .service
# units; the .socket unit is written into the profile next to them (by the
# server's postInstall) but not linked or started by it.
{ pkgs ? null
, system ? builtins.currentSystem
, stateDir ? "/var"
, runtimeDir ? "${stateDir}/run"
, logDir ? "${stateDir}/log"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
, forceDisableUserChange ? false
, processManager ? null
, serverPort ? 5100
, greeting ? "Hello world!"
}:

let
  constructors = import ./constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir tmpDir forceDisableUserChange processManager;
  };
in
if processManager != "systemd"
then throw "the socket activation variant of the proxy example works with systemd only (-P systemd), not ${if processManager == null then "an unspecified process manager" else processManager}"
else
{
  helloWorldServer = rec {
    port = serverPort;
    pkg = constructors.helloWorldServer {
      inherit port greeting;
      socketActivation = true;
    };
  };
}
