# A generated processes model for benchmarks: `count` processes in a chain
# (each depends on the one before) or a fan-out (every process depends on
# the first).
{ count ? 1000
, shape ? "chain"
, stateDir ? "/var"
, tmpDir ? (if stateDir == "/var" then "/tmp" else "${stateDir}/tmp")
, forceDisableUserChange ? false
, processManager ? null
}:

let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit stateDir tmpDir forceDisableUserChange processManager;
  };

  name = i: "proc${toString i}";

  processes = builtins.genList (i: {
    name = name i;
    value = {
      port = 10000 + i;
      pkg = createManagedProcess {
        name = name i;
        instanceName = name i;
        description = "Generated process ${toString i}";
        foregroundProcess = "/bin/sleep";
        args = [ "infinity" ];
        environment = { PORT = 10000 + i; PID_FILE = "${tmpDir}/${name i}.pid"; };
        dependencies =
          if i == 0 then []
          else if shape == "chain" then [ (name (i - 1)) ]
          else [ (name 0) ];
        overrides.sysvinit.runlevels = [ 3 4 5 ];
      };
    };
  }) count;
in
builtins.listToAttrs processes
