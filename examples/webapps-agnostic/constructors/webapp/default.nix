# A webapp instance that can run in the foreground or as a daemon (-D); the
# process manager picks the form it prefers.
{ createManagedProcess, tmpDir }:
{ port, instanceSuffix ? "", instanceName ? "webapp${instanceSuffix}" }:

let
  webapp = import ../../../webapp;
in
createManagedProcess {
  description = "Simple web application";
  inherit instanceName;

  process = "${webapp}/bin/webapp";
  daemonArgs = [ "-D" ];

  environment = {
    PORT = port;
    PID_FILE = "${tmpDir}/${instanceName}.pid";
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
