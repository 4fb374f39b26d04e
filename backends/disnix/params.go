package disnix

import (
	"encoding/json"

	"nixproc/agnostic"
)

// Params are createProcessScript's parameters (the original's names, so
// overrides and disnix-specific models carry over unchanged).
type Params struct {
	Kind string `json:"__nixproc,omitempty"`
	Name string `json:"name"`
	// Process is a program that starts the process as a daemon. When it is
	// not set, the component's own ProcessScript is it.
	Process agnostic.String `json:"process,omitempty"`
	// PIDFile is where the daemon's PID appears; Dysnomia's default is
	// <runtimeDir>/<basename of process>.pid. Overriding it tells where a
	// self-daemonizing process writes its PID; for a foreground process,
	// which nixproc daemonizes into the PID file it names, set the
	// process's own pidFile instead.
	PIDFile      agnostic.String `json:"pidFile,omitempty"`
	Dependencies []string        `json:"dependencies,omitempty"`
	// ProcessScript is a nixproc extension: the text of the wrapper the
	// component carries as bin/<name>-process-wrapper, which nixproc
	// generates for a managed process.
	ProcessScript agnostic.String `json:"processScript,omitempty"`

	// Handled by the pipeline for every backend; accepted here so that a
	// disnix-specific spec decodes strictly.
	Credentials json.RawMessage `json:"credentials,omitempty"`
	PostInstall agnostic.String `json:"postInstall,omitempty"`
}
