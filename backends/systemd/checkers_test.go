package systemd

import (
	"bufio"

	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// Every unit of every golden case passes systemd-analyze verify without a
// word of output: systemd itself finds nothing to complain about.
func TestGoldenUnitsPassSystemdAnalyzeVerify(t *testing.T) {
	backendtest.Require(t, "systemd-analyze")
	profiles := backendtest.GoldenProfiles(t, Backend{})
	for _, name := range sortedCases(profiles) {
		units, _ := filepath.Glob(filepath.Join(profiles[name], unitDirRel, "*.service"))
		require.NotEmpty(t, units, name)
		out, err := exec.Command("systemd-analyze", append([]string{"verify", "--man=no"}, units...)...).CombinedOutput()
		require.NoError(t, err, "%s: %s", name, out)
		require.Empty(t, string(out), "%s: systemd-analyze verify complains", name)
	}
}

// systemdTest runs systemd --test (the manager loading units as it would at
// boot, dumping them) on the units of dir, with unit as the one to start.
func systemdTest(t *testing.T, dir, unit string, extra ...string) string {
	t.Helper()
	backendtest.Require(t, "setpriv")
	systemd := "/lib/systemd/systemd"
	if _, err := os.Stat(systemd); err != nil {
		backendtest.Require(t, "systemd")
		systemd = "systemd"
	}
	args := append([]string{"--test", "--system", "--no-pager", "--log-target=console", "--unit=" + unit}, extra...)
	cmd := exec.Command(systemd, args...)
	if os.Geteuid() == 0 {
		// systemd --test refuses to run as root.
		cmd = exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", systemd}, args...)...)
	}
	cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+dir+":")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

// readableDir is a directory systemd --test, running as nobody, can read.
func readableDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "nixproc-systemd-test-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir
}

// systemd's manager, loading the units of every golden case with its most
// verbose logging, has nothing to say about any line of them.
func TestGoldenUnitsLoadWithoutAWordFromSystemd(t *testing.T) {
	backendtest.Require(t, "systemd-analyze")
	profiles := backendtest.GoldenProfiles(t, Backend{})
	for _, name := range sortedCases(profiles) {
		dir := readableDir(t)
		units, _ := filepath.Glob(filepath.Join(profiles[name], unitDirRel, "*.service"))
		var wants []string
		for _, u := range units {
			data, err := os.ReadFile(u)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(u)), data, 0o644))
			wants = append(wants, filepath.Base(u))
		}
		target := "[Unit]\nDescription=all units of " + name + "\nWants=" + strings.Join(wants, " ") + "\n"
		require.NoError(t, os.WriteFile(filepath.Join(dir, "nixproc-test.target"), []byte(target), 0o644))
		out := systemdTest(t, dir, "nixproc-test.target", "--log-level=debug")
		for _, u := range wants {
			require.Contains(t, out, "\t-> Unit "+u+":", "%s: systemd did not load %s", name, u)
			require.NotContains(t, out, filepath.Join(dir, u)+":", "%s: systemd has something to say about %s", name, u)
		}
	}
}

// The exact-bytes case: systemd's own parser (systemd --test, which loads
// units as the manager does and dumps them) reads back every argument and
// environment value of the model byte for byte.
func TestExactBytesThroughSystemdsOwnParser(t *testing.T) {
	backendtest.Require(t, "systemd-analyze")
	profile := backendtest.GoldenProfiles(t, Backend{})["exact-bytes"]
	require.NotEmpty(t, profile)
	unitName := UnitName("tricky")
	dir := readableDir(t)
	data, err := os.ReadFile(filepath.Join(profile, unitDirRel, unitName))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, unitName), data, 0o644))
	out := systemdTest(t, dir, unitName, "--log-level=debug")
	require.NotContains(t, out, dir+"/"+unitName+":", "systemd warns about the unit")

	dump := unitDump(t, out, unitName)
	require.Equal(t, []string{`Quotes "and" $dollars, 100%`}, dump["Description"])

	wantArgs := []string{"/bin/printf", "with space", "it's", `"double"`, "$HOME", "${HOME}", "$$", "100%", "%n", `back\slash`, `trailing\`, ";", "semi;colon", "#hash", "new\nline", "tab\there", "ünïcödé", "", "\x01ctl"}
	require.Len(t, dump["Command Line"], 1)
	words := dumpWords(t, dump["Command Line"][0])
	for i, w := range words {
		words[i] = execExpand(t, w)
	}
	require.Equal(t, wantArgs, words)

	wantEnv := []string{
		`BACKSLASH=c:\dir\`, "DOLLAR=$PATH", "EMPTY=", "HASH=#x;y", "NEWLINE=a\nb",
		"PERCENT=%s%%", `QUOTES='"`, "SPACES= lead and trail ", "UNICODE=ünï",
	}
	require.Equal(t, wantEnv, dump["Environment"])
}

func sortedCases(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unitDump returns the settings systemd --test printed for one unit. A
// value may span lines (an environment value with a newline): lines that do
// not start with a tab continue the previous value.
func unitDump(t *testing.T, out, unitName string) map[string][]string {
	t.Helper()
	res := map[string][]string{}
	in := false
	var last *string
	var lastKey string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "\t-> Unit "+unitName+":":
			in = true
			continue
		case strings.HasPrefix(line, "\t-> Unit "):
			in = false
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(line, "\t") {
			if last != nil {
				*last += "\n" + line
				res[lastKey][len(res[lastKey])-1] = *last
			}
			continue
		}
		k, v, ok := strings.Cut(strings.TrimLeft(line, "\t"), ": ")
		if !ok {
			last = nil
			continue
		}
		res[k] = append(res[k], v)
		lastKey, last = k, &v
	}
	require.NotEmpty(t, res, "no dump of %s in systemd's output", unitName)
	return res
}

// dumpWords splits a command line as systemd dumps it: words separated by
// spaces, quoted ones in double quotes with C escapes.
func dumpWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			i++
			continue
		}
		if s[i] != '"' {
			j := strings.IndexByte(s[i:], ' ')
			if j < 0 {
				j = len(s) - i
			}
			words = append(words, s[i:i+j])
			i += j
			continue
		}
		var b strings.Builder
		i++
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] != '\\' {
				b.WriteByte(s[i])
				continue
			}
			i++
			require.Less(t, i, len(s), "dangling backslash in %q", s)
			switch c := s[i]; c {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'a':
				b.WriteByte('\a')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'v':
				b.WriteByte('\v')
			case 'x':
				n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
				require.NoError(t, err)
				b.WriteByte(byte(n))
				i += 2
			case '0', '1', '2', '3':
				n, err := strconv.ParseUint(s[i:i+3], 8, 8)
				require.NoError(t, err)
				b.WriteByte(byte(n))
				i += 2
			default:
				b.WriteByte(c)
			}
		}
		require.Less(t, i, len(s), "unterminated quote in %q", s)
		words = append(words, b.String())
		i++
	}
	return words
}

// execExpand applies what systemd does to an argument when it runs the
// command: $$ is a $, and $NAME or ${NAME} would be replaced — which the
// generated units must never leave to chance.
func execExpand(t *testing.T, w string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] != '$' {
			b.WriteByte(w[i])
			continue
		}
		if i+1 < len(w) && w[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if i+1 < len(w) && (w[i+1] == '{' || w[i+1] == '_' || w[i+1] >= 'A' && w[i+1] <= 'Z' || w[i+1] >= 'a' && w[i+1] <= 'z') {
			t.Fatalf("argument %q leaves a variable substitution to systemd", w)
		}
		b.WriteByte('$')
	}
	return b.String()
}
