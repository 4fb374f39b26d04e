# Second pass: applies function overrides. paramsFile maps a process key to
# the parameters nixproc generated for it; each is handed to that process's
# override for processManager, as the original framework does.
{ exprFile, args, paramsFile, processManager }:

let
  processes = import ./call-model.nix { inherit exprFile args; };
  params = builtins.fromJSON (builtins.readFile paramsFile);
  model = builtins.mapAttrs
    (key: generated: processes.${key}.pkg.overrides.${processManager} generated)
    params;
in
{
  inherit model;
  storePaths = (import ../lib.nix).storePathsOf (builtins.toJSON model);
}
