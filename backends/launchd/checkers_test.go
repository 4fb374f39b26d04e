package launchd

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"howett.net/plist"

	"nixproc/backends/backendtest"
)

// readBack has libplist (plistutil) parse a plist and write it in binary
// form, and returns what that binary plist holds: libplist's reading of
// the file, independent of the library that wrote it.
func readBack(t *testing.T, file string) map[string]any {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "out.bplist")
	out, err := exec.Command("plistutil", "-i", file, "-o", bin, "-f", "bin").CombinedOutput()
	require.NoError(t, err, "plistutil %s: %s", file, out)
	data, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.NotEmpty(t, data, "plistutil could not read %s", file)
	var v map[string]any
	format, err := plist.Unmarshal(data, &v)
	require.NoError(t, err)
	require.Equal(t, plist.BinaryFormat, format)
	return v
}

// Every plist of every golden case is read by plistutil to the same values
// it was written with.
func TestGoldenPlistsRoundTripThroughPlistutil(t *testing.T) {
	backendtest.Require(t, "plistutil")
	profiles := backendtest.GoldenProfiles(t, Backend{})
	var files []string
	for _, profile := range profiles {
		found, _ := filepath.Glob(filepath.Join(profile, plistDirRel, "*.plist"))
		files = append(files, found...)
	}
	sort.Strings(files)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var written map[string]any
		_, err = plist.Unmarshal(data, &written)
		require.NoError(t, err, f)
		require.Equal(t, written, readBack(t, f), f)
	}
}

// The exact-bytes case: every argument and environment value arrives in
// libplist's reading byte for byte, XML metacharacters, newlines and
// carriage returns included.
func TestExactBytesThroughPlistutil(t *testing.T) {
	backendtest.Require(t, "plistutil")
	profile := backendtest.GoldenProfiles(t, Backend{})["exact-bytes"]
	require.NotEmpty(t, profile)
	v := readBack(t, filepath.Join(profile, plistRel("org.nixos.tricky")))
	want := []any{"/bin/tricky", "with space", "it's", `"double"`, "$HOME", "100%", `back\slash`, ";", "semi;colon", "#hash", "new\nline", "cr\rlf", "tab\tbed", "<tag>&amp;", "]]>", "ünïcödé", "", "  lead"}
	require.Equal(t, want, v["ProgramArguments"])
	require.Equal(t, map[string]any{
		"DOLLAR": "$PATH", "QUOTES": `'"`, "NEWLINE": "a\nb", "XML": `<a b="c">&</a>`, "SPACES": " x ", "UNICODE": "ünï",
	}, v["EnvironmentVariables"])
}

// The foreground proxies the plists run are valid bash.
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
