# The webapps system of processes.nix as a Disnix services model: every
# process becomes a service with a name (its key), a type (the Dysnomia
# module that deploys it) and its pkg. The type follows processManager:
# sysvinit gives sysvinit-script, systemd systemd-unit, ... and null gives
# managed-process, whose components are process manager-agnostic
# configurations that each target machine turns into its own process
# manager's configuration (nixproc generate-config, inside the
# managed-process module).
#
#   disnix-env -s services.nix -i infrastructure.nix -d distribution.nix \
#     --extra-params '{ processManager = "supervisord"; }'
#
# Disnix passes distribution and invDistribution; the other arguments are
# those of processes.nix. It evaluates with nixproc's Nix library alone
# (-I nixproc=$(nixproc nix-library)), no nixpkgs.
{ pkgs ? import <nixpkgs> { inherit system; }
, system ? builtins.currentSystem
, distribution
, invDistribution
, stateDir ? "/var"
, runtimeDir ? "${stateDir}/run"
, logDir ? "${stateDir}/log"
, cacheDir ? "${stateDir}/cache"
, libDir ? "${stateDir}/lib"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
, forceDisableUserChange ? false
, processManager ? "sysvinit"
, webappMode ? null
}:

let
  ids = if builtins.pathExists ./ids.nix then (import ./ids.nix).ids else {};

  processType = import <nixproc/derive-dysnomia-process-type.nix> {
    inherit processManager;
  };

  sharedConstructors = import ../services-agnostic/constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir cacheDir libDir tmpDir forceDisableUserChange processManager ids;
  };

  constructors = import ./constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir tmpDir forceDisableUserChange processManager webappMode ids;
  };
in
rec {
  webapp1 = rec {
    name = "webapp1";
    port = ids.webappPorts.webapp1 or 5000;
    dnsName = "webapp1.local";

    pkg = constructors.webapp {
      inherit port;
      instanceSuffix = "1";
    };

    type = processType;
    requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];
  };

  webapp2 = rec {
    name = "webapp2";
    port = ids.webappPorts.webapp2 or 5001;
    dnsName = "webapp2.local";

    pkg = constructors.webapp {
      inherit port;
      instanceSuffix = "2";
    };

    type = processType;
    requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];
  };

  nginx = rec {
    name = "nginx";
    port = ids.nginxPorts.nginx or 8080;

    pkg = sharedConstructors.nginxReverseProxyHostBased {
      webapps = [ webapp1 webapp2 ];
      inherit port;
    } {};

    # The webapps are components of their own: Disnix activates them first.
    activatesAfter = {
      inherit webapp1 webapp2;
    };

    type = processType;
    requiresUniqueIdsFor = [ "nginxPorts" "uids" "gids" ];
  };
}
