# Room for one webapp port only, and the model has two webapps.
{
  webappPorts = { min = 5000; max = 5000; };
  nginxPorts = { min = 8080; max = 8080; };
  uids = { min = 2000; max = 3000; };
  gids = { min = 2000; max = 3000; };
}
