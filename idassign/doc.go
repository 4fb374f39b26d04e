// Package idassign hands out unique numeric IDs (TCP ports, UIDs, GIDs, ...)
// to the processes of a processes model, or the services of a Disnix
// services model, as nixproc-id-assign does (the original delegated to
// dydisnix-id-assign; this is a replacement that needs no Disnix).
//
// Inputs:
//   - an ID resources model (idresources.nix or .json): resource name ->
//     { min, max, step ? 1, scope ? "global" }; aliasing (gids = uids) makes
//     two independent pools with the same bounds;
//   - the processes that ask for IDs: the requiresUniqueIdsFor attribute (a
//     list of resource names) of each process entry (or service), next to
//     pkg. The identity of a process is its attribute name in the model,
//     which is what the model uses to read its IDs back
//     (ids.<resource>.<attribute name>);
//   - optionally the previous assignments (ids.nix or .json).
//
// Output: ids.<resource>.<process> and lastAssignments.<resource>, as Nix
// (the original's format: quoted, sorted attribute names, two-space indent)
// or JSON.
//
// Rules: an existing assignment is kept while its process exists, still asks
// for the resource and the ID is within [min, max] and on the step grid
// (min + k*step). New IDs are handed out to processes in byte-wise sorted
// order, continuing after the last assignment, wrapping at max and skipping
// IDs in use, so a freed ID is not reused before the cursor comes round
// again. The search is bounded by the pool size and the demand is checked
// first: an exhausted pool is an error that names the resource, its size
// and the demand, and nothing is written. Unlike the original, step is
// honoured for Nix input, IDs below a raised min are never handed out,
// duplicate IDs in the input are detected, and the output is written
// atomically. The "machine" scope means one ID space per machine; a
// processes model is one machine, so it behaves as "global".
//
// Nix files are evaluated with the real nix-instantiate; .json files need no
// Nix. The package imports agnostic (model and Nix evaluation) and gjson.
package idassign
