package backends

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentSwitchIsRefused: while one switch holds the profile's lock,
// another fails at once, saying so, and changes nothing.
func TestConcurrentSwitchIsRefused(t *testing.T) {
	g := Profiles{Dir: filepath.Join(t.TempDir(), "profiles"), Name: "processes"}
	release, err := lockProfile(g)
	require.NoError(t, err)
	err = Switch(context.Background(), SwitchOptions{Env: &Env{}, Profiles: g, NewPath: "/nonexistent"})
	assert.ErrorContains(t, err, "another switch of profile")
	gens, _ := g.List()
	assert.Empty(t, gens)
	release()
	release, err = lockProfile(g)
	require.NoError(t, err, "the lock is free again once released")
	release()
}
