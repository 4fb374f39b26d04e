# The store paths a model refers to, from the contexts of its strings: what
# must be built or fetched (derivation outputs, sources) before it can run.
# nixproc asks for them only when a store path the model mentions is not
# there yet; serialising a large model a second time costs as much as
# evaluating it.
{ exprFile, args }:

(import ../lib.nix).storePathsOf
  (builtins.toJSON (import ./evaluate.nix { inherit exprFile args; }).model)
