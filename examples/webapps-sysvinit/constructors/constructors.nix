# Constructors of the sysvinit-specific webapps example: the same system as
# webapps-agnostic, written with createSystemVInitScript directly.
{ pkgs ? null
, stateDir
, cacheDir ? "${stateDir}/cache"
, logDir
, runtimeDir
, tmpDir
, forceDisableUserChange
, ids ? {}
, nginx ? "/usr/sbin/nginx"
}:

let
  createSystemVInitScript = import <nixproc/backends/sysvinit/create-sysvinit-script.nix> {
    inherit runtimeDir logDir tmpDir forceDisableUserChange;

    createCredentials = import <nixproc/create-credentials> {
      inherit ids forceDisableUserChange;
    };
  };
in
{
  webapp = import ./webapp {
    inherit createSystemVInitScript tmpDir;
  };

  nginxReverseProxy = import ./nginx/nginx-reverse-proxy.nix {
    inherit createSystemVInitScript nginx stateDir logDir cacheDir runtimeDir forceDisableUserChange;
  };
}
