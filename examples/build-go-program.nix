# Builds a Go program of the examples (one folder, standard library only)
# into $out/bin/<name> with the host's Go toolchain, as there is no nixpkgs
# here: $NIXPROC_GO, or /usr/local/go/bin/go. The toolchain's VERSION goes
# into the derivation, so another Go release gives another store path.
#
# Only the program's own .go files (not its tests) are its source: editing
# anything else in the repository (or another program of the same example)
# leaves its store path, and so its deployed processes, alone.
{ name, dir }:

let
  goFromEnv = builtins.getEnv "NIXPROC_GO";
  go = if goFromEnv == "" then "/usr/local/go/bin/go" else goFromEnv;
  goVersionFile = "${dirOf (dirOf go)}/VERSION";
  goVersion =
    if builtins.pathExists goVersionFile
    then builtins.head (builtins.split "\n" (builtins.readFile goVersionFile))
    else "unknown";

  isSource = path: type:
    let base = baseNameOf path; in
    type == "regular"
    && builtins.match ".*\\.go" base != null
    && builtins.match ".*_test\\.go" base == null;

  src = builtins.path {
    name = "${name}-source";
    path = dir;
    filter = isSource;
  };
in
derivation {
  inherit name src go goVersion;
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-e" "-c" ''
    if [ ! -x "$go" ]; then
      echo "$name: no Go toolchain at $go; set NIXPROC_GO to the path of the go command" >&2
      exit 1
    fi
    build=$NIX_BUILD_TOP/build
    export HOME=$NIX_BUILD_TOP/home GOCACHE=$NIX_BUILD_TOP/go-cache GOPATH=$NIX_BUILD_TOP/go-path
    mkdir -p "$build" "$HOME" "$out/bin"
    cp "$src"/*.go "$build"/
    printf 'module %s\n\ngo 1.22\n' "$name" > "$build/go.mod"
    cd "$build"
    "$go" build -trimpath -ldflags=-s -o "$out/bin/$name" .
  '' ];

  # Impure by necessity (a host toolchain), but no network and no writes
  # outside the build directory.
  PATH = "/usr/bin:/bin";
  CGO_ENABLED = "0";
  GO111MODULE = "on";
  GOTOOLCHAIN = "local";
  GOPROXY = "off";
  GOFLAGS = "-buildvcs=false";
  GOENV = "off";
  preferLocalBuild = true;
}
