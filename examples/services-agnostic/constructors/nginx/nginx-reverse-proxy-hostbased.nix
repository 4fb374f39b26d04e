# nginx as a host-based reverse proxy for webapps: Host <dnsName> goes to
# the webapp's port. Webapps are processes model entries (with `port`,
# `dnsName` and `pkg`); nginx starts after them.
#
# The second argument holds Disnix inter-dependencies (remote webapps), as in
# the original framework; a processes model passes {}.
{ createManagedProcess, nginx, stateDir, logDir, runtimeDir, cacheDir, forceDisableUserChange }:

{ port ? 80
, webapps ? []
, instanceSuffix ? ""
, instanceName ? "nginx${instanceSuffix}"
, workerConnections ? 1024
}:

interDependencies:

let
  layout = import ./layout.nix { inherit stateDir logDir runtimeDir cacheDir; } instanceName;
  remoteWebapps = builtins.attrValues interDependencies;

  # A remote webapp's process, where Disnix gives one for this system.
  remotePkg = webapp:
    if webapp ? pkgs && webapp.pkgs ? ${builtins.currentSystem} then [ webapp.pkgs.${builtins.currentSystem} ]
    else if webapp ? pkg then [ webapp.pkg ]
    else [];
in
import ./default.nix {
  inherit createManagedProcess nginx stateDir logDir runtimeDir cacheDir forceDisableUserChange;
} {
  inherit instanceName;

  dependencies = map (webapp: webapp.pkg) webapps
    ++ builtins.concatLists (map remotePkg remoteWebapps);

  configFile = import ./reverse-proxy-hostbased-config.nix {
    inherit layout instanceName port webapps remoteWebapps workerConnections;
    user = if forceDisableUserChange then null else instanceName;
  };
}
