package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"nixproc/backends"
)

func newBuildCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "build [OPTION] [PATH]",
		Short: "Build a profile of process configurations for a process manager",
		Long: `Evaluates the processes model PATH (or $NIXPROC_PROCESSES) with the process
manager's generators, realises every store path it refers to, writes the
profile and prints its path. A .json model needs no Nix. Unless --no-out-link
is given, ./result links to the profile.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			pm := flagOrEnv(c.Flags(), "process-manager", "NIXPROC_PROCESS_MANAGER")
			b, err := backends.Lookup(pm)
			if err != nil {
				return err
			}
			undeploy, _ := c.Flags().GetBool("undeploy")
			expr, err := processesFile(args, undeploy)
			if err != nil {
				return err
			}
			st := readStateFlags(c)
			out := "result"
			if v, _ := c.Flags().GetBool("no-out-link"); v {
				out = ""
			}
			if c.Flags().Changed("out-link") {
				out, _ = c.Flags().GetString("out-link")
			}
			path, err := backends.Build(c.Context(), b, backends.BuildOptions{
				Eval:                   evalOptions(c, expr, st),
				ForceDisableUserChange: st.force,
				OutLink:                out,
				Warnings:               os.Stderr,
			})
			if err != nil {
				return err
			}
			fmt.Println(path)
			return nil
		},
	}
	c.Flags().StringP("process-manager", "P", "", "the process manager to generate for: "+joinNames()+" [$NIXPROC_PROCESS_MANAGER]")
	c.Flags().Bool("undeploy", false, "build an empty profile")
	c.Flags().Bool("no-out-link", false, "do not make a result link")
	c.Flags().StringP("out-link", "o", "result", "name of the result link")
	addStateFlags(c)
	addEvalFlags(c)
	return c
}

// processesFile picks the model: the argument, else $NIXPROC_PROCESSES.
// Undeploying uses none.
func processesFile(args []string, undeploy bool) (string, error) {
	if undeploy {
		return "", nil
	}
	if len(args) > 0 {
		return args[0], nil
	}
	if f := getenv("NIXPROC_PROCESSES"); f != "" {
		return f, nil
	}
	return "", fmt.Errorf("no processes model given (pass PATH or set NIXPROC_PROCESSES)")
}

func joinNames() string {
	s := ""
	for i, n := range backends.Names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}
