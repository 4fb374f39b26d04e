# Calls a processes model the way the original tools do: a function gets the
# intersection of its formal arguments with what the caller passed (so the
# model's own defaults apply to everything else); a plain set is used as is.
{ exprFile, args }:

let
  fun = if exprFile == null then {} else import exprFile;
in
if builtins.isFunction fun
then fun (builtins.intersectAttrs (builtins.functionArgs fun) args)
else fun
