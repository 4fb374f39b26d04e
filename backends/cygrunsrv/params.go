package cygrunsrv

import (
	"encoding/json"

	"nixproc/agnostic"
)

// Params are createCygrunsrvParams's parameters (the original's names), and
// a few cygrunsrv options the original left out.
type Params struct {
	Kind        string          `json:"__nixproc,omitempty"`
	Name        string          `json:"name"`
	DisplayName agnostic.String `json:"displayName,omitempty"`
	// Description is cygrunsrv's --desc.
	Description agnostic.String `json:"description,omitempty"`
	// Path is the program the service runs (not a package list: the
	// original's name).
	Path            agnostic.String    `json:"path,omitempty"`
	Args            agnostic.Strings   `json:"args,omitempty"`
	Environment     agnostic.StringMap `json:"environment,omitempty"`
	EnvironmentPath agnostic.Strings   `json:"environmentPath,omitempty"`
	// Directory is cygrunsrv's --chdir.
	Directory           agnostic.String `json:"directory,omitempty"`
	Type                agnostic.String `json:"type,omitempty"`
	User                agnostic.String `json:"user,omitempty"`
	Password            agnostic.String `json:"password,omitempty"`
	Stdin               agnostic.String `json:"stdin,omitempty"`
	Stdout              agnostic.String `json:"stdout,omitempty"`
	Stderr              agnostic.String `json:"stderr,omitempty"`
	TerminateSignal     agnostic.String `json:"terminateSignal,omitempty"`
	TerminateOnShutdown bool            `json:"terminateOnShutdown,omitempty"`
	Dependencies        []string        `json:"dependencies,omitempty"`
	// ForegroundProxy is the proxy the service runs when cygrunsrv cannot
	// run the program itself; path then names the proxy.
	ForegroundProxy *Proxy `json:"foregroundProxy,omitempty"`

	// Handled by the pipeline for every backend.
	Credentials json.RawMessage `json:"credentials,omitempty"`
	PostInstall agnostic.String `json:"postInstall,omitempty"`
}

// Proxy describes a foreground proxy (see backends/fgproxy).
type Proxy struct {
	Executable string   `json:"executable"`
	Args       []string `json:"args,omitempty"`
	Daemon     bool     `json:"daemon,omitempty"`
	PIDFile    string   `json:"pidFile,omitempty"`
	Initialize string   `json:"initialize,omitempty"`
	Directory  string   `json:"directory,omitempty"`
	Umask      string   `json:"umask,omitempty"`
	Nice       *int     `json:"nice,omitempty"`
}

// Prefix is what every service name starts with, as in the original.
const Prefix = "nix-process-"

// ServiceName is the Windows service of a process.
func ServiceName(name string) string { return Prefix + name }

// paramsRel is where a process's parameters file lives in the profile.
func paramsRel(name string) string { return ServiceName(name) + "-cygrunsrvparams" }

func proxyRel(name string) string { return "libexec/" + ServiceName(name) + "-foregroundproxy.sh" }
