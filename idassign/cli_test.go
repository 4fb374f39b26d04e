package idassign_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// These tests run the real binary through a link named nixproc-id-assign
// (as make install makes it), with the real nix-instantiate.

var idAssign string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nixproc-idassign-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin := filepath.Join(dir, "nixproc")
	build := exec.Command("go", "build", "-o", bin, "../cmd/nixproc")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building nixproc:", err)
		os.Exit(1)
	}
	idAssign = filepath.Join(dir, "nixproc-id-assign")
	if err := os.Symlink(bin, idAssign); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixtures copies testdata files into a fresh directory (models read
// ./ids.nix next to themselves, and tests write there).
func fixtures(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), data, 0o644))
	}
	return dir
}

type result struct {
	stdout, stderr string
	err            error
}

func run(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(idAssign, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return result{stdout.String(), stderr.String(), err}
}

func mustRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := run(t, dir, args...)
	require.NoError(t, r.err, "nixproc-id-assign %s: %s", strings.Join(args, " "), r.stderr)
	assert.Empty(t, r.stderr)
	return r.stdout
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

const freshIDs = `{
  "ids" = {
    "gids" = {
      "nginx" = 2000;
      "webapp1" = 2001;
      "webapp2" = 2002;
    };
    "nginxPorts" = {
      "nginx" = 8080;
    };
    "uids" = {
      "nginx" = 2000;
      "webapp1" = 2001;
      "webapp2" = 2002;
    };
    "webappPorts" = {
      "webapp1" = 5000;
      "webapp2" = 5001;
    };
  };
  "lastAssignments" = {
    "gids" = 2002;
    "nginxPorts" = 8080;
    "uids" = 2002;
    "webappPorts" = 5001;
  };
}
`

func TestCLIAssignsThroughNix(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := fixtures(t, "idresources.nix", "processes.nix")

	// first run: no ids yet, printed on standard output
	assert.Equal(t, freshIDs, mustRun(t, dir, "--id-resources", "idresources.nix", "processes.nix"))

	// the process manager shapes pkg only: the IDs are the same
	assert.Equal(t, freshIDs, mustRun(t, dir, "-P", "disnix", "--id-resources", "idresources.nix", "processes.nix"))

	// written to a file, then updated in place: nothing changes
	mustRun(t, dir, "--id-resources", "idresources.nix", "--output-file", "ids.nix", "processes.nix")
	assert.Equal(t, freshIDs, read(t, filepath.Join(dir, "ids.nix")))
	mustRun(t, dir, "--id-resources", "idresources.nix", "--ids", "ids.nix", "--output-file", "ids.nix", "processes.nix")
	assert.Equal(t, freshIDs, read(t, filepath.Join(dir, "ids.nix")))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 3, "a temporary file was left behind")

	// a new process sorting first gets the next IDs; nobody else moves
	mustRun(t, dir, "--extra-params", "{ withExtra = true; }", "--id-resources", "idresources.nix",
		"--ids", "ids.nix", "--output-file", "ids.nix", "processes.nix")
	withExtra := read(t, filepath.Join(dir, "ids.nix"))
	assert.Equal(t, strings.NewReplacer(
		`    "gids" = {
`, `    "gids" = {
      "aaa" = 2003;
`,
		`    "uids" = {
`, `    "uids" = {
      "aaa" = 2003;
`,
		`    "webappPorts" = {
`, `    "webappPorts" = {
      "aaa" = 5002;
`,
		`"gids" = 2002;`, `"gids" = 2003;`,
		`"uids" = 2002;`, `"uids" = 2003;`,
		`"webappPorts" = 5001;`, `"webappPorts" = 5002;`,
	).Replace(freshIDs), withExtra)

	// it goes again: its IDs are dropped, the cursor stays (no early reuse)
	mustRun(t, dir, "--id-resources", "idresources.nix", "--ids", "ids.nix", "--output-file", "ids.nix", "processes.nix")
	assert.Equal(t, strings.NewReplacer(
		`"gids" = 2002;`, `"gids" = 2003;`,
		`"uids" = 2002;`, `"uids" = 2003;`,
		`"webappPorts" = 5001;`, `"webappPorts" = 5002;`,
	).Replace(freshIDs), read(t, filepath.Join(dir, "ids.nix")))

	// JSON output, from the Nix ids file
	assert.JSONEq(t, `{
		"ids": {
			"gids": {"nginx": 2000, "webapp1": 2001, "webapp2": 2002},
			"nginxPorts": {"nginx": 8080},
			"uids": {"nginx": 2000, "webapp1": 2001, "webapp2": 2002},
			"webappPorts": {"webapp1": 5000, "webapp2": 5001}
		},
		"lastAssignments": {"gids": 2003, "nginxPorts": 8080, "uids": 2003, "webappPorts": 5002}
	}`, mustRun(t, dir, "--output-json", "--id-resources", "idresources.nix", "--ids", "ids.nix", "processes.nix"))
}

func TestCLIStepFromNixIsHonoured(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := fixtures(t, "idresources.nix", "processes.nix")
	// nginxPorts has step = 10: the original dropped step for Nix input
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ids.nix"),
		[]byte(`{ ids = { nginxPorts = { nginx = 8085; }; }; lastAssignments = { nginxPorts = 8085; }; }`), 0o644))
	out := mustRun(t, dir, "--output-json", "--id-resources", "idresources.nix", "--ids", "ids.nix", "processes.nix")
	assert.Contains(t, out, `"nginxPorts": {
      "nginx": 8090
    }`)
}

func TestCLIServicesModel(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := fixtures(t, "services.nix", "idresources-services.json")
	want := `{
  "ids" = {
    "ports" = {
      "proxy" = 4000;
      "server" = 4001;
    };
    "uids" = {
      "server" = 3000;
    };
  };
  "lastAssignments" = {
    "ports" = 4001;
    "uids" = 3000;
  };
}
`
	assert.Equal(t, want, mustRun(t, dir, "--id-resources", "idresources-services.json", "--services", "services.nix"))

	// the model reads its assignments back
	mustRun(t, dir, "--id-resources", "idresources-services.json", "--services", "services.nix", "--output-file", "ids.nix")
	assert.Equal(t, want, read(t, filepath.Join(dir, "ids.nix")))
	out, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "--option", "substituters", "",
		"-E", fmt.Sprintf(`(import %s/services.nix { distribution = {}; invDistribution = {}; system = null; pkgs = null; }).server.port`, dir)).Output()
	require.NoError(t, err)
	assert.Equal(t, "4001", strings.TrimSpace(string(out)))
}

func TestCLIJSONInputsNeedNoNix(t *testing.T) {
	dir := fixtures(t, "idresources.json", "processes.json")
	// an empty PATH: nix-instantiate cannot be found
	cmd := exec.Command(idAssign, "--output-json", "--id-resources", "idresources.json", "processes.json")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/nonexistent", "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.JSONEq(t, `{
		"ids": {"ports": {"a": 100, "b": 150}, "uids": {"a": 1000}},
		"lastAssignments": {"ports": 150, "uids": 1000}
	}`, string(out))

	require.NoError(t, os.WriteFile(filepath.Join(dir, "ids.json"), out, 0o644))
	cmd = exec.Command(idAssign, "--id-resources", "idresources.json", "--ids", "ids.json", "--output-file", "ids.json", "--output-json", "processes.json")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/nonexistent", "HOME=" + dir}
	again, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", again)
	assert.Equal(t, string(out), read(t, filepath.Join(dir, "ids.json")))
}

func TestCLIBadInput(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	const sentinel = "# the previous ids.nix, which a failed run must leave alone\n"
	for _, tc := range []struct {
		name  string
		args  []string
		files []string
		want  []string // parts of the one-line message
	}{{
		name:  "unknown resource requested",
		args:  []string{"--id-resources", "idresources.nix", "processes-unknown-resource.nix"},
		files: []string{"idresources.nix", "processes-unknown-resource.nix"},
		want:  []string{"process webapp", "requiresUniqueIdsFor", "unknown ID resource prots", "known: gids, nginxPorts, uids, webappPorts"},
	}, {
		name:  "min above max",
		args:  []string{"--id-resources", "idresources-min-above-max.nix", "processes.nix"},
		files: []string{"idresources-min-above-max.nix", "processes.nix"},
		want:  []string{"idresources-min-above-max.nix", "resource webappPorts", "min 6000 is greater than max 5000"},
	}, {
		name:  "exhausted pool",
		args:  []string{"--id-resources", "idresources-small.nix", "processes.nix"},
		files: []string{"idresources-small.nix", "processes.nix"},
		want:  []string{"ID resource webappPorts is exhausted", "2 processes need an ID", "5000..5000 holds only 1"},
	}, {
		name:  "malformed ids file",
		args:  []string{"--id-resources", "idresources.nix", "--ids", "ids-malformed.nix", "processes.nix"},
		files: []string{"idresources.nix", "ids-malformed.nix", "processes.nix"},
		want:  []string{"IDs ids-malformed.nix", `ids.webappPorts.webapp1 must be a whole number, got the string "5000"`},
	}, {
		name:  "ids file with a syntax error",
		args:  []string{"--id-resources", "idresources.nix", "--ids", "ids-syntax-error.nix", "processes.nix"},
		files: []string{"idresources.nix", "ids-syntax-error.nix", "processes.nix"},
		want:  []string{"evaluating IDs ids-syntax-error.nix", "ids-syntax-error.nix:", "syntax error"},
	}, {
		name:  "missing ids file",
		args:  []string{"--id-resources", "idresources.nix", "--ids", "nothere.nix", "processes.nix"},
		files: []string{"idresources.nix", "processes.nix"},
		want:  []string{"IDs nothere.nix: no such file or directory"},
	}, {
		name:  "no resources model",
		args:  []string{"processes.nix"},
		files: []string{"processes.nix"},
		want:  []string{"an ID resources model must be given (--id-resources FILE)"},
	}, {
		name:  "no processes model",
		args:  []string{"--id-resources", "idresources.nix"},
		files: []string{"idresources.nix"},
		want:  []string{"no processes model given"},
	}, {
		name:  "unknown process manager",
		args:  []string{"-P", "upstart", "--id-resources", "idresources.nix", "processes.nix"},
		files: []string{"idresources.nix", "processes.nix"},
		want:  []string{`unknown process manager "upstart"`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fixtures(t, tc.files...)
			out := filepath.Join(dir, "out.nix")
			require.NoError(t, os.WriteFile(out, []byte(sentinel), 0o644))
			r := run(t, dir, append(tc.args, "--output-file", "out.nix")...)
			require.Error(t, r.err)
			assert.NotEqual(t, 0, r.err.(*exec.ExitError).ExitCode())
			msg := strings.TrimSuffix(r.stderr, "\n")
			assert.NotContains(t, msg, "\n", "the error is one line")
			assert.True(t, strings.HasPrefix(msg, "nixproc-id-assign: "), msg)
			for _, w := range tc.want {
				assert.Contains(t, msg, w)
			}
			assert.Empty(t, r.stdout)
			assert.Equal(t, sentinel, read(t, out), "the output file was touched")
			entries, _ := os.ReadDir(dir)
			assert.Len(t, entries, len(tc.files)+1, "a file was left behind")
		})
	}
}

func TestCLIDuplicateInIDsIsRepairedWithAWarning(t *testing.T) {
	backendtest.Require(t, "nix-instantiate")
	dir := fixtures(t, "idresources.nix", "processes.nix")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ids.nix"), []byte(`{
  ids.webappPorts = { webapp1 = 5000; webapp2 = 5000; };
  lastAssignments.webappPorts = 5000;
}`), 0o644))
	r := run(t, dir, "--output-json", "--id-resources", "idresources.nix", "--ids", "ids.nix", "processes.nix")
	require.NoError(t, r.err, r.stderr)
	assert.Equal(t, "nixproc-id-assign: warning: ids.webappPorts: 5000 was assigned to both webapp1 and webapp2; webapp2 gets a new one\n", r.stderr)
	assert.Contains(t, r.stdout, `"webappPorts": {
      "webapp1": 5000,
      "webapp2": 5001
    }`)
}
