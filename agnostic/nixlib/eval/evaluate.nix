# First pass of nixproc's evaluation. Returns the model as one JSON string and
# the store paths that string refers to (its context), which nixproc realises.
#
# Function overrides cannot be serialised; they are replaced by a marker and
# applied in a second pass (apply-overrides.nix) once nixproc has produced the
# parameters they take.
{ exprFile, args }:

let
  processes = import ./call-model.nix { inherit exprFile args; };

  hideFunction = override:
    if builtins.isFunction override then { __nixprocFunctionOverride = true; } else override;

  prepare = key: process:
    if builtins.isAttrs process && process ? pkg && builtins.isAttrs process.pkg && process.pkg ? overrides
    then process // { pkg = process.pkg // { overrides = builtins.mapAttrs (_: hideFunction) process.pkg.overrides; }; }
    else process;

  json = builtins.toJSON (builtins.mapAttrs prepare processes);
in
{
  model = json;
  storePaths = (import ../lib.nix).storePathsOf json;
}
