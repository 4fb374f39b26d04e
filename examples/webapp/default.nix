# The test webapp, built into $out/bin/webapp (see ../build-go-program.nix).
#
# Evaluates to the derivation itself (not a function), so that constructors
# can write "${import ../webapp}/bin/webapp", as in the original framework.
import ../build-go-program.nix { name = "webapp"; dir = ./.; }
