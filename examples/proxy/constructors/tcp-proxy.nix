# The TCP proxy in front of the hello world server, with the lock and
# unlock commands the switch runs around an upgrade: lock makes the proxy
# queue new clients and waits until the connections it relays have closed
# (the switch's --lock-timeout bounds the wait; when it passes, the lock
# command is stopped and unlocks the proxy again); unlock forwards again,
# the queued clients first.
#
# The server is given by host and port, not as a dependency: a dependency
# that changes restarts what depends on it, and a restarted proxy would drop
# the clients it queued during the upgrade. The proxy does not need the
# server to be up when it starts: it keeps trying to reach it for each
# client (connectTimeout).
{ createManagedProcess, proxy, runtimeDir }:
{ port
, serverPort
, serverHost ? "127.0.0.1"
, instanceName ? "tcp-proxy"
, adminSocket ? "${runtimeDir}/${instanceName}.sock"
, connectTimeout ? "30s"
}:

let
  quote = s: "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] s + "'";
  tcpProxy = "${proxy}/bin/tcp-proxy";
in
createManagedProcess {
  inherit instanceName;
  description = "TCP proxy of the hello world server";
  foregroundProcess = tcpProxy;
  args = [
    "serve"
    "-listen" (toString port)
    "-to" "${serverHost}:${toString serverPort}"
    "-admin" adminSocket
    "-connect-timeout" connectTimeout
  ];

  lock = "${quote tcpProxy} lock -admin ${quote adminSocket}";
  unlock = "${quote tcpProxy} unlock -admin ${quote adminSocket}";

  overrides = {
    sysvinit = {
      runlevels = [ 3 4 5 ];
    };
  };
}
