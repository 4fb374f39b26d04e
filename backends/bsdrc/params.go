package bsdrc

import (
	"encoding/json"

	"nixproc/agnostic"
)

// Params are createBSDRCScript's parameters (the original's names, so
// overrides and bsdrc-specific models carry over).
type Params struct {
	Kind         string          `json:"__nixproc,omitempty"`
	Name         string          `json:"name"`
	InstanceName agnostic.String `json:"instanceName,omitempty"`
	// Description becomes desc= (what "service NAME describe" prints).
	Description agnostic.String `json:"description,omitempty"`
	// Rcvar is the suffix of the rc.conf variable that enables the script
	// at boot (<name>_<rcvar>); empty leaves rcvar out. Default "enable".
	Rcvar          *agnostic.String   `json:"rcvar,omitempty"`
	RcvarsDefaults agnostic.StringMap `json:"rcvarsDefaults,omitempty"`

	Command                   agnostic.String  `json:"command,omitempty"`
	CommandArgs               agnostic.Strings `json:"commandArgs,omitempty"`
	CommandIsDaemon           *bool            `json:"commandIsDaemon,omitempty"`
	EnableDaemonOutputLogging *bool            `json:"enableDaemonOutputLogging,omitempty"`
	ReloadSignal              agnostic.String  `json:"reloadSignal,omitempty"`
	StopSignal                agnostic.String  `json:"stopSignal,omitempty"`

	Environment agnostic.StringMap `json:"environment,omitempty"`
	Path        agnostic.Strings   `json:"path,omitempty"`
	PIDFile     agnostic.String    `json:"pidFile,omitempty"`
	Nice        *agnostic.Int      `json:"nice,omitempty"`
	Umask       agnostic.String    `json:"umask,omitempty"`
	Directory   agnostic.String    `json:"directory,omitempty"`
	User        agnostic.String    `json:"user,omitempty"`
	Fib         *agnostic.Int      `json:"fib,omitempty"`
	Limits      agnostic.String    `json:"limits,omitempty"`
	LoginClass  agnostic.String    `json:"loginClass,omitempty"`
	OOMProtect  agnostic.String    `json:"oomProtect,omitempty"`

	RequiredFiles   agnostic.Strings `json:"requiredFiles,omitempty"`
	RequiredDirs    agnostic.Strings `json:"requiredDirs,omitempty"`
	RequiredVars    agnostic.Strings `json:"requiredVars,omitempty"`
	RequiredModules agnostic.Strings `json:"requiredModules,omitempty"`

	// Commands implements rc commands: pre runs before (start_precmd),
	// implementation instead of rc.subr's default, post after. A command
	// rc.subr does not know becomes an extra command.
	Commands           map[string]Command `json:"commands,omitempty"`
	FlexibleParameters bool               `json:"flexibleParameters,omitempty"`

	Requires     agnostic.Strings `json:"requires,omitempty"`
	Provides     agnostic.Strings `json:"provides,omitempty"`
	Keywords     agnostic.Strings `json:"keywords,omitempty"`
	Dependencies []string         `json:"dependencies,omitempty"`

	// Handled by the pipeline for every backend.
	Credentials json.RawMessage `json:"credentials,omitempty"`
	PostInstall agnostic.String `json:"postInstall,omitempty"`
}

// Command is one rc command's shell code.
type Command struct {
	Pre            agnostic.String `json:"pre,omitempty"`
	Implementation agnostic.String `json:"implementation,omitempty"`
	Post           agnostic.String `json:"post,omitempty"`
}

// builtinCommands are the commands rc.subr implements itself.
var builtinCommands = map[string]bool{
	"start": true, "stop": true, "reload": true, "restart": true, "status": true,
	"poll": true, "rcvar": true, "enable": true, "disable": true, "delete": true,
	"enabled": true, "describe": true, "extracommands": true,
}

// Where FreeBSD keeps what the scripts use.
const (
	rcSubr        = "/etc/rc.subr"
	daemonProgram = "/usr/sbin/daemon"
)

func (p *Params) isDaemon() bool { return p.CommandIsDaemon == nil || *p.CommandIsDaemon }

func (p *Params) daemonLogging() bool {
	return p.EnableDaemonOutputLogging == nil || *p.EnableDaemonOutputLogging
}

func (p *Params) rcvar() string {
	if p.Rcvar == nil {
		return "enable"
	}
	return string(*p.Rcvar)
}
