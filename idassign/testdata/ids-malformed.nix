# A port written as a string instead of a number.
{
  ids = {
    webappPorts = {
      webapp1 = "5000";
    };
  };
}
