{
  "ids" = {
    "webappPorts" = {
      "webapp1" = 5000;
  };
}
