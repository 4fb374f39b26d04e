package sysvinit

import (
	"testing"

	"nixproc/backends/backendtest"
	"nixproc/templates"
)

func TestGolden(t *testing.T) {
	backendtest.RunGolden(t, Backend{}, map[string]string{
		templates.SysvinitInitFunctions: "# <nixproc init functions>\n",
	})
}
