{ processManager ? null }:
let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> { inherit processManager; };
in
{
  anonymous = { pkg = createManagedProcess { process = "/bin/true"; }; };
}
