# A webapp instance that only says how to run as a daemon (-D), with its
# PID file given explicitly.
{ createManagedProcess, tmpDir }:
{ port, instanceSuffix ? "", instanceName ? "webapp${instanceSuffix}" }:

let
  webapp = import ../../../webapp;
  pidFile = "${tmpDir}/${instanceName}.pid";
in
createManagedProcess {
  description = "Simple web application";
  inherit instanceName pidFile;

  daemon = "${webapp}/bin/webapp";
  daemonArgs = [ "-D" ];

  environment = {
    PORT = port;
    PID_FILE = pidFile;
  };

  user = instanceName;
  credentials = {
    groups = {
      "${instanceName}" = {};
    };
    users = {
      "${instanceName}" = {
        group = instanceName;
        description = "Webapp";
      };
    };
  };

  overrides = {
    sysvinit = {
      runlevels = [ 3 4 5 ];
    };
  };
}
