# A webapp instance as a sysvinit script: the webapp daemonizes itself (-D)
# and writes its PID file, which the script uses to stop it.
{ createSystemVInitScript, tmpDir }:
{ port, instanceSuffix ? "", instanceName ? "webapp${instanceSuffix}" }:

let
  webapp = import ../../../webapp;
in
createSystemVInitScript {
  name = instanceName;
  inherit instanceName;
  description = "Simple web application";

  process = "${webapp}/bin/webapp";
  args = [ "-D" ];
  environment = {
    PORT = port;
    PID_FILE = "${tmpDir}/${instanceName}.pid";
  };

  runlevels = [ 3 4 5 ];

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
}
