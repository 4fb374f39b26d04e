# An nginx instance running a given configuration file. nginx is the
# distribution's binary (Debian's /usr/sbin/nginx by default), not a Nix
# package: pass another path as `nginx` to the constructors.
#
# nginx can daemonize itself (daemon mode, PID file known) or stay in the
# foreground with -g 'daemon off;'; the process manager picks the form.
# Its master runs as the caller (root in a privileged deployment, where the
# configuration's `user` directive makes the workers run as the instance's
# user) so that it can bind any port and write to the runtime directory.
{ createManagedProcess, nginx, stateDir, logDir, runtimeDir, cacheDir, forceDisableUserChange }:
{ configFile, dependencies ? [], instanceSuffix ? "", instanceName ? "nginx${instanceSuffix}" }:

let
  user = instanceName;
  group = instanceName;
  layout = import ./layout.nix { inherit stateDir logDir runtimeDir cacheDir; } instanceName;
in
createManagedProcess {
  description = "Nginx";
  inherit instanceName dependencies;

  initialize = layout.initialize { inherit forceDisableUserChange user group; };
  process = nginx;
  args = layout.args configFile;
  foregroundProcessExtraArgs = [ "-g" "daemon off;" ];
  inherit (layout) pidFile;

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

  overrides = {
    sysvinit = {
      runlevels = [ 3 4 5 ];
    };
  };
}
