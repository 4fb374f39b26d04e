package backends

import (
	"fmt"

	"nixproc/agnostic"
)

// Capabilities says which agnostic fields a backend can express.
type Capabilities struct {
	Daemon       bool // runs processes that daemonize themselves
	Foreground   bool // runs foreground processes
	User         bool
	Umask        bool
	Nice         bool
	Directory    bool
	Environment  bool
	Path         bool
	Initialize   bool
	PIDFile      bool
	Dependencies bool // keeps activation order
	Credentials  bool // creates users and groups
	PostInstall  bool
}

// Field is one agnostic field, for the support matrix and warnings.
type Field struct {
	Name  string
	Has   func(c Capabilities) bool
	IsSet func(p *agnostic.Process) bool
}

// Fields lists the agnostic fields in the order of the support matrix.
var Fields = []Field{
	{"daemon", func(c Capabilities) bool { return c.Daemon }, nil},
	{"foregroundProcess", func(c Capabilities) bool { return c.Foreground }, nil},
	{"user", func(c Capabilities) bool { return c.User }, func(p *agnostic.Process) bool { return p.User != "" }},
	{"umask", func(c Capabilities) bool { return c.Umask }, func(p *agnostic.Process) bool { return p.Umask != "" }},
	{"nice", func(c Capabilities) bool { return c.Nice }, func(p *agnostic.Process) bool { return p.Nice != nil }},
	{"directory", func(c Capabilities) bool { return c.Directory }, func(p *agnostic.Process) bool { return p.Directory != "" }},
	{"environment", func(c Capabilities) bool { return c.Environment }, func(p *agnostic.Process) bool { return len(p.Environment) > 0 }},
	{"path", func(c Capabilities) bool { return c.Path }, func(p *agnostic.Process) bool { return len(p.Path) > 0 }},
	{"initialize", func(c Capabilities) bool { return c.Initialize }, func(p *agnostic.Process) bool { return p.Initialize != "" }},
	{"pidFile", func(c Capabilities) bool { return c.PIDFile }, func(p *agnostic.Process) bool { return p.PIDFile != "" }},
	{"dependencies", func(c Capabilities) bool { return c.Dependencies }, func(p *agnostic.Process) bool { return len(p.Dependencies) > 0 }},
	{"credentials", func(c Capabilities) bool { return c.Credentials }, func(p *agnostic.Process) bool {
		return len(p.Credentials.Users)+len(p.Credentials.Groups) > 0
	}},
	{"postInstall", func(c Capabilities) bool { return c.PostInstall }, func(p *agnostic.Process) bool { return p.PostInstall != "" }},
}

// Warning is a field of a process that a backend cannot express.
type Warning struct {
	Process string
	Field   string
	Backend string
	Msg     string
}

func (w Warning) String() string {
	if w.Msg != "" {
		return fmt.Sprintf("warning: process %s: %s: %s", w.Process, w.Field, w.Msg)
	}
	return fmt.Sprintf("warning: process %s: %s cannot be expressed by the %s backend and is ignored", w.Process, w.Field, w.Backend)
}

// unsupportedFields returns a warning for every field a process sets that
// the backend cannot express.
func unsupportedFields(b Backend, p *agnostic.Process) []Warning {
	caps := b.Capabilities()
	var out []Warning
	for _, f := range Fields {
		if f.IsSet != nil && f.IsSet(p) && !f.Has(caps) {
			out = append(out, Warning{Process: p.Name, Field: f.Name, Backend: b.Name()})
		}
	}
	return out
}
