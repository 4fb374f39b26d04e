# The entry point models written for the original framework import. It takes
# the same arguments (pkgs and the directories are accepted; nixproc gets the
# directories from its command line) and returns createManagedProcess.
{ pkgs ? null
, runtimeDir ? null
, logDir ? null
, tmpDir ? null
, stateDir ? null
, forceDisableUserChange ? false
, processManager ? null
, ids ? {}
, ...
}:

import ../agnostic/create-managed-process.nix {
  inherit processManager ids forceDisableUserChange;
}
