package backends

import (
	"context"
	"encoding/json"
	"io"

	"nixproc/agnostic"
	"nixproc/cmdrun"
)

// Backend translates agnostic processes into one process manager's
// configuration and deploys it.
type Backend interface {
	// Name is the process manager's name as users write it (-P sysvinit).
	Name() string
	// Capabilities says which agnostic fields the backend can express; a
	// field it cannot express gives a warning, never a silent drop.
	Capabilities() Capabilities
	// Translate turns one agnostic process into the backend's parameters
	// (a pointer to its typed struct), before overrides.
	Translate(ctx *Context, p *agnostic.Process) (any, []Warning, error)
	// Decode reads parameters from JSON: a process manager-specific spec
	// written with the backend's create function, or translated parameters
	// with overrides merged in. It applies the backend's defaults.
	Decode(ctx *Context, p *agnostic.Process, raw json.RawMessage) (any, error)
	// Render writes the profile: one call with every process, in
	// activation order, so cross-process files (sequence numbers, bundles,
	// manifests) can be made.
	Render(ctx *Context, procs []Translated, w *ProfileWriter) error
	// Deployer returns what starts and stops the profile's processes.
	Deployer(env *Env) (Deployer, error)
}

// Translated is one process with its final backend parameters.
type Translated struct {
	Process *agnostic.Process
	Params  any
}

// Context is what translation and rendering know about the build.
type Context struct {
	ProcessManager         string
	Dirs                   agnostic.Dirs // resolved
	ForceDisableUserChange bool
	Model                  *agnostic.Model
}

// User returns the user a process switches to, or "" when user changes are
// disabled.
func (c *Context) User(user string) string {
	if c.ForceDisableUserChange {
		return ""
	}
	return user
}

// Env is what deployers know about the deployment.
type Env struct {
	Dirs                   agnostic.Dirs // resolved
	ForceDisableUserChange bool
	Runner                 cmdrun.Runner
	Stdout, Stderr         io.Writer
	// Options holds backend-specific settings (runlevel, systemd --user...).
	Options map[string]string
}

// Unit is one process as the switch engine sees it.
type Unit struct {
	Name         string
	Hash         string   // changes whenever the process's files change
	Dependencies []string // names of units it depends on
	Lock, Unlock string
}

// Deployer starts and stops the units of a profile.
type Deployer interface {
	// Units lists the units that should run for a profile, in start order.
	Units(p *Profile) ([]Unit, error)
	Start(ctx context.Context, p *Profile, u Unit) error
	Stop(ctx context.Context, p *Profile, u Unit) error
}

// SwitchHooks is implemented by deployers that must act once per switch, such
// as reloading a process manager's configuration.
type SwitchHooks interface {
	// BeforeStop runs after users are created and before anything stops.
	BeforeStop(ctx context.Context, old, new *Profile) error
	// AfterStart runs once everything new has started (or, on failure,
	// after the old profile is back: then new is the old profile, which is
	// the empty profile, Path "", when nothing was deployed before).
	AfterStart(ctx context.Context, old, new *Profile) error
}

// SwitchFlag is an option a backend adds to its switch and deploy tools
// (sysvinit's --runlevel, systemd's --user); its value reaches the deployer
// in Env.Options under Name.
type SwitchFlag struct {
	Name, Usage, Default string
	Bool                 bool
}

// FlagProvider is implemented by backends with options of their own.
type FlagProvider interface {
	SwitchFlags() []SwitchFlag
}
