package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"nixproc/backends"
	"nixproc/cmdrun"
)

func newSwitchCmd(pm string) *cobra.Command {
	c := &cobra.Command{
		Use:   pm + "-switch [OPTION] [PATH]",
		Short: "Build and deploy a processes model with " + pm,
		Long: `Builds the processes model PATH (or $NIXPROC_PROCESSES) for ` + pm + ` and deploys
it: obsolete processes stop in reverse dependency order, new and changed ones
(and what depends on them) start in order, and the profile becomes a new
generation. If a process fails to start, the previous deployment is put back
and the command fails naming the process. PATH may also be a built profile.

Before a switch stops anything, every running process with a lock command
(createManagedProcess's lock) is locked, front to back, and afterwards
unlocked. A lock that fails or takes longer than --lock-timeout aborts the
switch with nothing changed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runSwitch(c, pm, args) },
	}
	fs := c.Flags()
	fs.StringP("profile", "p", "processes", "name of the profile (or a path to its link)")
	fs.StringP("old-profile", "o", "", "profile path to take as deployed, instead of the current generation")
	fs.Bool("undeploy", false, "stop every process and deploy an empty profile")
	fs.Bool("rollback", false, "switch back to the previous generation")
	fs.String("switch-generation", "", "switch to generation `NUM`")
	fs.Bool("list-generations", false, "list the generations of the profile")
	fs.String("delete-generations", "", "delete generations: numbers, old, Nd or +N (space-separated)")
	fs.Bool("delete-all-generations", false, "delete the profile and all its generations (processes keep running)")
	addStateFlags(c)
	addEvalFlags(c)
	addLockFlags(c)
	addBackendFlags(c, pm)
	return c
}

func newDeployCmd(pm string) *cobra.Command {
	c := &cobra.Command{
		Use:   pm + "-deploy [OPTION] PATH",
		Short: "Deploy a built " + pm + " profile",
		Long: `Deploys the built profile PATH (from nixproc-build -P ` + pm + `) as the switch tool
does, and makes it a new generation of the profile.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if _, err := backends.Lookup(pm); err != nil {
				return err
			}
			profiles, env, err := switchSetup(c, pm)
			if err != nil {
				return err
			}
			old, _ := c.Flags().GetString("old-profile")
			return deploy(c, profiles, backends.SwitchOptions{Env: env, Profiles: profiles, NewPath: args[0], OldPath: old})
		},
	}
	c.Flags().StringP("profile", "p", "processes", "name of the profile (or a path to its link)")
	c.Flags().StringP("old-profile", "o", "", "profile path to take as deployed, instead of the current generation")
	addStateFlags(c)
	addLockFlags(c)
	addBackendFlags(c, pm)
	return c
}

func addLockFlags(c *cobra.Command) {
	c.Flags().String("lock-timeout", "", "how long each process's lock or unlock command may take, as 90s, 2m or seconds (default 60s) [$NIXPROC_LOCK_TIMEOUT]")
}

// lockTimeout reads --lock-timeout, else $NIXPROC_LOCK_TIMEOUT: a Go
// duration (90s, 2m) or a number of seconds; unset is the default.
func lockTimeout(c *cobra.Command) (time.Duration, error) {
	what := "--lock-timeout"
	if !c.Flags().Changed("lock-timeout") {
		what = "NIXPROC_LOCK_TIMEOUT"
	}
	d, err := backends.ParseLockTimeout(flagOrEnv(c.Flags(), "lock-timeout", "NIXPROC_LOCK_TIMEOUT"))
	if err != nil {
		return 0, fmt.Errorf("%s %w", what, err)
	}
	return d, nil
}

func addBackendFlags(c *cobra.Command, pm string) {
	b, err := backends.Lookup(pm)
	if err != nil {
		return
	}
	if fp, ok := b.(backends.FlagProvider); ok {
		for _, f := range fp.SwitchFlags() {
			if f.Bool {
				c.Flags().Bool(f.Name, f.Default == "true", f.Usage)
			} else {
				c.Flags().String(f.Name, f.Default, f.Usage)
			}
		}
	}
}

func switchSetup(c *cobra.Command, pm string) (backends.Profiles, *backends.Env, error) {
	if _, err := lockTimeout(c); err != nil {
		return backends.Profiles{}, nil, err // before a long build, not after
	}
	name, _ := c.Flags().GetString("profile")
	profiles := backends.ProfileLocation(name)
	st := readStateFlags(c)
	env := &backends.Env{
		Dirs:                   st.dirs.Resolved(),
		ForceDisableUserChange: st.force,
		Runner:                 cmdrun.Exec{},
		Stdout:                 os.Stdout,
		Stderr:                 os.Stderr,
		Options:                map[string]string{},
	}
	if b, err := backends.Lookup(pm); err == nil {
		if fp, ok := b.(backends.FlagProvider); ok {
			for _, f := range fp.SwitchFlags() {
				if c.Flags().Changed(f.Name) {
					env.Options[f.Name] = c.Flags().Lookup(f.Name).Value.String()
				}
			}
		}
	}
	return profiles, env, nil
}

func runSwitch(c *cobra.Command, pm string, args []string) error {
	b, err := backends.Lookup(pm)
	if err != nil {
		return err
	}
	profiles, env, err := switchSetup(c, pm)
	if err != nil {
		return err
	}
	fs := c.Flags()
	switch {
	case fs.Changed("list-generations"):
		return profiles.PrintList(os.Stdout)
	case fs.Changed("delete-generations"):
		v, _ := fs.GetString("delete-generations")
		return profiles.Delete(append(splitFields(v), args...))
	case fs.Changed("delete-all-generations"):
		return profiles.DeleteAll()
	case fs.Changed("rollback"):
		n, err := profiles.Previous()
		if err != nil {
			return err
		}
		return deploy(c, profiles, backends.SwitchOptions{Env: env, Profiles: profiles, Generation: n})
	case fs.Changed("switch-generation"):
		v, _ := fs.GetString("switch-generation")
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("--switch-generation takes a generation number, got %q", v)
		}
		return deploy(c, profiles, backends.SwitchOptions{Env: env, Profiles: profiles, Generation: n})
	}
	undeploy, _ := fs.GetBool("undeploy")
	expr, err := processesFile(args, undeploy)
	if err != nil {
		return err
	}
	path := ""
	if isProfileDir(expr) {
		path = expr
	} else {
		st := readStateFlags(c)
		path, err = backends.Build(c.Context(), b, backends.BuildOptions{
			Eval:                   evalOptions(c, expr, st),
			ForceDisableUserChange: st.force,
			Warnings:               os.Stderr,
		})
		if err != nil {
			return err
		}
	}
	old, _ := fs.GetString("old-profile")
	return deploy(c, profiles, backends.SwitchOptions{Env: env, Profiles: profiles, NewPath: path, OldPath: old})
}

func deploy(c *cobra.Command, profiles backends.Profiles, o backends.SwitchOptions) error {
	timeout, err := lockTimeout(c)
	if err != nil {
		return err
	}
	o.LockTimeout = timeout
	if err := backends.Switch(c.Context(), o); err != nil {
		return err
	}
	path, n, err := profiles.Current()
	if err == nil {
		fmt.Fprintf(os.Stderr, "nixproc: generation %d of %s/%s is current: %s\n", n, profiles.Dir, profiles.Name, path)
	}
	return nil
}

func isProfileDir(path string) bool {
	if path == "" {
		return false
	}
	_, err := os.Stat(path + "/" + backends.MetaFile)
	return err == nil
}

func splitFields(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if r == ' ' || r == ',' {
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
			continue
		}
		cur += string(r)
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}
