package backendtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/cmdrun"
)

// Recorded is a deployment whose commands are recorded instead of run, for
// process managers that cannot run here: profiles, generations and state
// directories live in a temporary directory; the switch engine is the real
// one.
type Recorded struct {
	t        *testing.T
	Backend  backends.Backend
	Dir      string
	Profiles backends.Profiles
	Dirs     agnostic.Dirs
	Recorder *cmdrun.Recorder
	Options  map[string]string
	Stderr   bytes.Buffer
}

// NewRecorded prepares a recorded deployment for a backend.
func NewRecorded(t *testing.T, b backends.Backend, options map[string]string) *Recorded {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	if options == nil {
		options = map[string]string{}
	}
	return &Recorded{
		t: t, Backend: b, Dir: dir,
		Profiles: backends.Profiles{Dir: filepath.Join(dir, "profiles"), Name: "processes"},
		Dirs:     agnostic.Dirs{StateDir: filepath.Join(dir, "state")},
		Recorder: &cmdrun.Recorder{},
		Options:  options,
	}
}

// Build builds a JSON model (the text of a processes.json) and returns the
// profile.
func (r *Recorded) Build(model string) string {
	r.t.Helper()
	path, err := r.TryBuild(model)
	require.NoError(r.t, err)
	return path
}

// TryBuild is Build that returns the error.
func (r *Recorded) TryBuild(model string) (string, error) {
	f, err := os.CreateTemp(r.Dir, "model-*.json")
	require.NoError(r.t, err)
	_, err = f.WriteString(model)
	require.NoError(r.t, err)
	require.NoError(r.t, f.Close())
	return backends.Build(context.Background(), r.Backend, backends.BuildOptions{
		Eval: agnostic.EvalOptions{ExprFile: f.Name(), Dirs: r.Dirs},
	})
}

func (r *Recorded) env() *backends.Env {
	return &backends.Env{
		Dirs:    r.Dirs.Resolved(),
		Runner:  r.Recorder,
		Stdout:  &r.Stderr,
		Stderr:  &r.Stderr,
		Options: r.Options,
	}
}

// Switch deploys a built profile as a new generation.
func (r *Recorded) Switch(profile string) error {
	return backends.Switch(context.Background(), backends.SwitchOptions{Env: r.env(), Profiles: r.Profiles, NewPath: profile})
}

// Rollback switches to the generation before the current one.
func (r *Recorded) Rollback() error {
	n, err := r.Profiles.Previous()
	if err != nil {
		return err
	}
	return backends.Switch(context.Background(), backends.SwitchOptions{Env: r.env(), Profiles: r.Profiles, Generation: n})
}

// Calls returns the commands recorded since the last call, one line each,
// with the given profiles written as $P1, $P2... and forgets them.
func (r *Recorded) Calls(profiles ...string) []string {
	lines := r.Recorder.Lines()
	r.Recorder.Calls = nil
	for i, l := range lines {
		for j, p := range profiles {
			l = strings.ReplaceAll(l, p, "$P"+strconv.Itoa(j+1))
		}
		lines[i] = l
	}
	return lines
}

// Current is the profile of the current generation.
func (r *Recorded) Current() string {
	r.t.Helper()
	path, _, err := r.Profiles.Current()
	require.NoError(r.t, err)
	return path
}

// ExitError is the error a recorded command fails with: what cmdrun.Exec
// returns for a command that exits with code after printing output.
func ExitError(c cmdrun.Cmd, code int, output string) error {
	err := exec.Command("sh", "-c", "exit "+strconv.Itoa(code)).Run()
	return &cmdrun.Error{Cmd: c, Output: output, Err: err}
}
