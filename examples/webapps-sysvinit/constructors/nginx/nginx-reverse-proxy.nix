# nginx as a host-based reverse proxy for webapps, as a sysvinit script. The
# configuration is the one the process manager-agnostic example uses.
{ createSystemVInitScript, nginx, stateDir, logDir, runtimeDir, cacheDir, forceDisableUserChange }:

{ port ? 80
, webapps ? []
, instanceSuffix ? ""
, instanceName ? "nginx${instanceSuffix}"
, workerConnections ? 1024
}:

interDependencies:

let
  shared = ../../../services-agnostic/constructors/nginx;
  layout = import (shared + "/layout.nix") { inherit stateDir logDir runtimeDir cacheDir; } instanceName;
  remoteWebapps = builtins.attrValues interDependencies;
in
import ./default.nix {
  inherit createSystemVInitScript nginx stateDir logDir runtimeDir cacheDir forceDisableUserChange;
} {
  inherit instanceName;

  dependencies = map (webapp: webapp.pkg) webapps;

  configFile = import (shared + "/reverse-proxy-hostbased-config.nix") {
    inherit layout instanceName port webapps remoteWebapps workerConnections;
    user = if forceDisableUserChange then null else instanceName;
  };
}
