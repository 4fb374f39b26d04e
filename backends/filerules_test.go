package backends

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"nixproc/agnostic"
)

// The original's PID and log file rules (reference §1.1), in one place.
func TestFileRules(t *testing.T) {
	dirs := agnostic.Dirs{StateDir: "/s"}
	assert.Equal(t, "/my.pid", PIDFile(dirs, "u", "web1", "/my.pid", "/bin/web"), "the model's pidFile wins")
	assert.Equal(t, "/s/run/web1.pid", PIDFile(dirs, "", "web1", "", ""), "no user: runtime directory")
	assert.Equal(t, "/s/tmp/web1.pid", PIDFile(dirs, "u", "web1", "", ""), "another user: temp directory")
	assert.Equal(t, "/s/run/web.pid", PIDFile(dirs, "", "", "", "/nix/store/x/bin/web"), "a daemonized program: its base name")
	assert.Equal(t, "", PIDFile(dirs, "", "", "", ""), "nothing known")
	assert.Equal(t, "/s/log/nixproc-web1.log", LogFile(dirs, "", "web1", "web"))
	assert.Equal(t, "/s/tmp/nixproc-web.log", LogFile(dirs, "u", "", "web"))
}
