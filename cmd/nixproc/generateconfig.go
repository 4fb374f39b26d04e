package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"nixproc/backends"
	"nixproc/dysnomia/agnosticconfig"
)

// newGenerateConfigCmd is nixproc-generate-config: agnostic configurations
// to a process manager's profile, without Nix.
func newGenerateConfigCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "generate-config [OPTION] -P MANAGER CONFIG...",
		Short: "Turn process manager-agnostic JSON configurations into a process manager's profile",
		Long: `Reads process manager-agnostic configurations (CONFIG: a <name>.json file as
nixproc build --agnostic-configs writes them, or a directory of them) and
generates the profile of the process manager MANAGER for them with the same
generators as nixproc build, without evaluating Nix. Prints the profile's
path; unless --no-out-link is given, ./result links to it.

A dependency on a process whose configuration is among CONFIG orders the
processes as in a build of the whole model. A dependency on any other process
is another component, deployed on its own (by Disnix, which orders its
activations): the profile does not refer to it, and a note says so.

The directory options say where the generated configuration keeps its state,
as for nixproc build.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			pm := flagOrEnv(c.Flags(), "process-manager", "NIXPROC_PROCESS_MANAGER")
			b, err := backends.Lookup(pm)
			if err != nil {
				return err
			}
			st := readStateFlags(c)
			path, err := agnosticconfig.Generate(c.Context(), b, agnosticconfig.GenerateOptions{
				Configs:                args,
				Dirs:                   st.dirs,
				ForceDisableUserChange: st.force,
				OutLink:                outLink(c),
				Warnings:               os.Stderr,
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), path)
			return nil
		},
	}
	c.Flags().StringP("process-manager", "P", "", "the process manager to generate for: "+joinNames()+" [$NIXPROC_PROCESS_MANAGER]")
	c.Flags().Bool("no-out-link", false, "do not make a result link")
	c.Flags().StringP("out-link", "o", "result", "name of the result link")
	addStateFlags(c)
	return c
}

func outLink(c *cobra.Command) string {
	out := "result"
	if v, _ := c.Flags().GetBool("no-out-link"); v {
		out = ""
	}
	if c.Flags().Changed("out-link") {
		out, _ = c.Flags().GetString("out-link")
	}
	return out
}

// withAgnosticConfigs gives nixproc build its --agnostic-configs option:
// instead of a process manager's profile, build writes the model's
// process manager-agnostic configurations, one <name>.json per process, into
// a directory (named by their hash, next to the profiles) and links ./result
// to it, as for a profile.
func withAgnosticConfigs(build *cobra.Command) *cobra.Command {
	build.Flags().Bool("agnostic-configs", false, "write process manager-agnostic configurations (<name>.json per process, for nixproc generate-config and the managed-process Dysnomia module) instead of a profile; takes no -P")
	build.Long += `

With --agnostic-configs, build evaluates the model for no process manager and
writes one process manager-agnostic configuration per process, <name>.json,
into a directory it prints (and links ./result to): the input of
nixproc generate-config and of the managed-process Dysnomia module.`
	runProfile := build.RunE
	build.RunE = func(c *cobra.Command, args []string) error {
		if v, _ := c.Flags().GetBool("agnostic-configs"); !v {
			return runProfile(c, args)
		}
		if c.Flags().Changed("process-manager") {
			return fmt.Errorf("--agnostic-configs writes process manager-agnostic configurations: it takes no --process-manager")
		}
		if v, _ := c.Flags().GetBool("undeploy"); v {
			return fmt.Errorf("--agnostic-configs needs a processes model, not --undeploy")
		}
		expr, err := processesFile(args, false)
		if err != nil {
			return err
		}
		st := readStateFlags(c)
		dir, err := agnosticconfig.Write(c.Context(), agnosticconfig.WriteOptions{
			Eval:     evalOptions(c, expr, st),
			OutLink:  outLink(c),
			Warnings: os.Stderr,
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(c.OutOrStdout(), dir)
		return nil
	}
	return build
}
