package sysvinit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// TestGeneratedScriptsPassShellcheck builds every golden case and runs the
// real shellcheck on the scripts.
func TestGeneratedScriptsPassShellcheck(t *testing.T) {
	backendtest.Require(t, "shellcheck")
	files, _ := filepath.Glob("testdata/golden/*.txt")
	for _, file := range files {
		if strings.Contains(file, "error-") {
			continue
		}
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		in, _, _ := strings.Cut(string(data), backendtest.Separator+"\n")
		path, _, err := backendtest.BuildInput(t, Backend{}, []byte(in))
		require.NoError(t, err, file)
		scripts, _ := filepath.Glob(filepath.Join(path, "etc/rc.d/init.d/*"))
		require.NotEmpty(t, scripts, file)
		out, err := exec.Command("shellcheck", append([]string{"-s", "bash"}, scripts...)...).CombinedOutput()
		require.NoError(t, err, "%s:\n%s", file, out)
	}
}
