package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"nixproc/cmdrun"
	"nixproc/dysnomia"
)

// Annotations of commands reached through links not named nixproc-<name>.
const (
	// linkAnnotation is the name of the link that runs the command
	// (make install makes it in bin/).
	linkAnnotation = "link"
	// errorNameAnnotation is what the command's errors start with.
	errorNameAnnotation = "errorName"
)

// newDysnomiaCmds are the dysnomia command, its user tools and the modules.
func newDysnomiaCmds() []*cobra.Command {
	cmds := []*cobra.Command{newDysnomiaCmd(), newDysnomiaModuleCmd(), newDysnomiaModulesCmd()}
	for _, tool := range dysnomia.UserTools {
		cmds = append(cmds, newDysnomiaUserToolCmd(tool))
	}
	return cmds
}

func newDysnomiaCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "dysnomia --operation OPERATION --component COMPONENT --container CONTAINER",
		Short: "Run a Dysnomia module: activate, deactivate, lock, ... a component in a container",
		Long: `Runs a deployment activity of a component in a container, as Dysnomia's
dysnomia command does: the container file (key=value lines, read as text,
never run) names the module in its type property; its other properties reach
the module as its environment.

  dysnomia --operation OPERATION --component COMPONENT --container CONTAINER
  dysnomia --operation OPERATION --component COMPONENT --type TYPE --environment
  dysnomia --shell --component COMPONENT --container CONTAINER [--command CMD]

A container or component that is not a path (starting with / or ./) is
looked up in $DYSNOMIA_CONTAINERS_PATH (default /etc/dysnomia/containers), or
as <container>/<component> in $DYSNOMIA_COMPONENTS_PATH (default
/etc/dysnomia/components). A module is looked up in $DYSNOMIA_MODULES_PATH,
then among nixproc's own: ` + strings.Join(dysnomia.ModuleNames(), ", ") + `.
Operations: ` + strings.Join(dysnomia.Activities, ", ") + `.
$DYSNOMIA_STATEDIR (default /var/state/dysnomia, or ~/.dysnomia) keeps the
activation markers and the accounts the modules created.`,
		Annotations: map[string]string{linkAnnotation: "dysnomia", errorNameAnnotation: "dysnomia"},
		Args:        cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fs := c.Flags()
			r := &dysnomia.Request{Environ: os.Environ(), Runner: cmdrun.Exec{}, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
			r.Operation, _ = fs.GetString("operation")
			r.Component, _ = fs.GetString("component")
			r.Container, _ = fs.GetString("container")
			r.Type, _ = fs.GetString("type")
			r.UseEnvironment, _ = fs.GetBool("environment")
			r.Shell, _ = fs.GetBool("shell")
			r.Command, _ = fs.GetString("command")
			err := dysnomia.Execute(c.Context(), r)
			if ee, ok := err.(*dysnomia.ExitError); ok {
				return &exitError{code: ee.Code, err: err}
			}
			return err
		},
	}
	fs := c.Flags()
	fs.StringP("operation", "o", "", "the activity: "+strings.Join(dysnomia.Activities, ", "))
	fs.StringP("component", "c", "", "the component (a path, or a name in $DYSNOMIA_COMPONENTS_PATH)")
	fs.StringP("container", "C", "", "the container file (a path, or a name in $DYSNOMIA_CONTAINERS_PATH)")
	fs.StringP("type", "t", "", "the module, when the container names none (needed with --environment)")
	fs.BoolP("environment", "E", false, "take the container's properties from the environment")
	fs.Bool("shell", false, "spawn a shell with the container's properties, after the module's shell activity")
	fs.String("command", "", "with --shell: run these commands in the shell instead of an interactive session")
	return c
}

// newDysnomiaModuleCmd runs a module as Dysnomia does:
// <module> <activity> <component> [<container>], with the container's
// properties in the environment. A link to nixproc named after a module in a
// libexec/dysnomia directory is the same.
func newDysnomiaModuleCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "dysnomia-module MODULE ACTIVITY COMPONENT [CONTAINER]",
		Short: "Run one of nixproc's Dysnomia modules (also: a link libexec/dysnomia/MODULE)",
		Long: `Runs a Dysnomia module with the Dysnomia module contract: the activity
(` + strings.Join(dysnomia.Activities, ", ") + `) on the component, with the
container's properties taken from the environment. Modules: ` + strings.Join(dysnomia.ModuleNames(), ", ") + `.
make install links each module to nixproc as $(PREFIX)/libexec/dysnomia/MODULE,
where Disnix and dysnomia find them.`,
		Annotations:        map[string]string{errorNameAnnotation: "dysnomia"},
		Args:               cobra.RangeArgs(3, 4),
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) < 3 || len(args) > 4 {
				return fmt.Errorf("usage: MODULE ACTIVITY COMPONENT [CONTAINER]")
			}
			inv := &dysnomia.Invocation{
				Activity:  args[1],
				Component: args[2],
				Props:     dysnomia.PropsFromEnviron(os.Environ()),
				Runner:    cmdrun.Exec{},
				Stdout:    os.Stdout,
				Stderr:    os.Stderr,
			}
			if len(args) == 4 {
				inv.Container = args[3]
			}
			return dysnomia.RunModule(c.Context(), args[0], inv)
		},
	}
}

// newDysnomiaModulesCmd lists the modules (make install links them).
func newDysnomiaModulesCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "dysnomia-modules",
		Short:  "List the Dysnomia modules nixproc has (make install links them into libexec/dysnomia)",
		Hidden: true,
		Args:   cobra.NoArgs,
		Run: func(c *cobra.Command, args []string) {
			for _, m := range dysnomia.ModuleNames() {
				fmt.Fprintln(c.OutOrStdout(), m)
			}
		},
	}
}

func newDysnomiaUserToolCmd(tool string) *cobra.Command {
	what := map[string]string{
		"dysnomia-addgroups": "Create the groups a component declares",
		"dysnomia-addusers":  "Create the users a component declares",
		"dysnomia-delusers":  "Remove the users a component declares that these tools created",
		"dysnomia-delgroups": "Remove the groups a component declares that these tools created",
	}[tool]
	kind := "users"
	if strings.HasSuffix(tool, "groups") {
		kind = "groups"
	}
	return &cobra.Command{
		Use:   tool + " PATH",
		Short: what,
		Long: what + `: those in PATH/dysnomia-support/` + kind + `/ (one file per
account, named after it, with key=value lines read as text), or the one
account file PATH. Users: uid, group, description, homeDir (default
/dev/null), createHomeDir=1, shell, password (an encrypted one, as useradd -p
takes), createHomeDirOnly=1 (only make the home directory). Groups: gid.

An account that exists already is kept as it is and never removed by these
tools. One they created is removed by ` + strings.Replace(tool, "add", "del", 1) + ` once no component that
declares it is left; $DYSNOMIA_STATEDIR (default /var/state/dysnomia, or
~/.dysnomia) records them.`,
		Annotations: map[string]string{linkAnnotation: tool, errorNameAnnotation: tool},
		Args:        cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return dysnomia.RunUserTool(c.Context(), tool, args[0], dysnomia.StateDir(dysnomia.Props{}), cmdrun.Exec{}, os.Stderr)
		},
	}
}

// dysnomiaModuleLink tells whether nixproc runs as a module: through a link
// in a libexec/dysnomia directory, named after the module.
func dysnomiaModuleLink(argv0 string) (string, bool) {
	path := argv0
	if !strings.Contains(path, "/") {
		found, err := exec.LookPath(path)
		if err != nil {
			return "", false
		}
		path = found
	}
	dir := filepath.Dir(path)
	if filepath.Base(dir) == "dysnomia" && filepath.Base(filepath.Dir(dir)) == "libexec" {
		return filepath.Base(path), true
	}
	return "", false
}

// linkedCommand finds the command a link of another name than
// nixproc-<name> runs (dysnomia, dysnomia-addusers, ...).
func linkedCommand(root *cobra.Command, tool string) string {
	for _, c := range root.Commands() {
		if c.Annotations[linkAnnotation] == tool {
			return c.Name()
		}
	}
	return ""
}
