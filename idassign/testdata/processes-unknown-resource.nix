{ processManager }:

let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit processManager;
  };
in
{
  webapp = {
    pkg = createManagedProcess {
      instanceName = "webapp";
      process = "/usr/bin/webapp";
    };
    requiresUniqueIdsFor = [ "webappPorts" "prots" ];
  };
}
