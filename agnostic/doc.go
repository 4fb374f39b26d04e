// Package agnostic holds nixproc's process manager-agnostic model: the
// canonical, validated intermediate representation every backend translates
// from, and the ways to get one (evaluating a Nix processes model with the
// real nix-instantiate, or reading JSON).
//
// It may import only the standard library and gjson; backends import it, never
// the other way round.
package agnostic
