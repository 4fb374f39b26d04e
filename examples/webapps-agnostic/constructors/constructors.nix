# Constructors of the webapps example. webappMode picks how the webapp may
# run: "foreground" or "daemon" allow only that form; null lets the process
# manager choose.
{ pkgs ? null
, stateDir
, logDir
, runtimeDir
, tmpDir
, forceDisableUserChange
, processManager
, webappMode ? null
, ids ? {}
}:

let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit pkgs runtimeDir stateDir logDir tmpDir forceDisableUserChange processManager ids;
  };

  webappExpr =
    if webappMode == null then ./webapp
    else if webappMode == "foreground" then ./webapp/webapp-fg.nix
    else if webappMode == "daemon" then ./webapp/webapp-daemon.nix
    else throw "webappMode must be null, \"foreground\" or \"daemon\", not ${builtins.toJSON webappMode}";
in
{
  webapp = import webappExpr {
    inherit createManagedProcess tmpDir;
  };
}
