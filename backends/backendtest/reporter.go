package backendtest

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

// ReporterName is the name a test binary answers to as the reporter: a
// process that writes what it received next to itself — report.args and
// report.env (NUL-separated, exactly as execve gave them), report.misc
// (working directory and umask, a line each) and report.nice — then waits
// for SIGTERM. Tests copy their own binary under this name into a
// deployment, so the exact-bytes checks need no other program.
const ReporterName = "nixproc-test-reporter"

// RunReporterIfCalled acts as the reporter when the binary runs under
// ReporterName, and tells whether it did; call it first in TestMain and
// return when it says true.
func RunReporterIfCalled() bool {
	if filepath.Base(os.Args[0]) != ReporterName {
		return false
	}
	dir := filepath.Dir(os.Args[0])
	var args, env bytes.Buffer
	for _, a := range os.Args[1:] {
		args.WriteString(a + "\x00")
	}
	for _, e := range os.Environ() {
		env.WriteString(e + "\x00")
	}
	cwd, _ := os.Getwd()
	mask := syscall.Umask(0)
	syscall.Umask(mask)
	nice := "?"
	if stat, err := os.ReadFile("/proc/self/stat"); err == nil {
		if i := bytes.LastIndexByte(stat, ')'); i > 0 {
			if f := strings.Fields(string(stat[i+1:])); len(f) > 16 {
				nice = f[16]
			}
		}
	}
	// The arguments last: tests wait for them.
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"report.misc", []byte(fmt.Sprintf("%s\n%04o\n", cwd, mask))},
		{"report.nice", []byte(nice + "\n")},
		{"report.env", env.Bytes()},
		{"report.args", args.Bytes()},
	} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			os.Exit(1)
		}
	}
	fmt.Println("reporter: reported")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	return true
}
