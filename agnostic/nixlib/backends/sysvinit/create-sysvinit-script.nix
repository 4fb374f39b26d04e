# createSystemVInitScript: a sysvinit-specific process. The parameters are
# those of the original (see docs/model.md); nixproc renders the script.
{ createCredentials ? import ../../create-credentials { inherit ids forceDisableUserChange; }
, ids ? {}
, forceDisableUserChange ? false
, ...
}:

(import ../../lib.nix).mkNative { kind = "sysvinit"; inherit createCredentials; }
