{ processManager, stateDir ? "/var", extraFlag ? "unset" }:

let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit processManager;
  };
  tool = derivation {
    name = "pipeline-test-tool";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo '#!/bin/sh' > $out; echo 'exec sleep 1000' >> $out; /bin/chmod +x $out" ];
  };
in
{
  attrs = {
    pkg = createManagedProcess {
      name = "attrs";
      process = "${tool}";
      environment = { STATE = stateDir; FLAG = extraFlag; };
      overrides.sysvinit = {
        runlevels = [ 2 ];
        instructions.check = { activity = "Checking"; instruction = "true"; };
      };
    };
  };
  function = {
    pkg = createManagedProcess {
      name = "function";
      process = "/bin/sleep";
      args = [ "1000" ];
      overrides.sysvinit = params: params // {
        runlevels = [ 4 ];
        args = params.args ++ [ "from-function" ];
      };
    };
  };
}
