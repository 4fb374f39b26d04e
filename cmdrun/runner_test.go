package cmdrun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExecReportsTheLastLineOfAFailure(t *testing.T) {
	out, err := Exec{}.Run(context.Background(), Cmd{Path: "/bin/sh", Args: []string{"-c", "echo first; echo 'the reason' >&2; exit 3"}})
	require.Error(t, err)
	assert.Contains(t, string(out), "first")
	var ce *Error
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, "sh -c echo first; echo 'the reason' >&2; exit 3: exit status 3: the reason", err.Error())
}

// A daemon that keeps the output pipes open must not make Run wait for it.
func TestExecDoesNotWaitForADaemonHoldingItsOutput(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	t.Cleanup(func() {
		if data, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	start := time.Now()
	_, err := Exec{}.Run(context.Background(), Cmd{Path: "/bin/sh", Args: []string{"-c", "sleep 30 & echo $! > \"$0\"; echo started", pidFile}})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 15*time.Second)
}

func TestRecorder(t *testing.T) {
	r := &Recorder{Respond: func(c Cmd) ([]byte, error) {
		if strings.HasSuffix(c.Path, "fail") {
			return nil, errors.New("no")
		}
		return []byte("ok"), nil
	}}
	out, err := r.Run(context.Background(), Cmd{Path: "systemctl", Args: []string{"start", "a.service"}})
	require.NoError(t, err)
	assert.Equal(t, "ok", string(out))
	_, err = r.Run(context.Background(), Cmd{Path: "fail"})
	assert.Error(t, err)
	assert.Equal(t, []string{"systemctl start a.service", "fail"}, r.Lines())
}
