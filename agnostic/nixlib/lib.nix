# Helpers shared by the nixproc Nix library. Everything here builds plain
# attribute sets: all translation to process manager configuration happens in
# Go, so these functions stay cheap to evaluate for very large models.
rec {
  # A dependency travels as the name of the process it refers to, so that the
  # evaluated JSON stays linear in the size of the model (a nested copy of
  # every dependency would grow quadratically along a chain).
  dependencyName = dep:
    if builtins.isString dep then dep
    else if builtins.isAttrs dep && dep ? name then dep.name
    else throw "nixproc: a dependency must be a process (an attribute set with a name) or a process name";

  # Credentials are normalised once, by create-credentials; a set that went
  # through it already is kept as it is.
  normaliseCredentials = createCredentials: credentials:
    if builtins.isAttrs credentials && (credentials.__nixproc or null) == "credentials"
    then credentials
    else createCredentials credentials;

  # Tags a process manager-specific parameter set, so that nixproc knows which
  # backend it is written for.
  mkNative = { kind, createCredentials }: params:
    let
      name = params.name or params.instanceName or null;
    in
    # A missing name is reported by nixproc, which knows the process's key.
    params // {
      __nixproc = kind;
      inherit name;
      dependencies = map dependencyName (params.dependencies or []);
      credentials = normaliseCredentials createCredentials (params.credentials or {});
    };

  # The store paths a string refers to, in the form nix-store --realise takes:
  # a source path as is, a derivation output as <drv>!<output>.
  storePathsOf = string:
    let
      realisable = path: info:
        (if info.path or false then [ path ] else [])
        ++ (if info.allOutputs or false then [ path ] else [])
        ++ map (output: "${path}!${output}") (info.outputs or []);
    in
    builtins.concatLists (builtins.attrValues (builtins.mapAttrs realisable (builtins.getContext string)));
}
