package shellquote

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var hard = []string{
	"", "plain", "with space", `'single'`, `"double"`, "$HOME", "100%", `back\slash`,
	"semi;colon", "#hash", "new\nline", "ünïcödé ✓", "`tick`", "*glob?", "a'b\"c$d",
}

func TestQuoteRoundTripsThroughSplit(t *testing.T) {
	for _, v := range hard {
		got, err := Split(Quote(v))
		require.NoError(t, err, v)
		assert.Equal(t, []string{v}, got)
	}
}

func TestQuoteRoundTripsThroughRealBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	for _, v := range hard {
		out, err := exec.Command(bash, "-c", "printf %s "+Quote(v)).Output()
		require.NoError(t, err)
		assert.Equal(t, v, string(out))
	}
}

func TestSplitRefusesExpansions(t *testing.T) {
	for _, s := range []string{"$x", "a`b`", `"$x"`} {
		_, err := Split(s)
		assert.Error(t, err, s)
	}
}
