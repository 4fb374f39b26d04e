// Package podmantest gives tests a private container engine: podman as root
// with its storage, run directory, locks and events in a temporary
// directory, reached through a docker-compatible command (a small wrapper
// script). Tests of images and of the docker backend run in parallel with
// other packages without seeing each other's containers. Only test code
// imports it.
package podmantest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"nixproc/agnostic"
	"nixproc/backends/backendtest"
	"nixproc/shellquote"
)

// Engine is a private podman.
type Engine struct {
	// Dir holds everything the engine keeps.
	Dir string
	// Command is the docker-compatible command: podman with this engine's
	// options, as a script path.
	Command string
}

// containersConf makes podman work in a container without systemd: runc,
// cgroupfs, no ulimits it may not raise, events in a file, file locks and a
// run directory of its own (the defaults are shared by every podman).
const containersConf = `[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = %[1]s
lock_type = "file"
tmp_dir = %[2]s
`

// New starts nothing (podman has no daemon) but prepares the engine, and
// removes every container and image of it when the test ends. It skips the
// test without root, podman or runc, or fails it under CI=true.
func New(t *testing.T) *Engine {
	t.Helper()
	backendtest.RequireRoot(t)
	backendtest.Require(t, "podman", "runc")
	// podman refuses a run root path longer than 50 characters, which a
	// test's temporary directory easily is.
	dir, err := os.MkdirTemp("", "podman-")
	if err != nil {
		t.Fatal(err)
	}
	if len(dir) > 30 {
		if dir, err = os.MkdirTemp("/tmp", "podman-"); err != nil {
			t.Fatal(err)
		}
	}
	e := &Engine{Dir: dir, Command: filepath.Join(dir, "docker")}
	conf := fmt.Sprintf(containersConf, tomlString(filepath.Join(dir, "events.log")), tomlString(filepath.Join(dir, "tmp")))
	if err := os.WriteFile(filepath.Join(dir, "containers.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n# podman as a private docker engine for nixproc's tests\n" +
		"CONTAINERS_CONF=" + shellquote.Quote(filepath.Join(dir, "containers.conf")) + "\nexport CONTAINERS_CONF\n" +
		"exec podman --root " + shellquote.Quote(filepath.Join(dir, "root")) +
		" --runroot " + shellquote.Quote(filepath.Join(dir, "runroot")) + ` "$@"` + "\n"
	if err := os.WriteFile(e.Command, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.teardown(t) })
	return e
}

func tomlString(s string) string { return fmt.Sprintf("%q", s) }

// Run runs the engine's command and returns its standard output; a failure
// carries the standard error.
func (e *Engine) Run(args ...string) (string, error) {
	cmd := exec.Command(e.Command, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v: %s", filepath.Base(e.Command), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// MustRun is Run that fails the test.
func (e *Engine) MustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.Run(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Containers lists the names of every container, running or not.
func (e *Engine) Containers(t *testing.T) []string {
	t.Helper()
	return fields(e.MustRun(t, "ps", "--all", "--format", "{{.Names}}"))
}

// Images lists every image as repository:tag.
func (e *Engine) Images(t *testing.T) []string {
	t.Helper()
	return fields(e.MustRun(t, "images", "--format", "{{.Repository}}:{{.Tag}}"))
}

func fields(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// teardown removes the containers and images, then unmounts whatever podman
// left mounted below the engine's directory, so it can be deleted.
func (e *Engine) teardown(t *testing.T) {
	if _, err := e.Run("rm", "--all", "--force", "--time", "0"); err != nil {
		t.Logf("cleaning up containers: %v", err)
	}
	if _, err := e.Run("rmi", "--all", "--force"); err != nil {
		t.Logf("cleaning up images: %v", err)
	}
	for _, m := range mountsBelow(e.Dir) {
		if out, err := exec.Command("umount", "-l", m).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s", m, err, out)
		}
	}
	if err := os.RemoveAll(e.Dir); err != nil {
		t.Logf("removing the engine's directory: %v", err)
	}
}

// mountsBelow lists mount points below dir, deepest first.
func mountsBelow(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 4 && (fs[4] == dir || strings.HasPrefix(fs[4], dir+"/")) {
			out = append(out, fs[4])
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// BuildIntoStore builds the Go command in directory pkg statically and adds
// it to the Nix store as <store path>/bin/<name>; it returns the store path.
// It needs root (nix-store --add writes the store) and go.
func BuildIntoStore(t *testing.T, pkg, name string) string {
	t.Helper()
	backendtest.RequireRoot(t)
	backendtest.Require(t, "nix-store", "go")
	dir := filepath.Join(t.TempDir(), name)
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "bin", name), pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v: %s", pkg, err, out)
	}
	add := exec.Command("nix-store", append(append([]string{"--add"}, agnostic.NixOptions...), dir)...)
	out, err := add.Output()
	if err != nil {
		t.Fatalf("nix-store --add %s: %v", dir, err)
	}
	return strings.TrimSpace(string(out))
}
