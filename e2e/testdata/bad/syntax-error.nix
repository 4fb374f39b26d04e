{ processManager ? null }:
{
  webapp = { pkg = { name = "x"; process = "/bin/true" }; };
}
