# Reads the ID requests of a Disnix services model. The model is called as
# Disnix calls it without a distribution (distribution and invDistribution
# empty), with only the arguments it declares; pkgs is null unless the model
# has its own default (there is no nixpkgs here, and only each service's
# property attribute is ever evaluated, so packages are never touched).
{ servicesFile, property, extraParams }:

let
  fun = import (/. + servicesFile);
  formals = if builtins.isFunction fun then builtins.functionArgs fun else {};
  given = {
    distribution = {};
    invDistribution = {};
    system = builtins.currentSystem;
  } // (if formals.pkgs or false then {} else { pkgs = null; })
    // extraParams;
  services =
    if !builtins.isFunction fun then fun
    else if formals == {} then fun given
    else fun (builtins.intersectAttrs formals given);
  requestOf = service:
    if builtins.isAttrs service && service ? ${property} then service.${property} else null;
in
if builtins.isAttrs services
then builtins.mapAttrs (name: service: { ${property} = requestOf service; }) services
else throw "the services model must be an attribute set of services"
