# Pools for the CLI tests: gids is an alias of uids (an independent pool with
# the same bounds) and nginxPorts hands out every tenth port.
rec {
  webappPorts = {
    min = 5000;
    max = 6000;
  };

  nginxPorts = {
    min = 8080;
    max = 9000;
    step = 10;
  };

  uids = {
    min = 2000;
    max = 3000;
  };

  gids = uids;
}
