# createMultiProcessImage: describes a container image that runs every
# process of a processes model under one process manager (supervisord,
# sysvinit, disnix or s6-rc). The original built the image with nixpkgs'
# dockerTools; here evaluation only describes it and needs no nixpkgs:
# `nixproc build-image <file>` evaluates the file, builds the profile with
# the same generators as nixproc-build and writes a docker-archive tarball
# (`docker load -i`, `podman load -i`) without a container engine.
#
# The outer function takes what the original's did (pkgs, system) and
# ignores it, so expressions written for the original keep working; pkgs is
# never evaluated.
{ pkgs ? null, system ? null, ... }:

{ name
, tag ? null                    # default: a digest of the image's config
, exprFile                      # the processes model (a path: kept in place, so its relative imports work)
, processManager                # "supervisord", "sysvinit", "disnix" or "s6-rc"
, interactive ? true            # bash, coreutils, procps, less... and a /root/.bashrc
, manpages ? false              # man, groff and the manual pages of the image's programs
, forceDisableUserChange ? false
, extraParams ? {}              # further arguments of the processes model
, hostPrograms ? []             # further host programs the processes run by name (curl, ...)
, stateDir ? null               # null: the model's default (/var), as nixproc-build
, runtimeDir ? null
, logDir ? null
, tmpDir ? null
, cacheDir ? null
, spoolDir ? null
, lockDir ? null
, libDir ? null
, config ? {}                   # image config: Env, WorkingDir, Labels, ExposedPorts
}:

let
  # A path becomes its absolute location as a string; toJSON would copy the
  # file alone into the store.
  pathString = p: if builtins.isPath p then toString p else p;
  optional = attr: value: if value == null then {} else { ${attr} = value; };
in
{
  nixprocImage = 1;
  inherit name processManager interactive manpages forceDisableUserChange extraParams hostPrograms config;
  exprFile = pathString exprFile;
}
// optional "tag" tag
// builtins.mapAttrs (_: pathString) (builtins.foldl' (acc: attr: acc // attr) {} [
  (optional "stateDir" stateDir)
  (optional "runtimeDir" runtimeDir)
  (optional "logDir" logDir)
  (optional "tmpDir" tmpDir)
  (optional "cacheDir" cacheDir)
  (optional "spoolDir" spoolDir)
  (optional "lockDir" lockDir)
  (optional "libDir" libDir)
])
