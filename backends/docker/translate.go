package docker

import (
	"encoding/json"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/fgproxy"
)

// Translate maps an agnostic process to container parameters. Containers
// run foreground processes: the foreground process is preferred, and a
// process that can only daemonize runs through a foreground proxy that
// waits for its PID file.
func (Backend) Translate(ctx *backends.Context, p *agnostic.Process) (any, []backends.Warning, error) {
	params := &Params{
		Name:         p.Name,
		InstanceName: agnostic.String(p.InstanceName),
		Description:  agnostic.String(p.Description),
		Initialize:   agnostic.String(p.Initialize),
		Directory:    agnostic.String(p.Directory),
		Umask:        agnostic.String(p.Umask),
		User:         agnostic.String(p.User),
		Path:         p.Path,
		Environment:  p.Environment,
		Dependencies: p.Dependencies,
	}
	if p.Nice != nil {
		n := agnostic.Int(*p.Nice)
		params.Nice = &n
	}
	daemon := !p.IsForeground()
	params.ProcessIsDaemon = &daemon
	if daemon {
		params.Process, params.Args = agnostic.String(p.Daemon), p.DaemonArgs
		params.PIDFile = agnostic.String(fgproxy.PIDFile(ctx.Dirs, p.User, p.InstanceName, p.PIDFile, p.Daemon))
	} else {
		params.Process, params.Args = agnostic.String(p.ForegroundProcess), p.ForegroundProcessArgs
	}
	if err := params.normalize(ctx); err != nil {
		return nil, nil, &agnostic.FieldError{Process: p.Key, Msg: err.Error()}
	}
	return params, nil, nil
}

// Decode reads parameters (a docker-specific spec, or translated ones with
// overrides merged) and checks them.
func (Backend) Decode(ctx *backends.Context, p *agnostic.Process, raw json.RawMessage) (any, error) {
	params := &Params{}
	if err := agnostic.DecodeStrict(raw, params); err != nil {
		return nil, err
	}
	return params, params.normalize(ctx)
}
