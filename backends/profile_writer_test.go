package backends

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProfilePathsStayInside(t *testing.T) {
	w := NewProfileWriter(t.TempDir())
	for _, rel := range []string{"/etc/passwd", "..", "../x", "a/../../x", ".", ""} {
		assert.ErrorContains(t, w.WriteFile("p", rel, nil, 0o444), "outside the profile", "%q", rel)
	}
	// Unclean paths are cleaned, so they meet the same path written plainly.
	require.NoError(t, w.WriteFile("p", "./etc//x/", []byte("1"), 0o444))
	require.NoError(t, w.WriteFile("p", "etc/x", []byte("1"), 0o444), "the same file again is fine")
	assert.ErrorContains(t, w.WriteFile("q", "etc/./x", []byte("2"), 0o444), "profile collision: etc/x is written by process p and by process q")
	assert.Len(t, w.entries, 1)
}
