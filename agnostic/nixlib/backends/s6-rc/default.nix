# createLongRunService, createOneShotService and createServiceBundle:
# s6-rc-specific services, with the parameters of the original (see
# backends/s6rc). nixproc writes the service definition directories.
#
# Script parameters (run, finish, up, down) are a file (a store path made
# with writeTextFile or builtins.toFile) or the script's text itself; data and
# env are directories to copy (env may also be an attribute set of values).
# Services (dependencies, contents, producerFor, consumerFor) are processes
# or their names.
{ createCredentials ? import ../../create-credentials { inherit ids forceDisableUserChange; }
, ids ? {}
, forceDisableUserChange ? false
, ...
}:

let
  lib = import ../../lib.nix;

  names = params: field:
    if params ? ${field} then { ${field} = map lib.dependencyName params.${field}; } else {};

  native = type: params:
    lib.mkNative { kind = "s6-rc"; inherit createCredentials; } (params
      // { __s6rc = type; }
      // names params "contents"
      // names params "consumerFor"
      // (if (params.producerFor or null) != null
          then { producerFor = lib.dependencyName params.producerFor; }
          else {}));
in
{
  createLongRunService = native "longrun";
  createOneShotService = native "oneshot";
  createServiceBundle = native "bundle";
}
