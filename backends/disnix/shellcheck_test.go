package disnix

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// TestGeneratedWrappersPassShellcheck builds every golden case and runs the
// real shellcheck on the process wrappers, and bash -n on the process
// specifications, which Dysnomia sources.
func TestGeneratedWrappersPassShellcheck(t *testing.T) {
	backendtest.Require(t, "shellcheck", "bash")
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
		scripts, _ := filepath.Glob(filepath.Join(path, ComponentsDir, "*/bin/*"))
		if len(scripts) > 0 {
			out, err := exec.Command("shellcheck", append([]string{"-s", "bash"}, scripts...)...).CombinedOutput()
			require.NoError(t, err, "%s:\n%s", file, out)
		}
		specs, _ := filepath.Glob(filepath.Join(path, ComponentsDir, "*/etc/dysnomia/process/*"))
		for _, spec := range specs {
			out, err := exec.Command("bash", "-n", spec).CombinedOutput()
			require.NoError(t, err, "%s: %s:\n%s", file, spec, out)
		}
	}
}
