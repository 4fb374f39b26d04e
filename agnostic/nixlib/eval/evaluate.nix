# First pass of nixproc's evaluation. Returns the model, and where the store
# is, so that nixproc can find the store paths the model mentions.
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
in
{
  # The model itself, not a JSON string of it: nixproc reads it without
  # unescaping megabytes a second time.
  model = builtins.mapAttrs prepare processes;
  inherit (builtins) storeDir;
}
