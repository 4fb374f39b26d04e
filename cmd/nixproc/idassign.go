package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"nixproc/backends"
	"nixproc/idassign"
)

func newIDAssignCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "id-assign [OPTION] --id-resources FILE [PATH]",
		Short: "Assign unique ports, UIDs and GIDs to the processes of a model",
		Long: `Assigns unique numeric IDs from the pools of the ID resources model to every
process of the processes model PATH (or $NIXPROC_PROCESSES) that lists them in
its requiresUniqueIdsFor attribute, or to every service of a Disnix services
model (--services). Assignments in --ids are kept while still valid; new IDs
continue after the last ones handed out. The result (ids and lastAssignments)
is printed as Nix, or JSON with --output-json, or written to --output-file.
.json inputs need no Nix.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			fs := c.Flags()
			str := func(name string) string { v, _ := fs.GetString(name); return v }
			o := idassign.Options{
				ResourcesFile: str("id-resources"),
				IDsFile:       str("ids"),
				ServicesFile:  str("services"),
				Property:      str("service-property"),
				ExtraParams:   str("extra-params"),
			}
			o.ShowTrace, _ = fs.GetBool("show-trace")
			if o.ResourcesFile == "" {
				return fmt.Errorf("an ID resources model must be given (--id-resources FILE)")
			}
			if o.ServicesFile != "" {
				if len(args) > 0 {
					return fmt.Errorf("give either a processes model or --services, not both")
				}
			} else {
				expr, err := processesFile(args, false)
				if err != nil {
					return err
				}
				// The process manager only shapes pkg; the requests are
				// next to it, so any manager gives the same IDs, and one
				// whose backend is not built yet will do.
				pm := flagOrEnv(fs, "process-manager", "NIXPROC_PROCESS_MANAGER")
				if pm == "" {
					pm = "sysvinit"
				}
				if !slices.Contains(backends.Names, pm) {
					return fmt.Errorf("unknown process manager %q (known: %s)", pm, strings.Join(backends.Names, ", "))
				}
				o.Processes = evalOptions(c, expr, readStateFlags(c))
				o.Processes.ProcessManager = pm
			}
			res, err := idassign.Run(c.Context(), o)
			if err != nil {
				return err
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(c.ErrOrStderr(), "nixproc-id-assign: warning: %s\n", w)
			}
			out := idassign.FormatNix(res.IDs)
			if json, _ := fs.GetBool("output-json"); json {
				out = idassign.FormatJSON(res.IDs)
			}
			if file := str("output-file"); file != "" {
				return idassign.WriteFileAtomic(file, out)
			}
			_, err = c.OutOrStdout().Write(out)
			return err
		},
	}
	fs := c.Flags()
	fs.String("id-resources", "", "the ID resources model (.nix or .json): resource -> { min, max, step ?, scope ? } (required)")
	fs.String("ids", "", "previous assignments to keep where still valid (.nix or .json)")
	fs.String("output-file", "", "write the assignments to this file (atomically) instead of standard output")
	fs.Bool("output-json", false, "write JSON instead of Nix")
	fs.String("services", "", "read a Disnix services model (.nix or .json) instead of a processes model")
	fs.String("service-property", idassign.DefaultProperty, "the attribute listing the resources a process needs IDs from")
	fs.StringP("process-manager", "P", "", "the process manager to evaluate the processes model for (default sysvinit; the IDs do not depend on it) [$NIXPROC_PROCESS_MANAGER]")
	addStateFlags(c)
	addEvalFlags(c)
	return c
}
