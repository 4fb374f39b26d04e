# The model of the docker backend's live test: the example webapp in the
# foreground as a user of its own; with daemonPort, a second webapp that can
# only daemonize (it runs through the foreground proxy); with broken, a
# process whose image cannot be written (it wants a host program nobody has).
{ stateDir
, tmpDir ? "${stateDir}/tmp"
, forceDisableUserChange ? false
, processManager ? null
, port
, instance
, user
, daemonPort ? null
, broken ? false
}:

let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit processManager forceDisableUserChange;
  };
  webapp = import ../../../examples/webapp;
  credentials = {
    groups.${user} = {};
    users.${user} = { group = user; description = "nixproc docker test"; };
  };
in
{
  webapp = {
    pkg = createManagedProcess {
      name = "webapp";
      process = "${webapp}/bin/webapp";
      daemonArgs = [ "-D" ];
      environment = { PORT = port; INSTANCE_NAME = instance; };
      inherit user credentials;
    };
  };
}
// (if daemonPort == null then {} else {
  webappd = {
    pkg = createManagedProcess {
      name = "webappd";
      daemon = "${webapp}/bin/webapp";
      daemonArgs = [ "-D" ];
      environment = { PORT = daemonPort; INSTANCE_NAME = "daemon"; PID_FILE = "${tmpDir}/webappd.pid"; };
      dependencies = [ "webapp" ];
      inherit user credentials;
    };
  };
})
// (if !broken then {} else {
  broken = {
    pkg = createManagedProcess {
      name = "broken";
      foregroundProcess = "${webapp}/bin/webapp";
      overrides.docker.hostPrograms = [ "no-such-program-nixproc" ];
    };
  };
})
