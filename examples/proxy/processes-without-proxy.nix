# The hello world server alone: clients connect to it directly, so an
# upgrade that restarts it cuts off whoever is connected.
#
#   hello-world-client 127.0.0.1:5100
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
{
  helloWorldServer = rec {
    port = serverPort;
    pkg = constructors.helloWorldServer {
      inherit port greeting;
    };
  };
}
