# The webapps example plus a process that cannot start: deploying it must
# leave the previous deployment running.
{ stateDir ? "/var"
, runtimeDir ? "${stateDir}/run"
, logDir ? "${stateDir}/log"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
, forceDisableUserChange ? false
, processManager ? null
}:

let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit stateDir runtimeDir logDir tmpDir forceDisableUserChange processManager;
  };
in
import ../../examples/webapps-agnostic/processes-advanced.nix {
  inherit stateDir runtimeDir logDir tmpDir forceDisableUserChange processManager;
} // {
  broken = {
    pkg = createManagedProcess {
      name = "broken";
      description = "A process that exits at once";
      foregroundProcess = "/bin/false";
    };
  };
}
