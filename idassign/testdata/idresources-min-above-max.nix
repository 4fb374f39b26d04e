{
  webappPorts = { min = 6000; max = 5000; };
  nginxPorts = { min = 8080; max = 9000; };
  uids = { min = 2000; max = 3000; };
  gids = { min = 2000; max = 3000; };
}
