# A container image running both webapps and the nginx reverse proxy of
# ../webapps-agnostic under one process manager:
#
#   nixproc build-image examples/multi-process-image            # writes ./result
#   podman load -i result        # or docker load -i result
#   podman run --rm --network host multiprocess:test
#   curl -H 'Host: webapp1.local' http://127.0.0.1:8080/
#
# processManager and forceDisableUserChange can be changed from the command
# line: nixproc build-image --argstr processManager sysvinit
# --arg forceDisableUserChange true examples/multi-process-image
{ pkgs ? import <nixpkgs> { inherit system; }
, system ? builtins.currentSystem
, processManager ? "supervisord" # sysvinit, disnix, s6-rc are also valid options
, forceDisableUserChange ? false # the default option
}:

let
  createMultiProcessImage = import <nixproc/create-image-from-steps/create-multi-process-image-universal.nix> {
    inherit pkgs system;
  };
in
createMultiProcessImage {
  name = "multiprocess";
  tag = "test";
  exprFile = ../webapps-agnostic/processes.nix;
  inherit processManager forceDisableUserChange;
  interactive = true; # the default option
  manpages = false; # the default option
}
