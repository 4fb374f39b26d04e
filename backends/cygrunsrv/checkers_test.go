package cygrunsrv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// splitArgs splits --args as cygrunsrv does when it starts the service
// (eval_arglist in cygrunsrv.cc): at spaces; a word that starts with ' or "
// runs to the next such quote, which is dropped; no escapes.
func splitArgs(s string) []string {
	var words []string
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			continue
		}
		stop := byte(' ')
		if s[i] == '\'' || s[i] == '"' {
			stop = s[i]
			i++
		}
		j := strings.IndexByte(s[i:], stop)
		if j < 0 {
			words = append(words, s[i:])
			break
		}
		words = append(words, s[i:i+j])
		i += j
	}
	return words
}

// readParams reads a parameters file the way the deployer (and Dysnomia's
// cygrunsrv module, with xargs -d '\n') hands it to cygrunsrv: one argument
// per line.
func readParams(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(string(data), "\n"))
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func optionValues(opts []string, flag string) []string {
	var out []string
	for i := 0; i+1 < len(opts); i++ {
		if opts[i] == flag {
			out = append(out, opts[i+1])
			i++
		}
	}
	return out
}

// The exact-bytes case: what cygrunsrv's own splitting makes of --args is
// the model's arguments, byte for byte, and every --env value is the
// model's value.
func TestExactBytesThroughCygrunsrvsSplitting(t *testing.T) {
	profile := backendtest.GoldenProfiles(t, Backend{})["exact-bytes"]
	require.NotEmpty(t, profile)
	opts := readParams(t, filepath.Join(profile, paramsRel("tricky")))
	args := optionValues(opts, "-a")
	require.Len(t, args, 1)
	require.Equal(t, []string{"with space", "it's", `"double"`, "'single'", `it's"x"y`, `say "hi"`, "it's here", "$HOME", "100%", `back\slash`, ";", "semi;colon", "#hash", "tab\there", "ünïcödé", "", "-x", `a"b`}, splitArgs(args[0]))
	require.Equal(t, []string{`BACKSLASH=c:\dir\`, "DOLLAR=$PATH", "EQUALS=a=b", "PERCENT=%s%%", `QUOTES='"`, "SPACES= x "}, optionValues(opts, "-e"))
}

// The parameters reach cygrunsrv as separate arguments when handed over
// the way Dysnomia's module does it (xargs -d '\n'), spaces and quotes
// untouched.
func TestParamsFileThroughXargs(t *testing.T) {
	backendtest.Require(t, "xargs")
	profile := backendtest.GoldenProfiles(t, Backend{})["exact-bytes"]
	file := filepath.Join(profile, paramsRel("tricky"))
	out, err := exec.Command("sh", "-c", `xargs -d '\n' -a "$1" printf '%s\0'`, "sh", file).Output()
	require.NoError(t, err)
	require.Equal(t, readParams(t, file), strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00"))
}

// The foreground proxies the services run are valid bash.
func TestGoldenProxiesAreValidBash(t *testing.T) {
	backendtest.Require(t, "bash")
	for name, profile := range backendtest.GoldenProfiles(t, Backend{}) {
		proxies, _ := filepath.Glob(filepath.Join(profile, "libexec/*"))
		for _, p := range proxies {
			out, err := exec.Command("bash", "-n", p).CombinedOutput()
			require.NoError(t, err, "%s: %s: %s", name, p, out)
		}
	}
}
