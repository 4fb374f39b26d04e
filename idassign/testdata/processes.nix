# A small processes model for the CLI tests: it reads its own assignments
# back from ./ids.nix, as the README advises, and gives createCredentials the
# ids so users and groups get their assigned UIDs and GIDs.
{ processManager
, stateDir ? "/var"
, withExtra ? false
}:

let
  ids = if builtins.pathExists ./ids.nix then (import ./ids.nix).ids else {};

  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit processManager ids;
  };

  webapp = instanceName: port: createManagedProcess {
    inherit instanceName;
    description = "webapp for ${processManager}";
    process = "/usr/bin/webapp";
    environment = { PORT = port; };
    user = instanceName;
    credentials = {
      groups.${instanceName} = {};
      users.${instanceName} = { group = instanceName; description = "Webapp"; };
    };
  };
in
{
  webapp1 = rec {
    port = ids.webappPorts.webapp1 or 0;
    pkg = webapp "webapp1" port;
    requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];
  };

  webapp2 = rec {
    port = ids.webappPorts.webapp2 or 0;
    pkg = webapp "webapp2" port;
    requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];
  };

  nginx = rec {
    port = ids.nginxPorts.nginx or 0;
    pkg = createManagedProcess {
      instanceName = "nginx";
      process = "/usr/sbin/nginx";
      args = [ "-g" "daemon off; listen ${toString port};" ];
      credentials = {
        groups.nginx = {};
        users.nginx = { group = "nginx"; description = "Nginx"; };
      };
    };
    requiresUniqueIdsFor = [ "nginxPorts" "uids" "gids" ];
  };

  # asks for nothing
  cron = {
    pkg = createManagedProcess {
      instanceName = "cron";
      process = "/usr/sbin/cron";
    };
  };
} // (if withExtra then {
  # sorts before all the others: takes the next IDs without moving theirs
  aaa = {
    pkg = webapp "aaa" (ids.webappPorts.aaa or 0);
    requiresUniqueIdsFor = [ "webappPorts" "uids" "gids" ];
  };
} else {})
