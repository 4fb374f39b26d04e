package backendtest

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// BuildWebapp builds the examples' webapp (a web server that reads PORT and
// PID_FILE, foreground or with -D a daemon) to dst, for live tests that need
// a real server without Nix, and returns dst.
func BuildWebapp(t *testing.T, dst string) string {
	t.Helper()
	Require(t, "go")
	out, err := exec.Command("go", "build", "-o", dst, "nixproc/examples/webapp").CombinedOutput()
	require.NoError(t, err, "building the webapp: %s", out)
	return dst
}
