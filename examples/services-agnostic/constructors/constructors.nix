# Constructors for services shared by the examples. Only nginx is here so
# far; nginx is the distribution's binary, `nginx` overrides its path.
{ pkgs ? null
, stateDir
, logDir
, runtimeDir
, cacheDir ? "${stateDir}/cache"
, libDir ? "${stateDir}/lib"
, tmpDir
, forceDisableUserChange
, processManager
, ids ? {}
, nginx ? "/usr/sbin/nginx"
}:

let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit pkgs runtimeDir stateDir logDir tmpDir forceDisableUserChange processManager ids;
  };

  nginxArgs = {
    inherit createManagedProcess nginx stateDir logDir runtimeDir cacheDir forceDisableUserChange;
  };
in
{
  nginx = import ./nginx nginxArgs;

  nginxReverseProxyHostBased = import ./nginx/nginx-reverse-proxy-hostbased.nix nginxArgs;
}
