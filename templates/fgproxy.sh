# nixproc foreground proxy functions (inlined into every generated proxy).
#
# A process manager that supervises foreground processes (supervisord,
# launchd, cygrunsrv, a container) cannot run a program that only
# daemonizes: it would see the program exit at once. nixproc_proxy_daemon
# starts such a program, finds the daemon through its PID file and stays in
# the foreground for as long as the daemon lives, passing signals on.
# nixproc_proxy_exec is the plain mode for programs that stay in the
# foreground: it only switches user and niceness, then execs.
#
# The script that inlines these functions sets nixproc_proxy_name (used in
# messages) first.

# nixproc_alive PID: true when PID is a live process (a zombie is dead).
nixproc_alive() {
  local stat
  [[ $1 =~ ^[1-9][0-9]*$ ]] || return 1
  read -r stat 2>/dev/null </proc/"$1"/stat || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != [ZX] ]]
}

# nixproc_tool NAME: the path of a system tool, found also when the
# process's own PATH leaves the system directories out.
nixproc_tool() {
  PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" command -v "$1" ||
    { echo "$nixproc_proxy_name: $1 is not installed" >&2; return 127; }
}

# nixproc_command [-u USER] [-n NICE] -- CMD ARGS...: sets the array
# nixproc_cmd to CMD ARGS run with that niceness and as that user. setpriv
# sets the user, its primary group and its supplementary groups, and execs
# the program directly: no shell parses the arguments on the way.
nixproc_command() {
  local user="" nice="" tool
  while [ $# -gt 0 ]; do
    case $1 in
      -u) user=$2; shift 2 ;;
      -n) nice=$2; shift 2 ;;
      --) shift; break ;;
      *) echo "$nixproc_proxy_name: nixproc_command: unknown option $1" >&2; return 2 ;;
    esac
  done
  nixproc_cmd=()
  if [ -n "$nice" ]; then
    tool=$(nixproc_tool nice) || return
    nixproc_cmd+=("$tool" -n "$nice")
  fi
  if [ -n "$user" ]; then
    local group
    tool=$(nixproc_tool setpriv) || return
    group=$(id -g -- "$user") || { echo "$nixproc_proxy_name: user $user does not exist" >&2; return 1; }
    nixproc_cmd+=("$tool" --reuid="$user" --regid="$group" --init-groups --)
  fi
  nixproc_cmd+=("$@")
}

# nixproc_proxy_exec [-u USER] [-n NICE] -- CMD ARGS...: become CMD.
nixproc_proxy_exec() {
  nixproc_command "$@" || exit
  exec "${nixproc_cmd[@]}"
}

# nixproc_nap: sleep a little, in a way signal handlers interrupt.
nixproc_nap() {
  sleep 0.2 &
  nixproc_nap_pid=$!
  wait "$nixproc_nap_pid" 2>/dev/null || true
  nixproc_nap_pid=""
}

# nixproc_proxy_signal SIG: handler of the signals the proxy passes on.
# TERM, INT and QUIT also mean "stop": the proxy exits once the daemon has.
nixproc_proxy_signal() {
  case $1 in
    TERM | INT | QUIT)
      if [ -z "$nixproc_stop_signal" ]; then
        nixproc_stop_signal=$1
        nixproc_stop_deadline=$((SECONDS + nixproc_stop_timeout))
      fi
      ;;
  esac
  if [ -n "$nixproc_daemon_pid" ]; then
    kill -s "$1" "$nixproc_daemon_pid" 2>/dev/null || true
  fi
}

# nixproc_read_pidfile FILE: sets nixproc_pid to the PID FILE names, if it
# names a live process; a missing, half-written or stale file gives "".
nixproc_read_pidfile() {
  nixproc_pid=""
  [ -r "$1" ] || return 1
  read -r nixproc_pid <"$1" || [ -n "$nixproc_pid" ] || return 1
  nixproc_pid=${nixproc_pid//[[:space:]]/}
  nixproc_alive "$nixproc_pid" || { nixproc_pid=""; return 1; }
}

# nixproc_proxy_daemon -p PIDFILE [-t START_TIMEOUT] [-k STOP_TIMEOUT]
#   [-u USER] [-n NICE] -- CMD ARGS...
# Runs CMD, which daemonizes and writes PIDFILE, waits up to START_TIMEOUT
# seconds for the PID file to name a live process, then waits for that
# process to exit. TERM, INT and QUIT are passed on and make the proxy exit 0
# once the daemon is gone (KILL after STOP_TIMEOUT seconds); HUP, USR1 and
# USR2 are passed on. If the daemon exits by itself, the proxy fails.
nixproc_proxy_daemon() {
  local pidfile="" start_timeout=30 opts=() status=0 deadline pid
  nixproc_stop_timeout=10
  while [ $# -gt 0 ]; do
    case $1 in
      -p) pidfile=$2; shift 2 ;;
      -t) start_timeout=$2; shift 2 ;;
      -k) nixproc_stop_timeout=$2; shift 2 ;;
      -u | -n) opts+=("$1" "$2"); shift 2 ;;
      --) shift; break ;;
      *) echo "$nixproc_proxy_name: nixproc_proxy_daemon: unknown option $1" >&2; return 2 ;;
    esac
  done
  if [ -z "$pidfile" ]; then
    echo "$nixproc_proxy_name: no PID file to find the daemon by" >&2
    return 2
  fi
  nixproc_command "${opts[@]}" -- "$@" || return

  # A PID file left by an earlier run must not be mistaken for the new
  # daemon; one that names a live process means the daemon still runs.
  if nixproc_read_pidfile "$pidfile"; then
    echo "$nixproc_proxy_name: already running as process $nixproc_pid (PID file $pidfile); stop it or remove the PID file" >&2
    return 1
  fi
  rm -f -- "$pidfile"

  nixproc_stop_signal="" nixproc_daemon_pid="" nixproc_nap_pid=""
  local sig
  for sig in TERM INT QUIT HUP USR1 USR2; do
    # shellcheck disable=SC2064 # the signal name is meant to expand now
    trap "nixproc_proxy_signal $sig" "$sig"
  done

  "${nixproc_cmd[@]}" || status=$?
  if [ "$status" -ne 0 ] && [ -z "$nixproc_stop_signal" ]; then
    echo "$nixproc_proxy_name: $1 failed with exit status $status" >&2
    return "$status"
  fi

  deadline=$((SECONDS + start_timeout))
  until nixproc_read_pidfile "$pidfile"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$nixproc_proxy_name: $1 wrote no PID file $pidfile naming a live process within ${start_timeout}s" >&2
      [ -n "$nixproc_stop_signal" ] && return 0
      return 1
    fi
    nixproc_nap
  done
  pid=$nixproc_pid
  nixproc_daemon_pid=$pid
  # A stop asked for while the daemon was starting applies now.
  if [ -n "$nixproc_stop_signal" ]; then
    kill -s "$nixproc_stop_signal" "$pid" 2>/dev/null || true
  fi

  while nixproc_alive "$pid"; do
    if [ -n "$nixproc_stop_signal" ] && [ "$SECONDS" -ge "$nixproc_stop_deadline" ]; then
      echo "$nixproc_proxy_name: process $pid did not stop within ${nixproc_stop_timeout}s of $nixproc_stop_signal; killing it" >&2
      kill -s KILL "$pid" 2>/dev/null || true
      nixproc_stop_deadline=$((SECONDS + nixproc_stop_timeout))
    fi
    nixproc_nap
  done
  trap - TERM INT QUIT HUP USR1 USR2
  # Leave no stale PID file behind for the next start.
  if [ -r "$pidfile" ] && read -r sig <"$pidfile" && [ "${sig//[[:space:]]/}" = "$pid" ]; then
    rm -f -- "$pidfile"
  fi
  if [ -n "$nixproc_stop_signal" ]; then
    return 0
  fi
  echo "$nixproc_proxy_name: daemon process $pid exited" >&2
  return 1
}
