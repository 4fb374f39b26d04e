package sysvinit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
	"nixproc/cmdrun"
)

var trickyArgs = []string{"with space", "it's", `"double"`, "$HOME", "`date`", "100%", `back\slash`, `trailing\`,
	"semi;colon", "#hash", "new\nline", "trailing newline\n", "ünïcödé ☃", "", "-n", "*"}

var trickyEnv = map[string]string{
	"DOLLAR": "$PATH and ${HOME}", "QUOTES": `it's "quoted"`, "PERCENT": "100% %s %%",
	"BACKSLASH": `C:\dir\`, "SEMI": "a;b #c", "NEWLINE": "line one\nline two\n", "UNICODE": "ünïcödé ☃ 日本",
	"EMPTY": "", "SPACES": "  padded  ",
}

// recorder is a program that records what it received (arguments NUL
// separated, one file per variable) and stays running in the foreground.
const recorder = `#!/bin/bash
printf '%s\0' "$@" > "$OUT/args"
for v in DOLLAR QUOTES PERCENT BACKSLASH SEMI NEWLINE UNICODE EMPTY SPACES; do
  printf '%s' "${!v}" > "$OUT/env.$v"
done
touch "$OUT/done"
exec sleep 1000
`

// TestExactBytesReachTheProcess deploys a process whose arguments and
// environment hold every character that quoting can get wrong; the running
// process must receive them byte for byte.
func TestExactBytesReachTheProcess(t *testing.T) {
	backendtest.Require(t, "daemon", "bash")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	require.NoError(t, os.MkdirAll(out, 0o755))
	prog := filepath.Join(dir, "recorder")
	require.NoError(t, os.WriteFile(prog, []byte(recorder), 0o755))
	env := map[string]string{"OUT": out}
	for k, v := range trickyEnv {
		env[k] = v
	}
	model := map[string]any{"tricky": map[string]any{"pkg": map[string]any{
		"name": "tricky", "instanceName": "tricky", "foregroundProcess": prog,
		"args": trickyArgs, "environment": env,
	}}}
	data, _ := json.Marshal(model)
	file := filepath.Join(dir, "processes.json")
	require.NoError(t, os.WriteFile(file, data, 0o644))
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))

	dirs := agnostic.Dirs{StateDir: filepath.Join(dir, "state")}
	path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{
		Eval: agnostic.EvalOptions{ExprFile: file, Dirs: dirs}, ForceDisableUserChange: true,
	})
	require.NoError(t, err)
	profiles := backends.Profiles{Dir: filepath.Join(dir, "profiles"), Name: "processes"}
	denv := &backends.Env{Dirs: dirs.Resolved(), ForceDisableUserChange: true, Runner: cmdrun.Exec{}}
	require.NoError(t, backends.Switch(context.Background(), backends.SwitchOptions{Env: denv, Profiles: profiles, NewPath: path}))
	t.Cleanup(func() {
		empty, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{Dirs: dirs}, ForceDisableUserChange: true})
		if err == nil {
			_ = backends.Switch(context.Background(), backends.SwitchOptions{Env: denv, Profiles: profiles, NewPath: empty})
		}
	})

	backendtest.WaitFor(t, 10*time.Second, "the recorder ran", func() error {
		_, err := os.Stat(filepath.Join(out, "done"))
		return err
	})
	args, err := os.ReadFile(filepath.Join(out, "args"))
	require.NoError(t, err)
	assert.Equal(t, strings.Join(trickyArgs, "\x00")+"\x00", string(args))
	for k, want := range trickyEnv {
		got, err := os.ReadFile(filepath.Join(out, "env."+k))
		require.NoError(t, err)
		assert.Equal(t, want, string(got), fmt.Sprintf("environment variable %s", k))
	}
}
