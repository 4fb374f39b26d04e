package sysvinit

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"

	"nixproc/agnostic"
	"nixproc/backends"
)

// Translate maps an agnostic process to script parameters: daemon mode when
// the process can daemonize, otherwise its foreground process is daemonized
// with libslack's daemon.
func (Backend) Translate(ctx *backends.Context, p *agnostic.Process) (any, []backends.Warning, error) {
	params := &Params{
		Name:         p.Name,
		InstanceName: agnostic.String(p.InstanceName),
		Description:  agnostic.String(p.Description),
		Umask:        agnostic.String(p.Umask),
		Directory:    agnostic.String(p.Directory),
		Path:         p.Path,
		Environment:  p.Environment,
		Initialize:   agnostic.String(p.Initialize),
		PIDFile:      agnostic.String(p.PIDFile),
		User:         agnostic.String(p.User),
		Dependencies: p.Dependencies,
	}
	if p.Nice != nil {
		n := agnostic.Int(*p.Nice)
		params.Nice = &n
	}
	daemon := p.IsDaemon()
	params.ProcessIsDaemon = &daemon
	if daemon {
		params.Process, params.Args = agnostic.String(p.Daemon), p.DaemonArgs
	} else {
		params.Process, params.Args = agnostic.String(p.ForegroundProcess), p.ForegroundProcessArgs
	}
	if err := params.normalize(); err != nil {
		return nil, nil, &agnostic.FieldError{Process: p.Key, Msg: err.Error()}
	}
	return params, nil, nil
}

// Decode reads parameters (a sysvinit-specific spec, or translated ones with
// overrides merged) and checks them.
func (Backend) Decode(ctx *backends.Context, p *agnostic.Process, raw json.RawMessage) (any, error) {
	params := &Params{}
	if err := agnostic.DecodeStrict(raw, params); err != nil {
		return nil, err
	}
	return params, params.normalize()
}

// normalize applies createSystemVInitScript's defaults and checks the result.
func (p *Params) normalize() error {
	if p.Name == "" {
		p.Name = string(p.InstanceName)
	}
	if p.Description == "" {
		p.Description = agnostic.String(p.Name)
	}
	if p.ReloadSignal == "" {
		p.ReloadSignal = "-HUP"
	}
	return p.check()
}

var (
	octal  = regexp.MustCompile(`^0?[0-7]{1,3}$`)
	signal = regexp.MustCompile(`^-?[A-Z0-9]+$`)
	verb   = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
)

func (p *Params) check() error {
	if p.Umask != "" && !octal.MatchString(string(p.Umask)) {
		return fmt.Errorf("umask %q is not an octal mask", p.Umask)
	}
	if !signal.MatchString(string(p.ReloadSignal)) {
		return fmt.Errorf("reloadSignal %q is not a signal name", p.ReloadSignal)
	}
	if p.Process != "" && !filepath.IsAbs(string(p.Process)) {
		return fmt.Errorf("process %q must be an absolute path", p.Process)
	}
	for _, l := range append(append(append([]int{}, p.Runlevels...), p.DefaultStart...), p.DefaultStop...) {
		if l < 0 || l > 6 {
			return fmt.Errorf("runlevel %d is not between 0 and 6", l)
		}
	}
	for name := range p.Activities {
		if !verb.MatchString(name) {
			return fmt.Errorf("activity name %q is not usable in a case arm", name)
		}
	}
	for name := range p.Instructions {
		if !verb.MatchString(name) {
			return fmt.Errorf("instruction name %q is not usable in a case arm", name)
		}
	}
	// A NUL byte, which no script can pass on, is refused when the model is
	// decoded (agnostic.NixToString).
	return nil
}
