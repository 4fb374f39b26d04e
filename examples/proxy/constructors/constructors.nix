# Constructors of the proxy example's processes.
{ pkgs ? null
, stateDir
, runtimeDir
, logDir
, tmpDir
, forceDisableUserChange
, processManager
, ids ? {}
}:

let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit pkgs runtimeDir stateDir logDir tmpDir forceDisableUserChange processManager ids;
  };
  programs = import ../default.nix;
in
{
  helloWorldServer = import ./hello-world-server.nix {
    inherit createManagedProcess;
    server = programs.helloWorldServer;
  };

  tcpProxy = import ./tcp-proxy.nix {
    inherit createManagedProcess runtimeDir;
    proxy = programs.tcpProxy;
  };
}
