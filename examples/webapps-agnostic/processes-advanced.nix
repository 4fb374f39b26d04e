# The upgrade of processes.nix: six webapps and two reverse proxies.
#   nginx  on 8080: webapp1.local .. webapp4.local -> ports 5000 .. 5003
#   nginx2 on 8081: webapp5.local, webapp6.local   -> ports 5004, 5005
#
# webapp1, webapp2 and nginx keep their names and ports, so switching from
# processes.nix adds processes and changes nginx's configuration; switching
# back removes them again.
{ pkgs ? import <nixpkgs> { inherit system; }
, system ? builtins.currentSystem
, stateDir ? "/var"
, runtimeDir ? "${stateDir}/run"
, logDir ? "${stateDir}/log"
, cacheDir ? "${stateDir}/cache"
, libDir ? "${stateDir}/lib"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
, forceDisableUserChange ? false
, processManager ? null
, webappMode ? null
}:

let
  ids = if builtins.pathExists ./ids-advanced.nix then (import ./ids-advanced.nix).ids else {};

  sharedConstructors = import ../services-agnostic/constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir cacheDir libDir tmpDir forceDisableUserChange processManager ids;
  };

  constructors = import ./constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir tmpDir forceDisableUserChange processManager webappMode ids;
  };

  # webapp<n> on port 4999 + n, unless ids-advanced.nix assigns another.
  webapp = n:
    let
      instanceSuffix = toString n;
    in
    rec {
      port = ids.webappPorts."webapp${instanceSuffix}" or (4999 + n);
      dnsName = "webapp${instanceSuffix}.local";

      pkg = constructors.webapp {
        inherit port instanceSuffix;
      };

      requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];
    };
in
rec {
  webapp1 = webapp 1;
  webapp2 = webapp 2;
  webapp3 = webapp 3;
  webapp4 = webapp 4;
  webapp5 = webapp 5;
  webapp6 = webapp 6;

  nginx = rec {
    port = ids.nginxPorts.nginx or 8080;

    pkg = sharedConstructors.nginxReverseProxyHostBased {
      webapps = [ webapp1 webapp2 webapp3 webapp4 ];
      inherit port;
    } {};

    requiresUniqueIdsFor = [ "nginxPorts" "uids" "gids" ];
  };

  nginx2 = rec {
    port = ids.nginxPorts.nginx2 or 8081;

    pkg = sharedConstructors.nginxReverseProxyHostBased {
      webapps = [ webapp5 webapp6 ];
      inherit port;
      instanceSuffix = "2";
    } {};

    requiresUniqueIdsFor = [ "nginxPorts" "uids" "gids" ];
  };
}
