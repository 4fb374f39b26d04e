# Three processes, each depending on the one before, that write to a log
# when they start and when SIGTERM stops them. The first leaves an orphan
# behind (a sleep whose parent exits at once) that lives a few seconds, for
# the reaping test. With broken = true the third cannot start.
{ stateDir
, forceDisableUserChange ? false
, processManager ? null
, broken ? false
}:

let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit processManager forceDisableUserChange;
  };

  script = ''
    echo "start $1" >> "$0"
    trap 'echo "stop $1" >> "$0"; exit 0' TERM
    if [ "$1" = first ]; then (sleep 2.5 &); fi
    while :; do sleep 0.1; done
  '';

  # instanceName gives each its own PID file (by default it would be named
  # after the program, sh).
  process = name: dependencies: createManagedProcess {
    inherit name dependencies;
    instanceName = name;
    description = "Test process ${name}";
    foregroundProcess = "/bin/sh";
    foregroundProcessArgs = [ "-c" script "${stateDir}/events.log" name ];
  };
in
rec {
  first = { pkg = process "first" []; };
  second = { pkg = process "second" [ first.pkg ]; };
  third = if broken then {
    pkg = createManagedProcess {
      name = "third";
      instanceName = "third";
      dependencies = [ second.pkg ];
      foregroundProcess = "/bin/false";
    };
  } else { pkg = process "third" [ second.pkg ]; };
}
