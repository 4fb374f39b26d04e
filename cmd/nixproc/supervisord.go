package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"nixproc/backends"
	"nixproc/backends/supervisord"
	"nixproc/cmdrun"
)

func newSupervisordDeployStatelessCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "supervisord-deploy-stateless [OPTION] [PATH]",
		Short: "Run a processes model with a private supervisord in the foreground",
		Long: `Builds the processes model PATH (or $NIXPROC_PROCESSES; PATH may also be a built
profile) for supervisord and runs supervisord in the foreground with it: no
generation is recorded, and an upgrade means starting it again. The profile's
users and groups are created first; when supervisord exits (TERM or INT stop
it and its programs), the users and groups this run created are removed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			b, err := backends.Lookup("supervisord")
			if err != nil {
				return err
			}
			expr, err := processesFile(args, false)
			if err != nil {
				return err
			}
			st := readStateFlags(c)
			path := expr
			if !isProfileDir(expr) {
				path, err = backends.Build(c.Context(), b, backends.BuildOptions{
					Eval:                   evalOptions(c, expr, st),
					ForceDisableUserChange: st.force,
					Warnings:               os.Stderr,
				})
				if err != nil {
					return err
				}
			}
			env := &backends.Env{
				Dirs:                   st.dirs.Resolved(),
				ForceDisableUserChange: st.force,
				Runner:                 cmdrun.Exec{},
				Stdout:                 os.Stdout,
				Stderr:                 os.Stderr,
			}
			code, err := supervisord.RunStateless(c.Context(), env, path)
			if err != nil {
				return err
			}
			if code != 0 {
				return &exitError{code: code, err: fmt.Errorf("supervisord exited with status %d", code)}
			}
			return nil
		},
	}
	addStateFlags(c)
	addEvalFlags(c)
	return c
}
