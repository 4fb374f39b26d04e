package images

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends/backendtest"
)

func TestDecodeSpec(t *testing.T) {
	spec, err := decodeSpec([]byte(`{"nixprocImage":1,"name":"multiprocess","tag":"test","exprFile":"/m/processes.nix",
		"processManager":"sysvinit","interactive":true,"manpages":false,"forceDisableUserChange":true,
		"extraParams":{"webappMode":"foreground","x":"a\"${b}"},"hostPrograms":["curl"],"config":{"Env":["A=1"],"WorkingDir":"/srv"},
		"stateDir":"/srv/state"}`))
	require.NoError(t, err)
	require.Equal(t, &Spec{
		Name: "multiprocess", Tag: "test", ExprFile: "/m/processes.nix", ProcessManager: "sysvinit",
		Interactive: true, ForceDisableUserChange: true,
		Dirs:         agnostic.Dirs{StateDir: "/srv/state"},
		ExtraParams:  `builtins.fromJSON "{\"webappMode\":\"foreground\",\"x\":\"a\\\"\${b}\"}"`,
		HostPrograms: []string{"curl"},
		Config:       Config{Env: []string{"A=1"}, WorkingDir: "/srv"},
	}, spec)

	for _, c := range []struct{ json, err string }{
		{`{"processes":{}}`, "does not describe an image (call createMultiProcessImage"},
		{`{"nixprocImage":1,"name":"m","exprFile":"/p.nix","processManager":"sysvinit","contents":[]}`, "createMultiProcessImage: unknown parameter \"contents\""},
		{`{"nixprocImage":1,"name":"m","exprFile":"/p.nix","processManager":"systemd"}`, `image m: process manager "systemd" cannot run a multi-process image (one of supervisord, sysvinit, disnix, s6-rc)`},
		{`{"nixprocImage":1,"name":"Multi","exprFile":"/p.nix","processManager":"sysvinit"}`, `image name "Multi" is not valid`},
		{`{"nixprocImage":1,"name":"m","exprFile":"/p.nix","processManager":"sysvinit","config":{"Cmd":["x"]}}`, `config: unknown parameter "Cmd" (the image takes Env, WorkingDir, Labels and ExposedPorts; the command is the process manager's)`},
		{`{"nixprocImage":1,"name":"m","exprFile":"/p.nix","processManager":"sysvinit","config":{"Env":["novalue"]}}`, `config.Env entry "novalue" is not NAME=value`},
		{`{"nixprocImage":1,"name":"m","exprFile":"/p.nix","processManager":"sysvinit","stateDir":"var"}`, `stateDir "var" is not an absolute path`},
		{`{"nixprocImage":2,"name":"m"}`, "format this nixproc does not know (version 2)"},
	} {
		_, err := decodeSpec([]byte(c.json))
		require.Error(t, err, c.json)
		require.Contains(t, err.Error(), c.err)
	}
}

// TestLoadEvaluatesTheExample evaluates the example image expression the
// way nixproc build-image does: defaults, arguments, the model's path kept
// in place, and mistakes named.
func TestLoadEvaluatesTheExample(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	ctx := context.Background()
	example, err := filepath.Abs("../examples/multi-process-image")
	require.NoError(t, err)
	model, err := filepath.Abs("../examples/webapps-agnostic/processes.nix")
	require.NoError(t, err)

	spec, err := Load(ctx, example, LoadOptions{})
	require.NoError(t, err)
	require.Equal(t, &Spec{Name: "multiprocess", Tag: "test", ExprFile: model, ProcessManager: "supervisord", Interactive: true}, spec)

	spec, err = Load(ctx, example+"/default.nix", LoadOptions{
		ArgStrs: map[string]string{"processManager": "disnix"},
		Args:    map[string]string{"forceDisableUserChange": "true"},
	})
	require.NoError(t, err)
	require.Equal(t, "disnix", spec.ProcessManager)
	require.True(t, spec.ForceDisableUserChange)

	_, err = Load(ctx, example, LoadOptions{ArgStrs: map[string]string{"procesManager": "disnix"}})
	require.ErrorContains(t, err, "the image expression takes no argument procesManager (it takes: forceDisableUserChange, pkgs, processManager, system)")

	_, err = Load(ctx, example, LoadOptions{ArgStrs: map[string]string{"processManager": "systemd"}})
	require.ErrorContains(t, err, `process manager "systemd" cannot run a multi-process image`)

	_, err = Load(ctx, "../examples/webapps-agnostic/processes.nix", LoadOptions{})
	require.ErrorContains(t, err, "does not describe an image")

	dir := t.TempDir()
	bad := filepath.Join(dir, "image.nix")
	require.NoError(t, os.WriteFile(bad, []byte(`import <nixproc/create-image-from-steps/create-multi-process-image-universal.nix> {} {
  name = "m"; exprFile = ./p.nix; processManager = "sysvinit"; contents = [];
}`), 0o644))
	_, err = Load(ctx, bad, LoadOptions{})
	require.ErrorContains(t, err, "image.nix")
	require.ErrorContains(t, err, "unexpected argument 'contents'")
	require.NotContains(t, err.Error(), "\n")
}

func TestParseDepends(t *testing.T) {
	require.Equal(t, []string{"python3.11", "media-types", "mime-support", "python3", "libc6"},
		parseDepends("python3.11 (= 3.11.2-6), media-types | mime-support, python3:any, libc6 (>= 2.14), "))
}

func TestReferencedPrograms(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	require.NoError(t, os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755))
	data := filepath.Join(dir, "data")
	require.NoError(t, os.WriteFile(data, []byte("x"), 0o644))
	// Only absolute paths below the usual program directories count.
	text := strings.Join([]string{
		"#!/usr/bin/env bash",
		"start_daemon -p /var/run/nginx.pid /usr/sbin/nginx -c /nix/store/fy0l1mfmzwvm72yhm1bkrbvkz5yccs85-nginx.conf",
		`PATH="$PATH:/usr/local/sbin:/usr/bin"`,
		"x=/usr/bin/no-such-program-nixproc",
		"exec " + prog + " " + data,
	}, "\n")
	got := referencedPrograms([]byte(text))
	want := []string{"/usr/bin/env"}
	if isExecutable("/usr/sbin/nginx") {
		want = append(want, "/usr/sbin/nginx")
	}
	require.Equal(t, want, got)
}
