package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// nixproc is the binary under test, built once for the package.
var nixproc string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nixproc-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	nixproc = filepath.Join(dir, "nixproc")
	build := exec.Command("go", "build", "-o", nixproc, "../cmd/nixproc")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building nixproc:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tool returns a link to nixproc named as one of the original tools, so the
// tests go through the argv[0] dispatch users get from make install.
func tool(t *testing.T, name string) string {
	link := filepath.Join(filepath.Dir(nixproc), name)
	if _, err := os.Lstat(link); err != nil {
		if err := os.Symlink(nixproc, link); err != nil {
			t.Fatal(err)
		}
	}
	return link
}

func execTool(t *testing.T, name string, args ...string) *exec.Cmd {
	return exec.Command(tool(t, name), args...)
}
