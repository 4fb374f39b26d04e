package cygrunsrv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"nixproc/backends"
	"nixproc/cmdrun"
)

// Deployer installs, starts, stops and removes a profile's services with
// cygrunsrv, in dependency order (Windows refuses to stop a service others
// depend on, so the reverse order matters when stopping).
type Deployer struct{ env *backends.Env }

// Deployer implements backends.Backend.
func (Backend) Deployer(env *backends.Env) (backends.Deployer, error) {
	return &Deployer{env: env}, nil
}

// Units lists the profile's services in activation order.
func (d *Deployer) Units(p *backends.Profile) ([]backends.Unit, error) {
	units := backends.DefaultUnits(p)
	for _, u := range units {
		if _, err := os.Stat(p.File(paramsRel(u.Name))); err != nil {
			return nil, fmt.Errorf("profile %s has no cygrunsrv parameters for process %s: %w", p.Path, u.Name, err)
		}
	}
	return units, nil
}

// Start installs the service from its parameters file and starts it. A
// service left installed by an interrupted switch is removed first.
func (d *Deployer) Start(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	data, err := os.ReadFile(p.File(paramsRel(u.Name)))
	if err != nil {
		return err
	}
	svc := ServiceName(u.Name)
	if err := d.remove(ctx, svc); err != nil {
		return err
	}
	opts := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if err := d.cygrunsrv(ctx, append([]string{"-I", svc}, opts...)...); err != nil {
		return err
	}
	return d.cygrunsrv(ctx, "-S", svc)
}

// Stop stops and removes the service; one that is not installed is gone
// already, so a switch that failed half-way can be run again.
func (d *Deployer) Stop(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	return d.remove(ctx, ServiceName(u.Name))
}

func (d *Deployer) remove(ctx context.Context, svc string) error {
	if _, err := d.env.Runner.Run(ctx, cmdrun.Cmd{Path: "cygrunsrv", Args: []string{"-Q", svc}}); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil // not installed
		}
		return err
	}
	if err := d.cygrunsrv(ctx, "-E", svc); err != nil {
		return err
	}
	return d.cygrunsrv(ctx, "-R", svc)
}

func (d *Deployer) cygrunsrv(ctx context.Context, args ...string) error {
	_, err := d.env.Runner.Run(ctx, cmdrun.Cmd{Path: "cygrunsrv", Args: args, Stdout: d.env.Stdout, Stderr: d.env.Stderr})
	return err
}
