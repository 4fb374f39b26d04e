# createDockerContainer: a docker-specific process, one container. It takes
# the original's container parameters (name, dockerImage, dockerImageTag,
# dockerCreateParameters, useHostNixStore, useHostNetwork,
# mapStateDirVolumes, cmd, environment, storePaths, dependencies,
# credentials, postInstall) and what nixproc needs to make the image itself
# (process, args, user, initialize, ...; see docs of the docker backend).
# nixproc checks them and writes the container's files in Go. The original's
# factory arguments (dockerTools, stdenv, ...) are accepted and ignored.
{ createCredentials ? import ../../create-credentials { inherit ids forceDisableUserChange; }
, ids ? {}
, forceDisableUserChange ? false
, ...
}:

(import ../../lib.nix).mkNative { kind = "docker"; inherit createCredentials; }
