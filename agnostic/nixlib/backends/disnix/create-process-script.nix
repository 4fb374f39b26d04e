# createProcessScript: a Dysnomia process component for the disnix backend,
# with the parameters of the original (name, process, pidFile, dependencies,
# credentials, postInstall). process is a program that daemonizes; pidFile is
# where its daemon's PID appears. nixproc writes the component.
{ createCredentials ? import ../../create-credentials { inherit ids forceDisableUserChange; }
, ids ? {}
, forceDisableUserChange ? false
, ...
}:

(import ../../lib.nix).mkNative { kind = "disnix"; inherit createCredentials; }
