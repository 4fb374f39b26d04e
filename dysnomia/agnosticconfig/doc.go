// Package agnosticconfig reads and writes process manager-agnostic
// configurations: one JSON file per process, <name>.json, holding what
// createManagedProcess yields for it (the form agnostic.DecodeConfig reads),
// with nixproc's defaults applied and its dependencies as process names.
//
// Write evaluates a processes model (for no process manager) into a
// directory of such files (nixproc build --agnostic-configs). Generate turns
// one or more of them into a process manager's profile with the shared
// build pipeline (backends.Build), without evaluating Nix
// (nixproc generate-config, and the managed-process Dysnomia module).
//
// A dependency names another process. Among the configurations generated
// together it is a real dependency (start order, the manager's own
// dependency settings). A dependency on a process that is not among them is
// another component, deployed on its own (by Disnix, with the order Disnix
// gives its activations): the generated profile holds only the given
// processes and does not refer to it, and Generate says so on its warnings
// writer.
//
// It imports agnostic and backends; cmd/nixproc and the dysnomia package
// import it.
package agnosticconfig
