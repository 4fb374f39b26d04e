package sysvinit

import (
	"testing"

	"nixproc/agnostic"
	"nixproc/backends"
)

// benchProcess is shaped like a process of bench/generated.nix: a
// foreground process with arguments, an environment, a dependency and
// runlevels, the common case of a large profile.
func benchProcess() *Params {
	foreground := false
	return &Params{
		Name:            "proc42",
		InstanceName:    "proc42",
		Description:     "Generated process 42",
		Process:         "/bin/sleep",
		ProcessIsDaemon: &foreground,
		Args:            agnostic.Strings{"infinity"},
		Environment:     agnostic.StringMap{"PORT": "10042", "PID_FILE": "/tmp/proc42.pid"},
		Dependencies:    []string{"proc41"},
		Runlevels:       []int{3, 4, 5},
		ReloadSignal:    "-HUP",
	}
}

func BenchmarkRenderScript(b *testing.B) {
	ctx := &backends.Context{Dirs: agnostic.Dirs{}.Resolved()}
	p := benchProcess()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		renderScript(ctx, p)
	}
}
