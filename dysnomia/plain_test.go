package dysnomia

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
	"nixproc/shellquote"
)

// writeFile writes a file, making its directory.
func writeFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(text), mode))
}

// The process module deploys components in Dysnomia's own layout, as
// Disnix hands them over: one executable in bin/ (its PID file is
// <runtimeDir>/<name>.pid) or a specification in etc/dysnomia/process/. A
// stale PID file does not count as running.
func TestLiveProcessModulePlainComponents(t *testing.T) {
	backendtest.Require(t, "go", "sh")
	e := newTestEnv(t)
	e.killUnderOnCleanup()
	webapp := e.buildWebapp()
	ports := backendtest.FreePorts(t, 2)
	run := filepath.Join(e.dir, "run")
	require.NoError(t, os.MkdirAll(run, 0o755))
	props := Props{"DYSNOMIA_STATEDIR": e.state, "runtimeDir": run}

	// bin/ only: the PID file is named after the executable.
	byBin := filepath.Join(e.dir, "components", "by-bin")
	writeFile(t, filepath.Join(byBin, "bin", "webapp-daemon"), fmt.Sprintf("#!/bin/sh\nPORT=%d PID_FILE=%s INSTANCE_NAME=by-bin exec %s -D\n",
		ports[0], shellquote.Quote(filepath.Join(run, "webapp-daemon.pid")), shellquote.Quote(webapp)), 0o755)
	// A stale PID file from a process long gone.
	writeFile(t, filepath.Join(run, "webapp-daemon.pid"), "999999\n", 0o644)

	// A specification: which program, which PID file.
	bySpec := filepath.Join(e.dir, "components", "by-spec")
	pid := filepath.Join(e.dir, "pids", "spec.pid")
	writeFile(t, filepath.Join(bySpec, "bin", "start"), fmt.Sprintf("#!/bin/sh\nPORT=%d PID_FILE=%s INSTANCE_NAME=by-spec exec %s -D\n",
		ports[1], shellquote.Quote(pid), shellquote.Quote(webapp)), 0o755)
	writeFile(t, filepath.Join(bySpec, "bin", "other-tool"), "#!/bin/sh\n", 0o755)
	writeFile(t, filepath.Join(bySpec, "etc/dysnomia/process/web"), fmt.Sprintf("process=%s\npidFile=%s\n",
		shellquote.Quote(filepath.Join(bySpec, "bin", "start")), shellquote.Quote(pid)), 0o444)
	require.NoError(t, os.MkdirAll(filepath.Dir(pid), 0o755))

	for i, c := range []struct{ comp, name string }{{byBin, "by-bin"}, {bySpec, "by-spec"}} {
		t.Cleanup(func() { _ = e.run("process", "deactivate", c.comp, props) })
		require.NoError(t, e.run("process", "activate", c.comp, props), c.name)
		e.requireAnswers(ports[i], c.name)
		assert.FileExists(t, filepath.Join(e.state, "activated", "test-process", c.name))
	}
	for i, c := range []string{byBin, bySpec} {
		require.NoError(t, e.run("process", "deactivate", c, props))
		assert.False(t, backendtest.Listening(ports[i]))
	}
	assert.Empty(t, e.leftovers())
	assert.NoFileExists(t, filepath.Join(run, "webapp-daemon.pid"), "the daemon removed its PID file")

	// Two executables and no specification: which one?
	err := e.run("process", "activate", filepath.Join(bySpec, ".."), props)
	require.Error(t, err)
	twoBins := filepath.Join(e.dir, "components", "two")
	writeFile(t, filepath.Join(twoBins, "bin", "a"), "#!/bin/sh\n", 0o755)
	writeFile(t, filepath.Join(twoBins, "bin", "b"), "#!/bin/sh\n", 0o755)
	err = e.run("process", "activate", twoBins, props)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than one executable in bin/ (a, b)")
}

// sysvinit-script also takes a component in the original layout (init
// scripts and start links, no nixproc metadata).
func TestLiveSysvinitScriptPlainComponent(t *testing.T) {
	backendtest.Require(t, "sh")
	e := newTestEnv(t)
	comp := filepath.Join(e.dir, "components", "plain-sysv")
	log := filepath.Join(e.dir, "log")
	writeFile(t, filepath.Join(comp, "etc/rc.d/init.d/hello"), "#!/bin/sh\necho \"hello $1\" >> "+shellquote.Quote(log)+"\n", 0o755)
	require.NoError(t, os.MkdirAll(filepath.Join(comp, "etc/rc.d/rc3.d"), 0o755))
	require.NoError(t, os.Symlink("../init.d/hello", filepath.Join(comp, "etc/rc.d/rc3.d/S10hello")))
	props := Props{"DYSNOMIA_STATEDIR": e.state, "runlevel": "3"}
	require.NoError(t, e.run("sysvinit-script", "activate", comp, props))
	require.NoError(t, e.run("sysvinit-script", "deactivate", comp, props))
	data, err := os.ReadFile(log)
	require.NoError(t, err)
	assert.Equal(t, "hello start\nhello stop\n", string(data))
}

// The wrapper module runs the component's bin/wrapper with the activity,
// the container and the container's properties; its failure fails the
// activity in one line.
func TestLiveWrapperModule(t *testing.T) {
	backendtest.Require(t, "sh")
	e := newTestEnv(t)
	comp := filepath.Join(e.dir, "components", "wrapped")
	log := filepath.Join(e.dir, "log")
	writeFile(t, filepath.Join(comp, "bin", "wrapper"), "#!/bin/sh\necho \"$1 $2 $greeting\" >> "+shellquote.Quote(log)+
		"\n[ \"$1\" = lock ] && [ -e "+shellquote.Quote(filepath.Join(e.dir, "refuse"))+" ] && { echo 'still busy' >&2; exit 1; }\nexit 0\n", 0o755)
	props := Props{"DYSNOMIA_STATEDIR": e.state, "greeting": "hello world"}
	for _, a := range []string{"activate", "lock", "unlock", "deactivate"} {
		require.NoError(t, e.run("wrapper", a, comp, props))
		if a == "activate" {
			assert.FileExists(t, filepath.Join(e.state, "activated", "test-wrapper", "wrapped"), "the wrapper's activation is marked")
		}
	}
	assert.NoFileExists(t, filepath.Join(e.state, "activated", "test-wrapper", "wrapped"))
	data, err := os.ReadFile(log)
	require.NoError(t, err)
	assert.Equal(t, "activate test-wrapper hello world\nlock test-wrapper hello world\nunlock test-wrapper hello world\ndeactivate test-wrapper hello world\n", string(data))

	writeFile(t, filepath.Join(e.dir, "refuse"), "", 0o644)
	err = e.run("wrapper", "lock", comp, props)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "wrapper lock wrapped: ")
	assert.Contains(t, err.Error(), "still busy")
	assert.False(t, strings.Contains(err.Error(), "\n"))
}
