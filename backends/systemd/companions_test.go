package systemd

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// socketModel is a server whose postInstall adds a socket unit next to its
// service, as the proxy example's socket activation variant does.
func socketModel(t *testing.T, withSocket bool) string {
	postInstall := ""
	if withSocket {
		postInstall = "cat > \"$out/etc/systemd/system/nix-process-server.socket\" <<EOF\n" +
			"[Socket]\nListenStream=5000\n\n[Install]\nWantedBy=sockets.target\nEOF\n"
	}
	pkg := map[string]any{"name": "server", "process": "/bin/sh", "args": []string{"-c", "serve"}}
	if postInstall != "" {
		pkg["postInstall"] = postInstall
	}
	data, err := json.Marshal(map[string]any{"server": map[string]any{"pkg": pkg}})
	require.NoError(t, err)
	return string(data)
}

// TestRecordedSocketActivation: a process with a socket unit is started by
// its socket (systemd starts the service on the first connection); both
// units are linked and enabled, and both are stopped and unlinked when it
// goes.
func TestRecordedSocketActivation(t *testing.T) {
	r, dir := newRecorded(t, nil)
	withSocket, without := r.Build(socketModel(t, true)), r.Build(socketModel(t, false))

	require.NoError(t, r.Switch(withSocket))
	require.Equal(t, []string{
		"systemctl daemon-reload",
		"systemctl start nix-process-server.socket",
	}, r.Calls())
	require.Equal(t, []string{
		"default.target.wants/nix-process-server.service -> $DIR/nix-process-server.service",
		"nix-process-server.service -> $P1/etc/systemd/system/nix-process-server.service",
		"nix-process-server.socket -> $P1/etc/systemd/system/nix-process-server.socket",
		"sockets.target.wants/nix-process-server.socket -> $DIR/nix-process-server.socket",
	}, unitLinks(t, dir, withSocket))

	// Without the socket, the service runs by itself: the socket stops
	// first, so that it does not start the service again.
	require.NoError(t, r.Switch(without))
	require.Equal(t, []string{
		"systemctl stop nix-process-server.socket",
		"systemctl stop nix-process-server.service",
		"systemctl daemon-reload",
		"systemctl start nix-process-server.service",
	}, r.Calls())
	require.Equal(t, []string{
		"default.target.wants/nix-process-server.service -> $DIR/nix-process-server.service",
		"nix-process-server.service -> $P1/etc/systemd/system/nix-process-server.service",
	}, unitLinks(t, dir, without))

	require.NoError(t, r.Switch(withSocket))
	r.Calls()
	require.NoError(t, r.Switch(r.Build(`{}`)))
	require.Equal(t, []string{
		"systemctl stop nix-process-server.socket",
		"systemctl stop nix-process-server.service",
		"systemctl daemon-reload",
	}, r.Calls())
	require.Empty(t, unitLinks(t, dir))
}

// TestRecordedTimerActivation: a process with a timer unit is started by
// its timer; a socket would take precedence over it.
func TestRecordedTimerActivation(t *testing.T) {
	r, _ := newRecorded(t, nil)
	model := `{"job": {"pkg": {"name": "job", "process": "/bin/true", "postInstall": ` +
		`"printf '[Timer]\\nOnCalendar=daily\\n' > \"$out/etc/systemd/system/nix-process-job.timer\""}}}`
	require.NoError(t, r.Switch(r.Build(model)))
	require.Equal(t, []string{
		"systemctl daemon-reload",
		"systemctl start nix-process-job.timer",
	}, r.Calls())
}
