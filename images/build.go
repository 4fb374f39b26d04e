package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/supervisord"
	"nixproc/imagebuild"
)

// ProfilesDir is where an image holds its profile, under the profile's own
// (content-hashed) name: where nixproc keeps the profiles root builds.
const ProfilesDir = "/nix/var/nix/nixproc/builds"

// NixprocPath is where an image holds nixproc, PID 1 of sysvinit, disnix
// and s6-rc images.
const NixprocPath = "/nixproc/bin/nixproc"

// Options say how to build an image.
type Options struct {
	// Warnings receives the profile build's warnings (fields a backend
	// cannot express).
	Warnings io.Writer
	// Nixproc is the nixproc binary the image runs as PID 1; by default
	// the one running.
	Nixproc string
}

// Build builds the profile of a spec and assembles its image.
func Build(ctx context.Context, spec *Spec, o Options) (*imagebuild.Image, error) {
	if err := spec.Check(); err != nil {
		return nil, err
	}
	b, err := backends.Lookup(spec.ProcessManager)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.Name, err)
	}
	profile, err := backends.Build(ctx, b, backends.BuildOptions{
		Eval: agnostic.EvalOptions{
			ExprFile:               spec.ExprFile,
			Dirs:                   spec.Dirs,
			ForceDisableUserChange: spec.ForceDisableUserChange,
			ExtraParams:            spec.ExtraParams,
		},
		ForceDisableUserChange: spec.ForceDisableUserChange,
		Warnings:               o.Warnings,
	})
	if err != nil {
		return nil, err
	}
	return Assemble(ctx, spec, profile, o)
}

// WriteFile builds the image of a spec and writes it as a docker-archive
// tarball at out (complete or not at all).
func WriteFile(ctx context.Context, spec *Spec, out string, o Options) (*imagebuild.Result, error) {
	img, err := Build(ctx, spec, o)
	if err != nil {
		return nil, err
	}
	return imagebuild.WriteFile(ctx, out, img)
}

// Assemble makes the image of a built profile: the store closure of what
// the profile refers to, the host programs it and the process manager
// need, and the image's own files: the profile, accounts, state
// directories, and the entry point.
func Assemble(ctx context.Context, spec *Spec, profilePath string, o Options) (*imagebuild.Image, error) {
	p, err := backends.OpenProfile(profilePath)
	if err != nil {
		return nil, err
	}
	if p.Meta.ProcessManager != spec.ProcessManager {
		return nil, fmt.Errorf("image %s: %s is a %s profile, not a %s one", spec.Name, profilePath, p.Meta.ProcessManager, spec.ProcessManager)
	}
	img := &imagebuild.Image{Name: spec.Name, Tag: spec.Tag}
	own := imagebuild.NewTree()
	profile := path.Join(ProfilesDir, filepath.Base(p.Path))
	refs, err := copyProfile(own, p.Path, profile)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.Name, err)
	}

	// 1. The store closure, a layer per store path.
	roots := append(append([]string{}, p.Meta.StorePaths...), refs.storePaths...)
	roots = existing(roots)
	if len(roots) > 0 {
		layers, err := imagebuild.StoreLayers(ctx, roots, 0)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", spec.Name, err)
		}
		img.Layers = append(img.Layers, layers...)
	}

	// 2. Host programs: what the generated files and the process manager
	//    run, and the tools of an interactive image.
	host := newHostSet()
	if err := host.require("the generated scripts", basePrograms...); err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.Name, err)
	}
	if err := host.require(spec.ProcessManager, managerPrograms[spec.ProcessManager]...); err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.Name, err)
	}
	if err := host.wholePackages(packagePrograms[spec.ProcessManager], packageProgramDirs[spec.ProcessManager]); err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.Name, err)
	}
	if err := host.require("hostPrograms", spec.HostPrograms...); err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.Name, err)
	}
	for _, prog := range refs.programs {
		if err := host.add(prog); err != nil {
			return nil, fmt.Errorf("image %s: the profile runs %s: %w", spec.Name, prog, err)
		}
	}
	if spec.Interactive {
		if err := host.optional(interactivePrograms...); err != nil {
			return nil, fmt.Errorf("image %s: %w", spec.Name, err)
		}
		if err := host.addPaths(terminfoDirs...); err != nil {
			return nil, fmt.Errorf("image %s: %w", spec.Name, err)
		}
	}
	if spec.Manpages {
		if err := host.require("manpages", "man"); err != nil {
			return nil, fmt.Errorf("image %s: %w", spec.Name, err)
		}
		if err := host.optional(manPrograms...); err != nil {
			return nil, fmt.Errorf("image %s: %w", spec.Name, err)
		}
		if err := host.addPaths(manFiles...); err != nil {
			return nil, fmt.Errorf("image %s: %w", spec.Name, err)
		}
		if err := host.manPages(); err != nil {
			return nil, fmt.Errorf("image %s: %w", spec.Name, err)
		}
	}
	nixprocInit := spec.ProcessManager != "supervisord"
	if nixprocInit {
		exe := o.Nixproc
		if exe == "" {
			if exe, err = os.Executable(); err != nil {
				return nil, fmt.Errorf("image %s: cannot find the nixproc binary to run as PID 1: %w", spec.Name, err)
			}
		}
		if err := host.tree.AddHostProgramAt(exe, NixprocPath); err != nil {
			return nil, fmt.Errorf("image %s: %w", spec.Name, err)
		}
	}
	img.Layers = append(img.Layers, imagebuild.Layer{Tree: host.tree, CreatedBy: "nixproc: host programs of " + spec.ProcessManager})

	// 3. The image's own files.
	if err := ownFiles(own, spec, p, profile); err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.Name, err)
	}
	img.Layers = append(img.Layers, imagebuild.Layer{Tree: own, CreatedBy: "nixproc: " + spec.ProcessManager + " profile, accounts and state directories"})

	// 4. The entry point.
	env := []string{"PATH=" + SystemPath}
	if nixprocInit {
		env[0] += ":" + path.Dir(NixprocPath)
	}
	img.Config = imagebuild.Config{
		Env:          mergeEnv(env, spec.Config.Env),
		WorkingDir:   spec.Config.WorkingDir,
		Labels:       spec.Config.Labels,
		ExposedPorts: spec.Config.ExposedPorts,
	}
	switch spec.ProcessManager {
	case "supervisord":
		img.Config.Cmd = []string{lookPath("supervisord"), "--nodaemon", "--configuration", path.Join(profile, supervisord.ConfFile)}
	default:
		img.Config.Cmd = []string{NixprocPath, "init", profile}
	}
	return img, nil
}

// profileRefs is what a profile's files refer to.
type profileRefs struct {
	storePaths []string
	programs   []string // host executables named by absolute path
}

// copyProfile puts the profile at dst in the tree. A file that names the
// profile's own directory (a component's process wrapper, say) names dst
// instead: the profile is in another place in the image than on the host.
func copyProfile(t *imagebuild.Tree, src, dst string) (*profileRefs, error) {
	refs := &profileRefs{}
	var text bytes.Buffer
	from, to := []byte(src), []byte(dst)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		at := path.Join(dst, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch m := info.Mode(); {
		case m.IsDir():
			return t.Dir(at, m.Perm())
		case m.IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			data = bytes.ReplaceAll(data, from, to)
			text.Write(data)
			text.WriteByte('\n')
			return t.File(at, data, m.Perm())
		case m&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			target = strings.ReplaceAll(target, src, dst)
			text.WriteString(target + "\n")
			return t.Symlink(at, target)
		default:
			return fmt.Errorf("profile %s: %s is a %s", src, rel, m.Type())
		}
	})
	if err != nil {
		return nil, err
	}
	refs.storePaths = imagebuild.StorePaths(text.String())
	refs.programs = referencedPrograms(text.Bytes())
	return refs, nil
}

// existing keeps the store paths that are there (a generated file may
// mention one that was never built, in a comment say), without duplicates.
func existing(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		if seen[p] {
			continue
		}
		seen[p] = true
		if _, err := os.Lstat(p); err == nil {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// ownFiles writes the accounts, the state directories, the links to the
// profile the original images had, and an interactive shell's settings.
func ownFiles(t *imagebuild.Tree, spec *Spec, p *backends.Profile, profile string) error {
	users, groups, homes, err := accounts(p.Path)
	if err != nil {
		return err
	}
	if err := imagebuild.AddAccounts(t, users, groups); err != nil {
		return err
	}
	dirs := p.Meta.Dirs.Resolved()
	for _, d := range []struct {
		path string
		mode fs.FileMode
	}{
		{"/root", 0o700},
		{"/run", 0o755},
		{"/tmp", 0o777 | fs.ModeSticky},
		{"/var", 0o755},
		{"/var/empty", 0o555},
	} {
		if err := t.Dir(d.path, d.mode); err != nil {
			return err
		}
	}
	// /var/run is /run, as on the host and in the original's images.
	runLink := dirs.RuntimeDir == "/var/run"
	if runLink {
		if err := t.Symlink("/var/run", "../run"); err != nil {
			return err
		}
	}
	inImage := func(d string) string {
		if runLink && (d == "/var/run" || strings.HasPrefix(d, "/var/run/")) {
			return "/run" + strings.TrimPrefix(d, "/var/run")
		}
		return d
	}
	for _, d := range []string{dirs.StateDir, dirs.RuntimeDir, dirs.LogDir, dirs.CacheDir, dirs.SpoolDir, dirs.LockDir, dirs.LibDir} {
		if err := declareDir(t, inImage(d), 0o755); err != nil {
			return err
		}
	}
	tmpMode := fs.FileMode(0o777) | fs.ModeSticky
	if err := declareDir(t, inImage(dirs.TmpDir), tmpMode); err != nil {
		return err
	}
	if err := addHomes(t, homes); err != nil {
		return err
	}
	switch spec.ProcessManager {
	case "sysvinit":
		if err := t.Symlink("/etc/rc.d", path.Join(profile, "etc/rc.d")); err != nil {
			return err
		}
	case "supervisord":
		// supervisorctl's default configuration is /etc/supervisor/supervisord.conf
		if err := t.Symlink("/etc/supervisor", profile); err != nil {
			return err
		}
	}
	if spec.Interactive {
		if err := t.File("/root/.bashrc", []byte(bashrc), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// declareDir declares a directory unless the tree already has one there
// (/var is the state directory and holds the others).
func declareDir(t *imagebuild.Tree, d string, mode fs.FileMode) error {
	if e := t.Lookup(d); e != nil && e.Type == imagebuild.TypeDir {
		return nil
	}
	return t.Dir(d, mode)
}

// mergeEnv appends the user's variables; one the user sets replaces ours.
func mergeEnv(ours, theirs []string) []string {
	set := map[string]bool{}
	for _, e := range theirs {
		k, _, _ := strings.Cut(e, "=")
		set[k] = true
	}
	var out []string
	for _, e := range ours {
		if k, _, _ := strings.Cut(e, "="); !set[k] {
			out = append(out, e)
		}
	}
	return append(out, theirs...)
}

// bashrc makes an interactive shell in the container pleasant: coloured
// ls, and a prompt with user, host and directory (red for root) that also
// names the terminal window.
const bashrc = `# Generated by nixproc: settings of interactive shells in this container.
alias ls='ls --color=auto'
export PAGER=less

if [ -n "$PS1" ] && [ "${TERM:-dumb}" != dumb ]; then
  if [ "$(id -u)" -eq 0 ]; then nixproc_colour=31; else nixproc_colour=32; fi
  PS1='\n\[\033[1;'$nixproc_colour'm\][\u@\h:\w]\$\[\033[0m\] '
  case $TERM in
    xterm* | rxvt* | screen* | tmux*) PS1='\[\033]0;\u@\h: \w\007\]'$PS1 ;;
  esac
  unset nixproc_colour
fi
`
