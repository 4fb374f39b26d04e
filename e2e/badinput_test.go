package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// TestBadInputChangesNothing: every kind of bad input gets one line that
// says what and where, a non-zero exit, no profile, and the running
// deployment untouched.
func TestBadInputChangesNothing(t *testing.T) {
	backendtest.Require(t, "nix-instantiate", "nginx", "daemon")
	d := newDeployment(t, "sysvinit", true)
	d.switchTo("processes.nix")
	answers(t, 8080, "webapp1.local", "webapp1")
	builds := filepath.Join(d.dir, "builds")
	before := listDir(t, builds)
	gensBefore, _ := d.run(true, "--list-generations")

	for _, c := range []struct {
		name string
		args []string
		want []string // substrings of the one line
	}{
		{"nix syntax error", []string{"testdata/bad/syntax-error.nix"}, []string{"syntax-error.nix:3:", "syntax error"}},
		{"process without a name", []string{"testdata/bad/no-name.nix"}, []string{"no-name.nix", "process anonymous", "no process name"}},
		{"dependency cycle", []string{"testdata/bad/cycle.nix"}, []string{"dependency cycle", "a -> b -> a"}},
		{"missing model file", []string{"testdata/bad/does-not-exist.nix"}, []string{"does-not-exist.nix", "no such file"}},
		{"malformed extra params", []string{"--extra-params", "{ x = ", "../examples/webapps-agnostic/processes.nix"}, []string{"--extra-params"}},
		{"unknown process manager", nil, []string{"unknown process manager", "upstart"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out string
			var err error
			if c.args == nil {
				out, err = runTool(t, d, "nixproc-build", "-P", "upstart", "--no-out-link", "../examples/webapps-agnostic/processes.nix")
			} else {
				out, err = d.run(false, c.args...)
			}
			require.Error(t, err, "bad input must fail")
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			assert.Len(t, lines, 1, "one line of output, got:\n%s", out)
			for _, w := range c.want {
				assert.Contains(t, strings.ToLower(out), strings.ToLower(w))
			}
			assert.Equal(t, before, listDir(t, builds), "no profile was written")
			gens, _ := d.run(true, "--list-generations")
			assert.Equal(t, gensBefore, gens, "the generations are untouched")
			answers(t, 8080, "webapp1.local", "webapp1")
			answers(t, 8080, "webapp2.local", "webapp2")
		})
	}
}

func runTool(t *testing.T, d *deployment, name string, args ...string) (string, error) {
	cmd := execTool(t, name, args...)
	cmd.Env = d.env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func listDir(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
