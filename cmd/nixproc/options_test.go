package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
)

// TestStateOptionsAndVariables: an option beats its variable, every
// variable lands in its own directory (the original mixed spool, lock and
// lib up with cache, and runtime with state), and the force flag is read
// from NIXPROC_FORCE_DISABLE_USER_CHANGE.
func TestStateOptionsAndVariables(t *testing.T) {
	t.Setenv("NIXPROC_STATE_DIR", "/env/state")
	t.Setenv("NIXPROC_RUNTIME_DIR", "/env/run")
	t.Setenv("NIXPROC_CACHE_DIR", "/env/cache")
	t.Setenv("NIXPROC_SPOOL_DIR", "/env/spool")
	t.Setenv("NIXPROC_LOCK_DIR", "/env/lock")
	t.Setenv("NIXPROC_LIB_DIR", "/env/lib")
	t.Setenv("NIXPROC_FORCE_DISABLE_USER_CHANGE", "1")
	c := newBuildCmd()
	require.NoError(t, c.ParseFlags([]string{"--runtime-dir", "/opt/run", "--log-dir", "/opt/log"}))
	st := readStateFlags(c)
	assert.Equal(t, agnostic.Dirs{
		StateDir: "/env/state", RuntimeDir: "/opt/run", LogDir: "/opt/log", CacheDir: "/env/cache",
		SpoolDir: "/env/spool", LockDir: "/env/lock", LibDir: "/env/lib",
	}, st.dirs)
	assert.True(t, st.force)

	t.Setenv("NIXPROC_FORCE_DISABLE_USER_CHANGE", "")
	c = newBuildCmd()
	require.NoError(t, c.ParseFlags(nil))
	assert.False(t, readStateFlags(c).force)
}
