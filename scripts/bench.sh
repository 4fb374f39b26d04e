#!/usr/bin/env bash
# make bench: nixproc's benchmarks, each printing its figures next to the
# anchor they are compared with. Other benchmarks add a line at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bench-build.sh
if [ -x scripts/bench-idassign.sh ]; then scripts/bench-idassign.sh; fi
