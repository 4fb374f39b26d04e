{
  "ids" = {
    "gids" = {
      "nginx" = 2000;
      "webapp1" = 2001;
      "webapp2" = 2002;
    };
    "nginxPorts" = {
      "nginx" = 8080;
    };
    "uids" = {
      "nginx" = 2000;
      "webapp1" = 2001;
      "webapp2" = 2002;
    };
    "webappPorts" = {
      "webapp1" = 5000;
      "webapp2" = 5001;
    };
  };
  "lastAssignments" = {
    "gids" = 2002;
    "nginxPorts" = 8080;
    "uids" = 2002;
    "webappPorts" = 5001;
  };
}
