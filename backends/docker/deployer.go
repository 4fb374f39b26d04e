package docker

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"nixproc/backends"
	"nixproc/cmdrun"
	"nixproc/imagebuild"
	"nixproc/shellquote"
)

// Deployer creates, starts, stops and removes the containers of a profile
// with a docker-compatible command.
type Deployer struct {
	env     *backends.Env
	command []string // the engine command and its own options
}

// Deployer implements backends.Backend. The engine command is the "docker"
// option, else NIXPROC_DOCKER, else docker; it may carry options of its own
// (shell words: "podman --root /srv/containers").
func (Backend) Deployer(env *backends.Env) (backends.Deployer, error) {
	cmd, from := env.Options[DockerOption], "--docker"
	if cmd == "" {
		cmd, from = os.Getenv("NIXPROC_DOCKER"), "NIXPROC_DOCKER"
	}
	if cmd == "" {
		cmd = "docker"
	}
	words, err := shellquote.Split(cmd)
	if err == nil && len(words) == 0 {
		err = fmt.Errorf("it is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a command: %v", from, cmd, err)
	}
	return &Deployer{env: env, command: words}, nil
}

// Units lists every container of the profile, in activation order.
func (d *Deployer) Units(p *backends.Profile) ([]backends.Unit, error) {
	return backends.DefaultUnits(p), nil
}

// Settings are a container's <name>-docker-settings and
// <name>-docker-createparams.
type Settings struct {
	ContainerName string
	Image         string // a tarball to load; "" when nixproc writes the image
	ImageTag      string
	StopTimeout   int
	CreateParams  []string
}

// ReadSettings reads the settings of a process of a profile.
func ReadSettings(profile, process string) (*Settings, error) {
	file := filepath.Join(profile, process+"-docker-settings")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("process %s: %w", process, err)
	}
	s := &Settings{StopTimeout: DefaultStopTimeout}
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		key, raw, ok := strings.Cut(line, "=")
		words, err := shellquote.Split(raw)
		if !ok || err != nil || len(words) > 1 {
			return nil, fmt.Errorf("%s:%d: not a setting: %s", file, i+1, line)
		}
		value := ""
		if len(words) == 1 {
			value = words[0]
		}
		switch key {
		case "dockerContainerName":
			s.ContainerName = value
		case "dockerImage":
			s.Image = value
		case "dockerImageTag":
			s.ImageTag = value
		case "dockerStopTimeout":
			if s.StopTimeout, err = strconv.Atoi(value); err != nil {
				return nil, fmt.Errorf("%s:%d: dockerStopTimeout %q is not a number", file, i+1, value)
			}
		}
	}
	if s.ContainerName == "" || s.ImageTag == "" {
		return nil, fmt.Errorf("%s: no dockerContainerName or dockerImageTag", file)
	}
	params, err := os.ReadFile(filepath.Join(profile, process+"-docker-createparams"))
	if err != nil {
		return nil, fmt.Errorf("process %s: %w", process, err)
	}
	for _, l := range strings.Split(strings.TrimRight(string(params), "\n"), "\n") {
		if l != "" {
			s.CreateParams = append(s.CreateParams, l)
		}
	}
	return s, nil
}

// Start writes and loads the image, creates the container and starts it.
// A container of that name left from before (a crashed switch, a container
// removed from the profile by hand) is replaced.
func (d *Deployer) Start(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	s, err := ReadSettings(p.Path, u.Name)
	if err != nil {
		return err
	}
	if err := d.tolerate(ctx, "no such container", "rm", "-f", s.ContainerName); err != nil {
		return err
	}
	// An image left under this tag (by a crashed switch, or written before
	// the host's accounts changed) would otherwise stay behind, untagged.
	if err := d.tolerate(ctx, "no such image", "rmi", s.ImageTag); err != nil {
		return err
	}
	if err := d.loadImage(ctx, p, u.Name, s); err != nil {
		return err
	}
	args := append(append([]string{"create"}, s.CreateParams...), "--name", s.ContainerName, s.ImageTag)
	if _, err := d.run(ctx, args...); err != nil {
		return err
	}
	if _, err := d.run(ctx, "start", s.ContainerName); err != nil {
		return err
	}
	return d.settled(ctx, s.ContainerName)
}

// settled watches a started container for a moment: one whose process exits
// at once, or that its restart policy had to restart, has failed to start,
// and the switch must see that to roll back. NIXPROC_START_SETTLE sets the
// time in seconds (the sysvinit scripts read it too).
func (d *Deployer) settled(ctx context.Context, name string) error {
	settle := time.Second
	if v, err := strconv.ParseFloat(os.Getenv("NIXPROC_START_SETTLE"), 64); err == nil && v >= 0 {
		settle = time.Duration(v * float64(time.Second))
	}
	deadline := time.Now().Add(settle)
	for {
		out, err := d.run(ctx, "container", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}", name)
		if err != nil {
			return err
		}
		var status string
		var code, restarts int
		fmt.Sscanf(strings.TrimSpace(string(out)), "%s %d %d", &status, &code, &restarts)
		switch {
		case status == "exited" || status == "dead" || status == "stopped":
			return fmt.Errorf("container %s exited with status %d right after it started (%s logs %s)", name, code, d.command[0], name)
		case restarts > 0:
			return fmt.Errorf("container %s keeps exiting: restarted %d times right after it started (%s logs %s)", name, restarts, d.command[0], name)
		}
		if !time.Now().Before(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop stops and removes the container and its image. What is not there
// (any more) is fine; an image the engine will not remove (another
// container uses it) is a warning.
func (d *Deployer) Stop(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	s, err := ReadSettings(p.Path, u.Name)
	if err != nil {
		return err
	}
	if err := d.tolerate(ctx, "no such container", "stop", "-t", strconv.Itoa(s.StopTimeout), s.ContainerName); err != nil {
		return err
	}
	if err := d.tolerate(ctx, "no such container", "rm", "-f", s.ContainerName); err != nil {
		return err
	}
	if err := d.tolerate(ctx, "no such image", "rmi", s.ImageTag); err != nil {
		fmt.Fprintf(d.stderr(), "nixproc: warning: %s: %v\n", u.Name, err)
	}
	return nil
}

// loadImage loads the container's image: the tarball the profile names, or
// the one written from the profile's image spec (into a temporary file,
// removed once loaded).
func (d *Deployer) loadImage(ctx context.Context, p *backends.Profile, process string, s *Settings) error {
	if s.Image != "" {
		_, err := d.run(ctx, "load", "-i", s.Image)
		return err
	}
	spec, err := ReadImageSpec(p.Path, process)
	if err != nil {
		return err
	}
	img, err := BuildImage(ctx, p.Path, spec, s.ImageTag)
	if err != nil {
		return fmt.Errorf("writing the image of %s: %w", process, err)
	}
	dir, err := os.MkdirTemp("", "nixproc-docker-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "image.tar")
	if _, err := imagebuild.WriteFile(ctx, file, img); err != nil {
		return fmt.Errorf("writing the image of %s: %w", process, err)
	}
	_, err = d.run(ctx, "load", "-i", file)
	return err
}

// BeforeStop implements backends.SwitchHooks: a switch that cannot reach
// the engine fails before it stops anything.
func (d *Deployer) BeforeStop(ctx context.Context, old, new *backends.Profile) error {
	if _, err := d.run(ctx, "version"); err != nil {
		return fmt.Errorf("the container engine does not answer (set it with --docker or NIXPROC_DOCKER): %w", err)
	}
	return nil
}

// AfterStart implements backends.SwitchHooks: every container of the
// deployed profile exists and runs afterwards, also those the switch did
// not touch (one removed or stopped by hand is created or started again).
func (d *Deployer) AfterStart(ctx context.Context, old, new *backends.Profile) error {
	if new.Path == "" {
		return nil
	}
	for _, u := range backends.DefaultUnits(new) {
		s, err := ReadSettings(new.Path, u.Name)
		if err != nil {
			return err
		}
		out, err := d.run(ctx, "container", "inspect", "--format", "{{.State.Running}}", s.ContainerName)
		switch {
		case err != nil && absent(err, "no such container"):
			if err := d.Start(ctx, new, u); err != nil {
				return fmt.Errorf("creating the missing container of %s: %w", u.Name, err)
			}
		case err != nil:
			return err
		case strings.TrimSpace(string(out)) != "true":
			if _, err := d.run(ctx, "start", s.ContainerName); err != nil {
				return fmt.Errorf("starting the stopped container of %s: %w", u.Name, err)
			}
		}
	}
	return nil
}

func (d *Deployer) run(ctx context.Context, args ...string) ([]byte, error) {
	return d.env.Runner.Run(ctx, cmdrun.Cmd{Path: d.command[0], Args: append(append([]string{}, d.command[1:]...), args...)})
}

// tolerate runs a command whose failure is fine when it says that what it
// works on is not there.
func (d *Deployer) tolerate(ctx context.Context, missing string, args ...string) error {
	_, err := d.run(ctx, args...)
	if err != nil && !absent(err, missing) {
		return err
	}
	return nil
}

// absent tells whether an engine's error says the container or image is
// not there; docker and podman word it differently.
func absent(err error, missing string) bool {
	msg := strings.ToLower(err.Error())
	if ce, ok := err.(*cmdrun.Error); ok {
		msg = strings.ToLower(ce.Output)
	}
	return strings.Contains(msg, missing) || strings.Contains(msg, "image not known") && missing == "no such image"
}

func (d *Deployer) stderr() io.Writer {
	if d.env.Stderr != nil {
		return d.env.Stderr
	}
	return io.Discard
}

var _ backends.SwitchHooks = (*Deployer)(nil)
