package main

import (
	"github.com/spf13/cobra"

	"nixproc/backends"
	"nixproc/backends/sysvinit"
	"nixproc/cmdrun"
)

func newInitStateCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "init-state [OPTION]",
		Short: "Create the state directories of a deployment",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			st := readStateFlags(c)
			return backends.InitState(st.dirs, st.force)
		},
	}
	addStateFlags(c)
	return c
}

func newSysvinitRunActivityCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "sysvinit-runactivity [OPTION] ACTIVITY [PATH]",
		Short: "Run an activity (start, stop, status...) on every sysvinit script of a profile",
		Long: `Runs "<script> ACTIVITY" for every script with a start link in the runlevel,
in start order, or in reverse with -r. PATH is a profile; by default the
current generation of the profile named with -p.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			name, _ := c.Flags().GetString("profile")
			path := ""
			if len(args) == 2 {
				path = args[1]
			} else {
				var err error
				if path, _, err = backends.ProfileLocation(name).Current(); err != nil {
					return err
				}
			}
			p, err := backends.OpenProfile(path)
			if err != nil {
				return err
			}
			reverse, _ := c.Flags().GetBool("reverse")
			runlevel, _ := c.Flags().GetString("runlevel")
			env := &backends.Env{Runner: cmdrun.Exec{}, Stdout: c.OutOrStdout(), Stderr: c.ErrOrStderr()}
			return sysvinit.RunActivity(c.Context(), env, p, runlevel, args[0], reverse)
		},
	}
	c.Flags().StringP("profile", "p", "processes", "name of the profile")
	c.Flags().BoolP("reverse", "r", false, "run in reverse order")
	c.Flags().String("runlevel", "", "runlevel (default: the system's, else 3)")
	return c
}
