# createCredentials: declares the groups and users a process needs.
# Factory arguments are those of the original (stdenv and lib are accepted and
# ignored); ids.uids.<user> and ids.gids.<group> supply assigned numbers.
{ ids ? {}, forceDisableUserChange ? false, ... }:
{ groups ? {}, users ? {} }:

let
  withId = idsOf: key: name: spec:
    if !(spec ? ${key}) && ids ? ${idsOf} && builtins.hasAttr name ids.${idsOf}
    then spec // { ${key} = builtins.getAttr name ids.${idsOf}; }
    else spec;
in
{
  __nixproc = "credentials";
  groups = builtins.mapAttrs (withId "gids" "gid") groups;
  users = builtins.mapAttrs (withId "uids" "uid") users;
}
