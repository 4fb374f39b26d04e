# Builds the test webapp into $out/bin/webapp with the host's Go toolchain
# (there is no nixpkgs here). The toolchain is found through the NIXPROC_GO
# environment variable, or /usr/local/go/bin/go; its VERSION file goes into
# the derivation, so another Go release gives another store path.
#
# Evaluates to the derivation itself (not a function), so that constructors
# can write "${import ../webapp}/bin/webapp", as in the original framework.
let
  goFromEnv = builtins.getEnv "NIXPROC_GO";
  go = if goFromEnv == "" then "/usr/local/go/bin/go" else goFromEnv;
  goVersionFile = "${dirOf (dirOf go)}/VERSION";
  goVersion =
    if builtins.pathExists goVersionFile
    then builtins.head (builtins.split "\n" (builtins.readFile goVersionFile))
    else "unknown";

  # Only the program's own sources: editing a test, this file or anything
  # else in the repository leaves the store path unchanged.
  isSource = path: type:
    let name = baseNameOf path; in
    type == "regular"
    && builtins.match ".*\\.go" name != null
    && builtins.match ".*_test\\.go" name == null;

  src = builtins.path {
    name = "webapp-source";
    path = ./.;
    filter = isSource;
  };
in
derivation {
  name = "webapp";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-e" "-c" ''
    if [ ! -x "$go" ]; then
      echo "webapp: no Go toolchain at $go; set NIXPROC_GO to the path of the go command" >&2
      exit 1
    fi
    build=$NIX_BUILD_TOP/build
    export HOME=$NIX_BUILD_TOP/home GOCACHE=$NIX_BUILD_TOP/go-cache GOPATH=$NIX_BUILD_TOP/go-path
    mkdir -p "$build" "$HOME" "$out/bin"
    cp "$src"/*.go "$build"/
    printf 'module webapp\n\ngo 1.21\n' > "$build/go.mod"
    cd "$build"
    "$go" build -trimpath -ldflags=-s -o "$out/bin/webapp" .
  '' ];
  inherit src go goVersion;

  # The build is impure by necessity (a host toolchain and host tools), but
  # it must not reach the network or write outside the build directory.
  PATH = "/usr/bin:/bin";
  CGO_ENABLED = "0";
  GO111MODULE = "on";
  GOTOOLCHAIN = "local";
  GOPROXY = "off";
  GOFLAGS = "-buildvcs=false";
  GOENV = "off";
  preferLocalBuild = true;
}
