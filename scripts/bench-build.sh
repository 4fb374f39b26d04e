#!/usr/bin/env bash
# nixproc-build of generated models (1,000 and 10,000 processes, chain and
# fan-out) against bare nix-instantiate --eval --strict --json of the same
# model. Targets at 10,000: at most 1.5x the bare evaluation, and nixproc's
# own peak memory (maximum resident set, without nix-instantiate's) under
# 256 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
nixproc=$PWD/bin/nixproc
lib=$("$nixproc" nix-library)
# Not under /tmp: on some machines creating files there is many times
# slower, which would measure the disk instead of nixproc.
mkdir -p .cache
work=$(mktemp -d "$PWD/.cache/bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export NIXPROC_BUILD_DIR=$work/builds

best_of() { # best wall time of 3 runs, in seconds
  local best=
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    local t; t=$(echo "$e - $s" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}

printf '%-22s %10s %10s %7s %12s\n' "model" "bare eval" "build" "ratio" "peak RSS"
for count in 1000 10000; do
  for shape in chain fanout; do
    args=(--arg count "$count" --argstr shape "$shape" --argstr processManager sysvinit --argstr stateDir "$work/state")
    bare=$(best_of nix-instantiate --eval --strict --json --read-write-mode -I "nixproc=$lib" --option substituters '' bench/generated.nix "${args[@]}")
    extra="{ count = $count; shape = \"$shape\"; }"
    build=$(best_of "$nixproc" build -P sysvinit --no-out-link --state-dir "$work/state" --extra-params "$extra" bench/generated.nix)
    rss=$(NIXPROC_STATS=1 "$nixproc" build -P sysvinit --no-out-link --state-dir "$work/state" --extra-params "$extra" bench/generated.nix 2>&1 >/dev/null | sed -n "s/^nixproc-stats: peak-rss-kib //p")
    ratio=$(echo "scale=2; $build / $bare" | bc)
    printf '%-22s %9.2fs %9.2fs %6sx %9d KiB\n' "$shape $count" "$bare" "$build" "$ratio" "$rss"
  done
done
echo "targets at 10000: build <= 1.5x bare eval; nixproc peak RSS < 262144 KiB (256 MiB, nixproc itself, read from /proc/self/status VmHWM)"
