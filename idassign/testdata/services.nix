# A Disnix services model: packages are functions of their dependencies or
# need nixpkgs, which id-assign must never evaluate.
{ distribution, invDistribution, system, pkgs }:

let
  ids = if builtins.pathExists ./ids.nix then (import ./ids.nix).ids else {};
in
rec {
  server = {
    name = "server";
    pkg = { }: throw "the server's package must not be built";
    port = ids.ports.server or 0;
    type = "process";
    requiresUniqueIdsFor = [ "ports" "uids" ];
  };

  proxy = {
    name = "proxy";
    pkg = pkgs.stdenv.mkDerivation { name = "proxy"; };
    port = ids.ports.proxy or 0;
    dependsOn = { inherit server; };
    type = "wrapper";
    requiresUniqueIdsFor = [ "ports" ];
  };

  client = {
    name = "client";
    pkg = throw "the client's package must not be built";
    dependsOn = { inherit proxy; };
    type = "package";
  };
}
