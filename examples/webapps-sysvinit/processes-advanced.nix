# The upgrade of processes.nix, for sysvinit only: six webapps and two
# reverse proxies.
#   nginx  on 8080: webapp1.local .. webapp4.local -> ports 5000 .. 5003
#   nginx2 on 8081: webapp5.local, webapp6.local   -> ports 5004, 5005
{ pkgs ? import <nixpkgs> { inherit system; }
, system ? builtins.currentSystem
, stateDir ? "/var"
, runtimeDir ? "${stateDir}/run"
, logDir ? "${stateDir}/log"
, cacheDir ? "${stateDir}/cache"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
, forceDisableUserChange ? false
}:

let
  ids = if builtins.pathExists ./ids-advanced.nix then (import ./ids-advanced.nix).ids else {};

  constructors = import ./constructors/constructors.nix {
    inherit pkgs stateDir runtimeDir logDir cacheDir tmpDir forceDisableUserChange ids;
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

    pkg = constructors.nginxReverseProxy {
      webapps = [ webapp1 webapp2 webapp3 webapp4 ];
      inherit port;
    } {};

    requiresUniqueIdsFor = [ "nginxPorts" "uids" "gids" ];
  };

  nginx2 = rec {
    port = ids.nginxPorts.nginx2 or 8081;

    pkg = constructors.nginxReverseProxy {
      webapps = [ webapp5 webapp6 ];
      inherit port;
      instanceSuffix = "2";
    } {};

    requiresUniqueIdsFor = [ "nginxPorts" "uids" "gids" ];
  };
}
