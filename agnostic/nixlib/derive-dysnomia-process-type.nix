# Maps a process manager to the Dysnomia type that deploys its configuration.
{ processManager }:

let
  types = {
    sysvinit = "sysvinit-script";
    systemd = "systemd-unit";
    supervisord = "supervisord-program";
    bsdrc = "bsdrc-script";
    cygrunsrv = "cygrunsrv-service";
    launchd = "launchd-daemon";
    disnix = "process";
    docker = "docker-container";
    s6-rc = "s6-rc-service";
  };
in
if processManager == null then "managed-process"
else types.${processManager} or (throw "Unknown process manager: ${processManager}")
