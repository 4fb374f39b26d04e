package s6rc

import (
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// trickyWords are values that break naive quoting.
var trickyWords = []string{
	"plain", "with space", "it's", `"double"`, `\`, `\\`, `\"`, `"\`, `\n`, `\x41`, `\0`,
	"$HOME", "${PATH}", "$", "%s%%", "semi;colon", "#hash", "# comment", "{", "}", "{ }", "",
	" ", "\t", "new\nline", "\n", "trailing newline\n", "ünïcödé", "日本語", "\x01\x7f",
	"back\\slash at end\\", "'single'", "`backtick`", "a\"b\"c",
}

// runExecline runs script text with the real execlineb and returns what
// printf received, one word per NUL.
func runExecline(t *testing.T, script string) []string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "script")
	require.NoError(t, os.WriteFile(file, []byte(script), 0o755))
	out, err := exec.Command(file).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("%s: %v: %s\nscript:\n%s", file, err, ee.Stderr, script)
	}
	require.NoError(t, err)
	got := strings.Split(string(out), "\x00")
	return got[:len(got)-1]
}

func printfPath(t *testing.T) string {
	p, err := exec.LookPath("printf")
	require.NoError(t, err)
	return p
}

func TestQuoteRoundTripsThroughRealExeclineb(t *testing.T) {
	backendtest.Require(t, "execlineb")
	words := append([]string{}, trickyWords...)
	// And random bytes: everything but NUL must survive.
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		b := make([]byte, r.Intn(12))
		for j := range b {
			b[j] = byte(1 + r.Intn(255))
		}
		words = append(words, string(b))
	}
	printf := printfPath(t)
	script := runHeader + Join([]string{printf, `%s\0`}) + " " + Join(words) + "\n"
	require.Equal(t, words, runExecline(t, script))

	// Inside a block (as in "if { ... }"), words are encoded once more by
	// execlineb; they must arrive the same.
	block := runHeader + "foreground { " + Join([]string{printf, `%s\0`}) + " " + Join(words) + " }\n" + Join([]string{printf, ""}) + "\n"
	require.Equal(t, words, runExecline(t, block))
}

func TestPathStepKeepsTheRestOfTheScriptIntact(t *testing.T) {
	backendtest.Require(t, "execlineb", "sh")
	// The path step passes the words after it on through the shell's "$@":
	// none of them may be expanded or re-split, ${PATH} included.
	printf := printfPath(t)
	words := append([]string{"${PATH}", "$PATH"}, trickyWords...)
	script := runHeader +
		"/bin/sh -c " + Quote(`PATH='/nowhere/bin':"$PATH"; export PATH; exec "$@"`) + " nixproc-path\n" +
		Join([]string{printf, `%s\0`}) + " " + Join(words) + "\n"
	require.Equal(t, words, runExecline(t, script))
}
