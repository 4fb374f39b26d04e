package agnostic_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends/backendtest"
)

// TestEvaluateFindsWhatToRealise evaluates a model that refers to a
// derivation never built before: the evaluation names the derivation (from
// the contexts of the model's strings), so that it can be built. Once it is
// built, the output path the model mentions is what is named.
func TestEvaluateFindsWhatToRealise(t *testing.T) {
	backendtest.Require(t, "nix-instantiate", "nix-store")
	model := filepath.Join(t.TempDir(), "processes.nix")
	nonce := fmt.Sprint(time.Now().UnixNano()) // a derivation no earlier run built
	require.NoError(t, os.WriteFile(model, []byte(`{ nonce }:
let tool = derivation {
  name = "eval-test-tool-${nonce}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo ${nonce} > $out" ];
};
in { tool = { pkg = { name = "tool"; process = "${tool}"; }; }; plain = { pkg = { name = "plain"; process = "/bin/sleep"; }; }; }
`), 0o644))
	o := agnostic.EvalOptions{ExprFile: model, ExtraParams: `{ nonce = "` + nonce + `"; }`}

	ev, err := agnostic.Evaluate(context.Background(), o)
	require.NoError(t, err)
	require.Len(t, ev.StorePaths, 1)
	drv, output, ok := strings.Cut(ev.StorePaths[0], "!")
	require.True(t, ok, "an unbuilt output is named with its derivation: %s", ev.StorePaths[0])
	assert.True(t, strings.HasSuffix(drv, ".drv"))
	assert.Equal(t, "out", output)

	out, err := exec.Command("nix-store", "--realise", ev.StorePaths[0]).Output()
	require.NoError(t, err)
	built := strings.TrimSpace(string(out))

	ev, err = agnostic.Evaluate(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, []string{built}, ev.StorePaths, "a built output is named as the model mentions it")
	assert.Contains(t, string(ev.JSON), built)
}
