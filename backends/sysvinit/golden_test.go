package sysvinit

import (
	"strings"
	"testing"

	"nixproc/backends/backendtest"
	"nixproc/templates"
)

func TestGolden(t *testing.T) {
	backendtest.RunGolden(t, Backend{}, map[string]string{
		strings.TrimRight(templates.SysvinitInitFunctions, "\n"): "# <nixproc init functions>",
	})
}
