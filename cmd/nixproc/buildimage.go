package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"nixproc/images"
)

func newBuildImageCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "build-image [OPTION] PATH",
		Short: "Build a container image running every process of a model under one process manager",
		Long: `Writes a multi-process container image as a docker-archive tarball, which
docker load -i and podman load -i read; no container engine or daemon is
needed to build it.

PATH is an image expression: a Nix file (or a directory with default.nix)
that calls createMultiProcessImage from
<nixproc/create-image-from-steps/create-multi-process-image-universal.nix>
with name, tag, exprFile, processManager (supervisord, sysvinit, disnix or
s6-rc), interactive, manpages, forceDisableUserChange and the state
directories. If it is a function, --arg NAME=EXPR and --argstr NAME=VALUE
are passed to it.

With --process-manager, PATH is a processes model instead, and the options
say what the expression would.

The image holds the store closure of the profile, the host programs it runs
(with their libraries), the profile, /etc/passwd and /etc/group from the
credentials and the state directories. supervisord images run supervisord
in the foreground; for sysvinit, disnix and s6-rc, nixproc is PID 1: it
starts the processes in order, reaps orphans, and on SIGTERM stops them in
reverse order. The same inputs give a byte-identical tarball.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			spec, err := imageSpec(c, args[0])
			if err != nil {
				return err
			}
			out, _ := c.Flags().GetString("out-link")
			res, err := images.WriteFile(c.Context(), spec, out, images.Options{Warnings: os.Stderr})
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "nixproc: image %s (%s) written to %s\n", res.Ref, res.ID, out)
			fmt.Println(out)
			return nil
		},
	}
	fs := c.Flags()
	fs.StringP("out-link", "o", "result", "the file to write the image to")
	fs.StringArray("arg", nil, "pass `NAME=EXPR` (a Nix expression) to the image expression's function")
	fs.StringArray("argstr", nil, "pass `NAME=VALUE` (a string) to the image expression's function")
	fs.StringP("process-manager", "P", "", "PATH is a processes model; run it with this process manager: "+strings.Join(images.ProcessManagers, ", "))
	fs.String("name", "", "with -P: the image's name (default nixproc-<process manager>)")
	fs.String("tag", "", "with -P: the image's tag (default: a digest of its config)")
	fs.Bool("interactive", true, "with -P: add a shell, the usual tools and a .bashrc")
	fs.Bool("manpages", false, "with -P: add man and the manual pages of the image's programs")
	fs.StringArray("host-program", nil, "with -P: a further host `PROGRAM` the processes run by name")
	addStateFlags(c)
	addEvalFlags(c)
	return c
}

// imageSpec reads the spec from the image expression, or with -P from the
// options.
func imageSpec(c *cobra.Command, path string) (*images.Spec, error) {
	fs := c.Flags()
	pm, _ := fs.GetString("process-manager")
	trace, _ := fs.GetBool("show-trace")
	if pm == "" {
		for _, f := range []string{"name", "tag", "interactive", "manpages", "host-program", "extra-params", "force-disable-user-change"} {
			if fs.Changed(f) {
				return nil, fmt.Errorf("--%s applies to a processes model (with -P); an image expression sets it itself", f)
			}
		}
		for _, f := range dirFlags {
			if fs.Changed(f.flag) {
				return nil, fmt.Errorf("--%s applies to a processes model (with -P); an image expression sets it itself", f.flag)
			}
		}
		o := images.LoadOptions{Args: map[string]string{}, ArgStrs: map[string]string{}, ShowTrace: trace}
		for flag, into := range map[string]map[string]string{"arg": o.Args, "argstr": o.ArgStrs} {
			vals, _ := fs.GetStringArray(flag)
			for _, v := range vals {
				name, value, ok := strings.Cut(v, "=")
				if !ok || name == "" {
					return nil, fmt.Errorf("--%s %q: expected NAME=VALUE", flag, v)
				}
				into[name] = value
			}
		}
		return images.Load(c.Context(), path, o)
	}
	if fs.Changed("arg") || fs.Changed("argstr") {
		return nil, fmt.Errorf("--arg and --argstr apply to an image expression, not to a processes model (-P)")
	}
	st := readStateFlags(c)
	extra, _ := fs.GetString("extra-params")
	spec := &images.Spec{
		ProcessManager:         pm,
		ExprFile:               path,
		Dirs:                   st.dirs,
		ForceDisableUserChange: st.force,
		ExtraParams:            extra,
	}
	spec.Name, _ = fs.GetString("name")
	if spec.Name == "" {
		spec.Name = "nixproc-" + pm
	}
	spec.Tag, _ = fs.GetString("tag")
	spec.Interactive, _ = fs.GetBool("interactive")
	spec.Manpages, _ = fs.GetBool("manpages")
	spec.HostPrograms, _ = fs.GetStringArray("host-program")
	return spec, spec.Check()
}

// newInitCmd is PID 1 of sysvinit, disnix and s6-rc images.
func newInitCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "init PROFILE",
		Short:  "Run a profile as a container's PID 1 (images built by build-image use it)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		Run: func(c *cobra.Command, args []string) {
			os.Exit(images.Init(args[0], os.Stdout, os.Stderr))
		},
	}
}
