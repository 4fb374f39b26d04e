# nixproc init functions: a small LSB-style library inlined into every
# generated sysvinit script (bash; no pidof or procps). LSB exit codes.
# PROG is a path. An empty -p PIDFILE means none. Tunables (seconds):
# NIXPROC_RUNTIME_DIR (/var/run, conventional PID files), NIXPROC_START_TIMEOUT
# (10), NIXPROC_START_SETTLE (0.3), NIXPROC_STOP_TIMEOUT (10).

# Parses -f, -n NICE, -p PIDFILE into the caller's force, nice, pidfile and
# sets the caller's nshift to the number of words consumed.
_nixproc_opts() {
  nshift=0
  while [ $# -gt 0 ]; do
    case $1 in
      -f) force=1; shift; nshift=$((nshift + 1)) ;;
      -n) [ $# -ge 2 ] || return 2; nice=$2; shift 2; nshift=$((nshift + 2)) ;;
      -p) [ $# -ge 2 ] || return 2; pidfile=$2; shift 2; nshift=$((nshift + 2)) ;;
      --) nshift=$((nshift + 1)); return 0 ;;
      *) return 0 ;;
    esac
  done
}

# Without -p, use <runtime dir>/<basename PROG>.pid if it exists.
_nixproc_defpid() {
  local f="${NIXPROC_RUNTIME_DIR:-/var/run}/${1##*/}.pid"
  if [ -z "$pidfile" ] && [ -e "$f" ]; then pidfile=$f; fi
}

# Sets the caller's pid from the first line of FILE; fails if it is no PID.
_nixproc_readpid() {
  pid=''
  { read -r pid <"$1"; } 2>/dev/null
  case $pid in '' | 0* | *[!0-9]*) return 1 ;; esac
}

# Succeeds if any PID is a live process; zombies count as dead.
_nixproc_alive() {
  local p st
  for p; do
    kill -0 "$p" 2>/dev/null || [ -d "/proc/$p" ] || continue
    if ! { read -r st <"/proc/$p/stat"; } 2>/dev/null; then
      [ -d /proc/self ] || return 0
    elif st=${st##*) }; [ "${st%% *}" != Z ]; then return 0; fi
  done
  return 1
}

# Waits up to TENTHS tenths of a second for all PIDs to die.
_nixproc_wait() {
  local i=0 t=$1
  shift
  while _nixproc_alive "$@"; do [ "$i" -lt "$t" ] || return 1; sleep 0.1; i=$((i + 1)); done
}

# Sets the caller's n to SECONDS (10, 2.5) in tenths; 100 if invalid.
_nixproc_tenths() {
  local s=${1%%.*} f=0
  case $1 in *.*) f=${1#*.}; f=${f:0:1} ;; esac
  case "$s$f" in '' | *[!0-9]*) n=100 ;; *) n=$((10#${s:-0} * 10 + 10#${f:-0})) ;; esac
}

log_info_msg() { printf '%s' "$*"; }

# Prints OK or FAIL for $? and returns that same status.
evaluate_retval() {
  local rc=$?
  if [ "$rc" -eq 0 ]; then echo " [ OK ]"; else echo " [ FAIL ]"; fi; return "$rc"
}

# pidofproc [-p PIDFILE] PROG: prints the PIDs; 0 running, 1 dead but PID
# file exists, 3 not running. Without a PID file, scans /proc/*/exe.
pidofproc() {
  local force='' nice='' pidfile='' nshift=0 pid p pids=''
  _nixproc_opts "$@" || return 2; shift "$nshift"
  if [ $# -ne 1 ]; then echo "usage: pidofproc [-p PIDFILE] PROG" >&2; return 2; fi
  _nixproc_defpid "$1"
  if [ -n "$pidfile" ]; then
    [ -e "$pidfile" ] || return 3
    if _nixproc_readpid "$pidfile" && _nixproc_alive "$pid"; then echo "$pid"; return 0; fi
    return 1
  fi
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    if [ "$pid" != "$$" ] && [ "$pid" != "$BASHPID" ] && [ "$p/exe" -ef "$1" ] &&
      [ "$(readlink "$p/exe")" = "$(readlink -f "$1")" ] && _nixproc_alive "$pid"; then
      pids="$pids${pids:+ }$pid"
    fi
  done
  [ -n "$pids" ] || return 3
  echo "$pids"
}

# statusproc [-p PIDFILE] PROG: prints the status; returns as pidofproc.
statusproc() {
  local force='' nice='' pidfile='' nshift=0 pids rc=0
  _nixproc_opts "$@" || return 4; shift "$nshift"
  if [ $# -ne 1 ]; then echo "usage: statusproc [-p PIDFILE] PROG" >&2; return 4; fi
  _nixproc_defpid "$1"
  pids=$(pidofproc -p "$pidfile" "$1") || rc=$?
  case $rc in
    0) echo "${1##*/} is running with Process ID(s) $pids." ;;
    1) echo "${1##*/} is not running, but its PID file $pidfile exists." ;;
    *) echo "${1##*/} is not running." ;;
  esac
  return "$rc"
}

# start_daemon [-f] [-n NICE] [-p PIDFILE] PROG ARGS...: 0 started or already
# running, 1 failed (also: PID file names no live process), 5 no such PROG.
start_daemon() {
  local force='' nice='' pidfile='' nshift=0 prog pid f n i=0
  _nixproc_opts "$@" || return 2; shift "$nshift"
  prog=${1-}
  if [ -z "$prog" ] || [ ! -f "$prog" ] || [ ! -x "$prog" ]; then
    echo "start_daemon: '$prog' is not an executable file" >&2; return 5
  fi
  shift
  if [ -z "$force" ] && pidofproc -p "$pidfile" "$prog" >/dev/null; then return 0; fi
  f=${pidfile:-${NIXPROC_RUNTIME_DIR:-/var/run}/${prog##*/}.pid}
  if [ -e "$f" ] && ! pidofproc -p "$f" "$prog" >/dev/null; then rm -f "$f"; fi
  if [ -n "$nice" ]; then nice -n "$nice" "$prog" "$@" || return 1; else "$prog" "$@" || return 1; fi
  [ -n "$pidfile" ] || return 0
  _nixproc_tenths "${NIXPROC_START_TIMEOUT:-10}"
  until _nixproc_readpid "$pidfile" && _nixproc_alive "$pid"; do
    [ "$i" -lt "$n" ] || { echo "start_daemon: $prog: $pidfile names no live process after ${NIXPROC_START_TIMEOUT:-10}s" >&2; return 1; }
    sleep 0.1; i=$((i + 1))
  done
  sleep "${NIXPROC_START_SETTLE:-0.3}"
  if pidofproc -p "$pidfile" "$prog" >/dev/null; then return 0; fi
  echo "start_daemon: $prog: PID $pid exited right after starting" >&2; return 1
}

# killproc [-p PIDFILE] PROG [SIGNAL]: without SIGNAL stops PROG (TERM, then
# KILL), removes the PID file and returns 0, also if it was not running. With
# SIGNAL (HUP or -HUP) sends it; 7 if not running.
killproc() {
  local force='' nice='' pidfile='' nshift=0 sig pids n pa
  _nixproc_opts "$@" || return 2; shift "$nshift"
  if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: killproc [-p PIDFILE] PROG [SIGNAL]" >&2; return 2; fi
  sig=${2-}; sig=${sig#-}
  _nixproc_defpid "$1"
  pids=$(pidofproc -p "$pidfile" "$1") || pids=''
  read -r -a pa <<<"$pids"
  if [ -n "$sig" ]; then
    [ ${#pa[@]} -gt 0 ] || return 7; kill "-$sig" "${pa[@]}" || return 1; return 0
  fi
  if [ ${#pa[@]} -gt 0 ]; then
    kill -TERM "${pa[@]}" 2>/dev/null
    _nixproc_tenths "${NIXPROC_STOP_TIMEOUT:-10}"
    if ! _nixproc_wait "$n" "${pa[@]}"; then
      kill -KILL "${pa[@]}" 2>/dev/null
      _nixproc_wait 20 "${pa[@]}" || { echo "killproc: $1: cannot stop PID(s) $pids" >&2; return 1; }
    fi
  fi
  if [ -n "$pidfile" ]; then rm -f "$pidfile"; fi
  return 0
}
