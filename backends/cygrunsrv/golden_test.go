package cygrunsrv

import (
	"strings"
	"testing"

	"nixproc/backends/backendtest"
	"nixproc/templates"
)

func TestGolden(t *testing.T) {
	backendtest.RunGolden(t, Backend{}, map[string]string{
		strings.TrimRight(templates.FgproxyFunctions, "\n"): "# <nixproc foreground proxy functions>",
	})
}
