package sysvinit

import (
	"encoding/json"

	"nixproc/agnostic"
)

// Params are createSystemVInitScript's parameters (the original's names, so
// overrides and sysvinit-specific models carry over unchanged).
type Params struct {
	Kind                      string                 `json:"__nixproc,omitempty"`
	Name                      string                 `json:"name"`
	InstanceName              agnostic.String        `json:"instanceName,omitempty"`
	Description               agnostic.String        `json:"description,omitempty"`
	GlobalInstructions        agnostic.String        `json:"globalInstructions,omitempty"`
	Umask                     agnostic.String        `json:"umask,omitempty"`
	Nice                      *agnostic.Int          `json:"nice,omitempty"`
	Directory                 agnostic.String        `json:"directory,omitempty"`
	Path                      agnostic.Strings       `json:"path,omitempty"`
	Environment               agnostic.StringMap     `json:"environment,omitempty"`
	Initialize                agnostic.String        `json:"initialize,omitempty"`
	Process                   agnostic.String        `json:"process,omitempty"`
	ProcessIsDaemon           *bool                  `json:"processIsDaemon,omitempty"`
	EnableDaemonOutputLogging *bool                  `json:"enableDaemonOutputLogging,omitempty"`
	Args                      agnostic.Strings       `json:"args,omitempty"`
	PIDFile                   agnostic.String        `json:"pidFile,omitempty"`
	User                      agnostic.String        `json:"user,omitempty"`
	ReloadSignal              agnostic.String        `json:"reloadSignal,omitempty"`
	Instructions              map[string]Instruction `json:"instructions,omitempty"`
	Activities                map[string]string      `json:"activities,omitempty"`
	RemoveActivities          []string               `json:"removeActivities,omitempty"`
	Runlevels                 []int                  `json:"runlevels,omitempty"`
	DefaultStart              []int                  `json:"defaultStart,omitempty"`
	DefaultStop               []int                  `json:"defaultStop,omitempty"`
	Dependencies              []string               `json:"dependencies,omitempty"`
	// Handled by the pipeline for every backend; accepted here so that a
	// sysvinit-specific spec decodes strictly.
	Credentials json.RawMessage `json:"credentials,omitempty"`
	PostInstall agnostic.String `json:"postInstall,omitempty"`
}

// Instruction is one generated activity: a verb for the message and the
// shell that does it.
type Instruction struct {
	Activity    string `json:"activity"`
	Instruction string `json:"instruction"`
}

// supportedRunlevels are the runlevels links are made for.
var supportedRunlevels = []int{0, 1, 2, 3, 4, 5, 6}

// defaultRunlevels is where a process starts when the model names none:
// the original made no start links at all then, so nothing ever started.
var defaultRunlevels = []int{3, 4, 5}

func (p *Params) isDaemon() bool { return p.ProcessIsDaemon == nil || *p.ProcessIsDaemon }

func (p *Params) daemonLogging() bool {
	return p.EnableDaemonOutputLogging == nil || *p.EnableDaemonOutputLogging
}
