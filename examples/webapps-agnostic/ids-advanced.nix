{
  "ids" = {
    "gids" = {
      "nginx" = 2000;
      "nginx2" = 2003;
      "webapp1" = 2001;
      "webapp2" = 2002;
      "webapp3" = 2004;
      "webapp4" = 2005;
      "webapp5" = 2006;
      "webapp6" = 2007;
    };
    "nginxPorts" = {
      "nginx" = 8080;
      "nginx2" = 8081;
    };
    "uids" = {
      "nginx" = 2000;
      "nginx2" = 2003;
      "webapp1" = 2001;
      "webapp2" = 2002;
      "webapp3" = 2004;
      "webapp4" = 2005;
      "webapp5" = 2006;
      "webapp6" = 2007;
    };
    "webappPorts" = {
      "webapp1" = 5000;
      "webapp2" = 5001;
      "webapp3" = 5002;
      "webapp4" = 5003;
      "webapp5" = 5004;
      "webapp6" = 5005;
    };
  };
  "lastAssignments" = {
    "gids" = 2007;
    "nginxPorts" = 8081;
    "uids" = 2007;
    "webappPorts" = 5005;
  };
}
