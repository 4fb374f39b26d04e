package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends"
)

// TestLockTimeout: --lock-timeout beats NIXPROC_LOCK_TIMEOUT, which beats
// the default; both take a duration or seconds, and a bad value is an error
// naming where it came from, before anything is built.
func TestLockTimeout(t *testing.T) {
	parse := func(args ...string) (time.Duration, error) {
		c := newSwitchCmd("sysvinit")
		require.NoError(t, c.ParseFlags(args))
		return lockTimeout(c)
	}
	t.Setenv("NIXPROC_LOCK_TIMEOUT", "")
	d, err := parse()
	require.NoError(t, err)
	assert.Equal(t, backends.DefaultLockTimeout, d)

	t.Setenv("NIXPROC_LOCK_TIMEOUT", "90")
	d, err = parse()
	require.NoError(t, err)
	assert.Equal(t, 90*time.Second, d)

	d, err = parse("--lock-timeout", "2m")
	require.NoError(t, err)
	assert.Equal(t, 2*time.Minute, d, "the option beats the variable")

	d, err = parse("--lock-timeout", "0.5")
	require.NoError(t, err)
	assert.Equal(t, 500*time.Millisecond, d)

	_, err = parse("--lock-timeout", "soon")
	assert.EqualError(t, err, `--lock-timeout must be a positive duration such as 90s, 2m or 30 (seconds), not "soon"`)
	_, err = parse("--lock-timeout", "0")
	assert.ErrorContains(t, err, "--lock-timeout must be a positive duration")
	t.Setenv("NIXPROC_LOCK_TIMEOUT", "-3s")
	_, err = parse()
	assert.ErrorContains(t, err, `NIXPROC_LOCK_TIMEOUT must be a positive duration such as 90s, 2m or 30 (seconds), not "-3s"`)

	c := newDeployCmd("sysvinit")
	require.NoError(t, c.ParseFlags([]string{"--lock-timeout", "5s"}))
	t.Setenv("NIXPROC_LOCK_TIMEOUT", "")
	d, err = lockTimeout(c)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, d, "deploy takes the option too")
}
