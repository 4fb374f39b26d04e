# Pools of unique IDs for the webapps system (see nixproc id-assign). ids.nix
# is generated from this file and processes.nix, and ids-advanced.nix for the
# upgrade from the basic system's IDs, so the processes both have keep theirs:
#
#   nixproc id-assign --id-resources idresources.nix --ids ids.nix \
#     --output-file ids.nix processes.nix
#   nixproc id-assign --id-resources idresources.nix --ids ids.nix \
#     --output-file ids-advanced.nix processes-advanced.nix
rec {
  webappPorts = {
    min = 5000;
    max = 6000;
  };

  nginxPorts = {
    min = 8080;
    max = 9000;
  };

  uids = {
    min = 2000;
    max = 3000;
  };

  gids = uids;
}
