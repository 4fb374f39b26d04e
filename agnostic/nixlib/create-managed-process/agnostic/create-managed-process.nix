# createManagedProcess: the process manager-agnostic constructor.
#
# It accepts exactly the parameters of the original framework (an unknown one
# is an evaluation error, as there) and returns the parameters as given, with
# the name resolved, dependencies turned into names and credentials
# normalised. Defaults (daemon = process, daemonArgs = args ++
# daemonExtraArgs, ...) are applied by nixproc in Go, in one place.
{ processManager ? null, ids ? {}, forceDisableUserChange ? false, ... }:

let
  lib = import ../../lib.nix;
  createCredentials = import ../../create-credentials { inherit ids forceDisableUserChange; };
in
{ name ? instanceName
, description ? null
, initialize ? null
, process ? null
, args ? null
, daemon ? null
, daemonExtraArgs ? null
, daemonArgs ? null
, instanceName ? null
, pidFile ? null
, foregroundProcess ? null
, foregroundProcessExtraArgs ? null
, foregroundProcessArgs ? null
, path ? null
, environment ? null
, directory ? null
, umask ? null
, nice ? null
, user ? null
, dependencies ? []
, credentials ? {}
, overrides ? {}
, postInstall ? null
# nixproc extensions: commands that make a process refuse new work and drain
# before a switch touches it, and allow it again afterwards.
, lock ? null
, unlock ? null
}@properties:

# A missing name is reported by nixproc, which knows which process of the
# model it is (a throw here could not say).
properties // {
  __nixproc = "managed-process";
  inherit name;
  dependencies = map lib.dependencyName dependencies;
  credentials = lib.normaliseCredentials createCredentials credentials;
}
