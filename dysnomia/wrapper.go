package dysnomia

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"nixproc/cmdrun"
)

// wrapperModule hands every activity to the component's own program,
// bin/wrapper, as `bin/wrapper <activity> [<container>]` with the container's
// properties in its environment. Around it, the module creates the
// component's users and groups before activation and lets go of them after
// deactivation, and keeps the activation marker, as the process modules do.
type wrapperModule struct{}

func (wrapperModule) Name() string { return "wrapper" }

func (m wrapperModule) Run(ctx context.Context, inv *Invocation) error {
	exe := filepath.Join(inv.Component, "bin", "wrapper")
	if st, err := os.Stat(exe); err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("the component has no executable bin/wrapper")
	}
	acc, err := accountsOf(inv, inv.Component)
	if err != nil {
		return err
	}
	if inv.Activity == "activate" {
		if err := acc.add(ctx); err != nil {
			_ = acc.del(ctx)
			return err
		}
	}
	args := []string{inv.Activity}
	if inv.Container != "" {
		args = append(args, inv.Container)
	}
	_, err = inv.Runner.Run(ctx, cmdrun.Cmd{Path: exe, Args: args, Env: inv.Props.Environ(), Stdout: inv.stdout(), Stderr: inv.stderr()})
	if err != nil {
		if inv.Activity == "activate" {
			_ = acc.del(ctx)
		}
		return err
	}
	switch inv.Activity {
	case "activate":
		return markersOf(inv, m.Name()).markActive()
	case "deactivate":
		if err := acc.del(ctx); err != nil {
			return err
		}
		markersOf(inv, m.Name()).unmarkActive()
	}
	return nil
}
