# A webapp instance that only says how to run in the foreground. It writes
# no PID file (the process manager tracks it), so its page gets its name
# from INSTANCE_NAME.
{ createManagedProcess, tmpDir }:
{ port, instanceSuffix ? "", instanceName ? "webapp${instanceSuffix}" }:

let
  webapp = import ../../../webapp;
in
createManagedProcess {
  description = "Simple web application";
  inherit instanceName;

  foregroundProcess = "${webapp}/bin/webapp";

  environment = {
    PORT = port;
    INSTANCE_NAME = instanceName;
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
