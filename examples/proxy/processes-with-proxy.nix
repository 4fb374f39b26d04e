# The hello world server behind a TCP proxy that makes upgrades atomic:
# a switch locks the proxy, which queues new clients and waits until the
# open connections close; then the server restarts and the proxy is
# unlocked, and the queued clients reach the new server.
#
#   hello-world-client 127.0.0.1:5101
{ pkgs ? null
, system ? builtins.currentSystem
, stateDir ? "/var"
, runtimeDir ? "${stateDir}/run"
, logDir ? "${stateDir}/log"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
, forceDisableUserChange ? false
, processManager ? null
, serverPort ? 5100
, proxyPort ? 5101
, greeting ? "Hello world!"
}:

let
  constructors = import ./constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir tmpDir forceDisableUserChange processManager;
  };
in
rec {
  helloWorldServer = rec {
    port = serverPort;
    pkg = constructors.helloWorldServer {
      inherit port greeting;
    };
  };

  tcpProxy = rec {
    port = proxyPort;
    pkg = constructors.tcpProxy {
      inherit port;
      # By port, not as a dependency: a new server must not restart the
      # proxy (see constructors/tcp-proxy.nix).
      serverPort = helloWorldServer.port;
    };
  };
}
