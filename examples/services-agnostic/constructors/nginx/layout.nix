# Where an nginx instance keeps the files it writes. Every path is derived
# from the deployment's base directories and the instance name, so that
# several instances (and the distribution's own nginx) never share a file,
# and an unprivileged deployment only writes below its own state directory.
#
#   prefix    <stateDir>/<instanceName>            nginx -p (relative paths)
#   logs      <logDir>/<instanceName>/{error,access}.log
#   temp      <cacheDir>/<instanceName>/{client_body,proxy,fastcgi,uwsgi,scgi}
#   PID file  <runtimeDir>/<instanceName>.pid
{ stateDir, logDir, runtimeDir, cacheDir }:
instanceName:

rec {
  prefix = "${stateDir}/${instanceName}";
  logsDir = "${logDir}/${instanceName}";
  errorLog = "${logsDir}/error.log";
  accessLog = "${logsDir}/access.log";
  tempDir = "${cacheDir}/${instanceName}";
  tempPaths = {
    client_body = "${tempDir}/client_body";
    proxy = "${tempDir}/proxy";
    fastcgi = "${tempDir}/fastcgi";
    uwsgi = "${tempDir}/uwsgi";
    scgi = "${tempDir}/scgi";
  };
  pidFile = "${runtimeDir}/${instanceName}.pid";

  # The command line every form of the instance shares; the configuration
  # file comes from the caller. -e sets the log nginx writes to before it has
  # read its configuration (the distribution's default is not writable for
  # an unprivileged user).
  args = configFile: [ "-p" prefix "-c" configFile "-e" errorLog ];

  # Shell that creates the directories before nginx starts. nginx's workers
  # run as the instance's user when user changes are allowed, so they must
  # own the directories they write temporary files to.
  initialize = { forceDisableUserChange, user, group }: ''
    mkdir -p ${prefix} ${logsDir} ${tempDir} ${runtimeDir}
  '' + (if forceDisableUserChange then "" else ''
    chown ${user}:${group} ${logsDir} ${tempDir}
  '');
}
