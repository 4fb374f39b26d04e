#!/usr/bin/env bash
# Benchmark of nixproc id-assign: 10,000 processes each asking for a port, a
# UID and a GID. The figure compared with the target is a whole run of the
# binary on JSON input (so Nix's evaluation time does not dominate); the same
# model written in Nix is timed too, and the Go benchmarks of the assigner
# follow. Each timed run is the best of three.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
nixproc=bin/nixproc
[ -x "$nixproc" ] || "$GO" build -o "$nixproc" ./cmd/nixproc

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=10000

cat > "$work/idresources.json" <<'EOF'
{
  "ports": { "min": 10000, "max": 30000 },
  "uids": { "min": 100000, "max": 200000 },
  "gids": { "min": 100000, "max": 200000 }
}
EOF
awk -v n="$n" 'BEGIN {
  print "{"
  for (i = 0; i < n; i++) {
    printf "  \"process%05d\": { \"pkg\": { \"name\": \"process%05d\", \"process\": \"/bin/process\" }, \"requiresUniqueIdsFor\": [\"ports\", \"uids\", \"gids\"] }%s\n", i, i, (i < n - 1 ? "," : "")
  }
  print "}"
}' > "$work/processes.json"

cat > "$work/idresources.nix" <<'EOF'
rec {
  ports = { min = 10000; max = 30000; };
  uids = { min = 100000; max = 200000; };
  gids = uids;
}
EOF
cat > "$work/processes.nix" <<EOF
{ processManager }:

let
  createManagedProcess = import <nixproc/create-managed-process/universal/create-managed-process-universal.nix> {
    inherit processManager;
  };
  process = i:
    let name = "process\${toString i}"; in {
      inherit name;
      value = {
        pkg = createManagedProcess { instanceName = name; process = "/bin/process"; };
        requiresUniqueIdsFor = [ "ports" "uids" "gids" ];
      };
    };
in
builtins.listToAttrs (builtins.genList process $n)
EOF

now() { date +%s%N; }

# best3 CMD...: runs CMD three times, prints the fastest in seconds.
best3() {
  local best="" start end t
  for _ in 1 2 3; do
    start=$(now)
    "$@" >/dev/null
    end=$(now)
    t=$((end - start))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  awk -v ns="$best" 'BEGIN { printf "%.3f s", ns / 1e9 }'
}

cd "$work"
nixproc="$OLDPWD/$nixproc"

"$nixproc" id-assign --output-json --id-resources idresources.json --output-file ids.json processes.json
echo "id-assign ${n}x3: $(best3 "$nixproc" id-assign --output-json --id-resources idresources.json processes.json) (target < 0.5 s)"
echo "id-assign ${n}x3, keeping every existing assignment: $(best3 "$nixproc" id-assign --output-json --id-resources idresources.json --ids ids.json processes.json) (JSON input)"

if command -v nix-instantiate >/dev/null 2>&1; then
  "$nixproc" id-assign --id-resources idresources.nix --output-file ids.nix processes.nix
  echo "id-assign ${n}x3 with Nix: $(best3 "$nixproc" id-assign --id-resources idresources.nix processes.nix) (processes.nix and idresources.nix evaluated by nix-instantiate)"
  echo "id-assign ${n}x3 with Nix, keeping every existing assignment: $(best3 "$nixproc" id-assign --id-resources idresources.nix --ids ids.nix processes.nix)"
else
  echo "id-assign ${n}x3 with Nix: skipped (nix-instantiate is not installed)"
fi

cd "$OLDPWD"
"$GO" test -run '^$' -bench . -benchtime 20x ./idassign | grep '^Benchmark'
