# An nginx instance as a sysvinit script, running a given configuration
# file. nginx daemonizes itself and writes its PID file (see the layout in
# ../../../services-agnostic/constructors/nginx/layout.nix).
{ createSystemVInitScript, nginx, stateDir, logDir, runtimeDir, cacheDir, forceDisableUserChange }:
{ configFile, dependencies ? [], instanceSuffix ? "", instanceName ? "nginx${instanceSuffix}" }:

let
  user = instanceName;
  group = instanceName;
  layout = import ../../../services-agnostic/constructors/nginx/layout.nix {
    inherit stateDir logDir runtimeDir cacheDir;
  } instanceName;
in
createSystemVInitScript {
  name = instanceName;
  inherit instanceName dependencies;
  description = "Nginx";

  initialize = layout.initialize { inherit forceDisableUserChange user group; };
  process = nginx;
  args = layout.args configFile;
  inherit (layout) pidFile;
  runlevels = [ 3 4 5 ];

  credentials = {
    groups = {
      "${group}" = {};
    };
    users = {
      "${user}" = {
        inherit group;
        description = "Nginx user";
      };
    };
  };
}
