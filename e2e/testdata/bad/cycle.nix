{ processManager ? null }:
let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> { inherit processManager; };
in
rec {
  a = { pkg = createManagedProcess { name = "a"; process = "/bin/true"; dependencies = [ b.pkg ]; }; };
  b = { pkg = createManagedProcess { name = "b"; process = "/bin/true"; dependencies = [ "a" ]; }; };
}
