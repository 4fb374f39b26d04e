package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"nixproc/backends"
)

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "nixproc",
		Short: "Deploy processes from one process manager-agnostic Nix model",
		Long: `nixproc turns a Nix processes model into configuration for sysvinit, bsdrc,
systemd, supervisord, launchd, cygrunsrv, s6-rc, docker or disnix, and deploys
it with that process manager.

Every subcommand is also available as a link named nixproc-<subcommand>
(nixproc-build, nixproc-sysvinit-switch, ...), which behaves as the original
tool of that name.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%v (see --help)", err)
	})
	root.AddCommand(withAgnosticConfigs(newBuildCmd()), newInitStateCmd())
	for _, pm := range backends.Names {
		root.AddCommand(newSwitchCmd(pm), newDeployCmd(pm))
	}
	root.AddCommand(newSysvinitRunActivityCmd())
	root.AddCommand(newSupervisordDeployStatelessCmd())
	root.AddCommand(newIDAssignCmd())
	root.AddCommand(newS6SvscanCmd())
	root.AddCommand(newToolsCmd(root))
	root.AddCommand(newNixLibraryCmd())
	root.AddCommand(newGenerateConfigCmd())
	root.AddCommand(newDysnomiaCmds()...)
	root.AddCommand(newBuildImageCmd(), newInitCmd())
	return root
}

// ToolNames lists every tool name a link can have (make install makes them).
func ToolNames(root *cobra.Command) []string {
	var out []string
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help", "completion", "nix-library", "dysnomia-module":
			continue
		}
		if link := c.Annotations[linkAnnotation]; link != "" {
			out = append(out, link) // dysnomia's tools keep their own names
		} else if !c.Hidden {
			out = append(out, "nixproc-"+c.Name())
		}
	}
	return out
}

// flagOrEnv returns a flag's value if given, else the environment variable's.
func flagOrEnv(fs *pflag.FlagSet, name, env string) string {
	if fs.Changed(name) {
		v, _ := fs.GetString(name)
		return v
	}
	return getenv(env)
}

func newToolsCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:    "tools",
		Short:  "List the tool names nixproc answers to (make install links them)",
		Hidden: true,
		Args:   cobra.NoArgs,
		Run: func(c *cobra.Command, args []string) {
			for _, n := range ToolNames(root) {
				fmt.Fprintln(c.OutOrStdout(), n)
			}
		},
	}
}
