package disnix

import (
	"testing"

	"nixproc/backends/backendtest"
)

func TestGolden(t *testing.T) {
	backendtest.RunGolden(t, Backend{}, nil)
}
