package main

import (
	"os"
	"os/user"

	"github.com/spf13/cobra"

	"nixproc/agnostic"
)

var getenv = os.Getenv

// stateOptions are the directory options every tool takes, and the force
// flag. A command-line option beats the NIXPROC_* variable, which beats the
// default (the original let variables override options, and mixed some up).
type stateOptions struct {
	dirs  agnostic.Dirs
	force bool
}

var dirFlags = []struct {
	flag, env, usage string
	field            func(*agnostic.Dirs) *string
}{
	{"state-dir", "NIXPROC_STATE_DIR", "base directory of all state (default /var)", func(d *agnostic.Dirs) *string { return &d.StateDir }},
	{"runtime-dir", "NIXPROC_RUNTIME_DIR", "directory of PID files (default <state-dir>/run)", func(d *agnostic.Dirs) *string { return &d.RuntimeDir }},
	{"log-dir", "NIXPROC_LOG_DIR", "directory of log files (default <state-dir>/log)", func(d *agnostic.Dirs) *string { return &d.LogDir }},
	{"tmp-dir", "NIXPROC_TMP_DIR", "directory of temp files (default /tmp, or <state-dir>/tmp)", func(d *agnostic.Dirs) *string { return &d.TmpDir }},
	{"cache-dir", "NIXPROC_CACHE_DIR", "directory of cache files (default <state-dir>/cache)", func(d *agnostic.Dirs) *string { return &d.CacheDir }},
	{"spool-dir", "NIXPROC_SPOOL_DIR", "directory of spool files (default <state-dir>/spool)", func(d *agnostic.Dirs) *string { return &d.SpoolDir }},
	{"lock-dir", "NIXPROC_LOCK_DIR", "directory of lock files (default <state-dir>/lock)", func(d *agnostic.Dirs) *string { return &d.LockDir }},
	{"lib-dir", "NIXPROC_LIB_DIR", "directory of state files (default <state-dir>/lib)", func(d *agnostic.Dirs) *string { return &d.LibDir }},
}

func addStateFlags(c *cobra.Command) {
	fs := c.Flags()
	for _, f := range dirFlags {
		fs.String(f.flag, "", f.usage+" [$"+f.env+"]")
	}
	fs.Bool("force-disable-user-change", false, "create no users or groups and switch to no user [$NIXPROC_FORCE_DISABLE_USER_CHANGE=1]")
}

func readStateFlags(c *cobra.Command) stateOptions {
	fs := c.Flags()
	var o stateOptions
	for _, f := range dirFlags {
		*f.field(&o.dirs) = flagOrEnv(fs, f.flag, f.env)
	}
	if fs.Changed("force-disable-user-change") {
		o.force, _ = fs.GetBool("force-disable-user-change")
	} else {
		o.force = getenv("NIXPROC_FORCE_DISABLE_USER_CHANGE") == "1"
	}
	return o
}

// evalFlags are the options that shape evaluation.
func addEvalFlags(c *cobra.Command) {
	c.Flags().String("extra-params", "", "a Nix expression of further arguments for the processes model")
	c.Flags().Bool("show-trace", false, "show Nix's full trace on evaluation errors")
}

func evalOptions(c *cobra.Command, exprFile string, st stateOptions) agnostic.EvalOptions {
	extra, _ := c.Flags().GetString("extra-params")
	trace, _ := c.Flags().GetBool("show-trace")
	o := agnostic.EvalOptions{
		ExprFile:               exprFile,
		Dirs:                   st.dirs,
		ForceDisableUserChange: st.force,
		ExtraParams:            extra,
		ShowTrace:              trace,
	}
	if u, err := user.Current(); err == nil {
		o.CallingUser = u.Username
		if g, err := user.LookupGroupId(u.Gid); err == nil {
			o.CallingGroup = g.Name
		}
	}
	return o
}
