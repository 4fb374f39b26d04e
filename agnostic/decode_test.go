package agnostic

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeOne(t *testing.T, pkg string) *Process {
	t.Helper()
	m, err := DecodeProcesses([]byte(`{"p": {"pkg": ` + pkg + `}}`))
	require.NoError(t, err)
	return m.Processes[0]
}

// The defaults of createManagedProcess, as the original's parameter list
// gives them.
func TestDecodeAppliesCreateManagedProcessDefaults(t *testing.T) {
	p := decodeOne(t, `{"instanceName": "web1", "process": "/bin/web", "args": ["-v"],
		"daemonExtraArgs": ["-D"], "foregroundProcessExtraArgs": ["-f"], "environment": {"PORT": 5000, "ON": true, "OFF": false}}`)
	assert.Equal(t, "web1", p.Name, "name defaults to instanceName")
	assert.Equal(t, "web1", p.Description, "description defaults to name")
	assert.Equal(t, "/bin/web", p.Daemon, "daemon defaults to process")
	assert.Equal(t, "/bin/web", p.ForegroundProcess, "foregroundProcess defaults to process")
	assert.Equal(t, []string{"-v", "-D"}, p.DaemonArgs, "daemonArgs = args ++ daemonExtraArgs")
	assert.Equal(t, []string{"-v", "-f"}, p.ForegroundProcessArgs, "foregroundProcessArgs = args ++ foregroundProcessExtraArgs")
	assert.Equal(t, map[string]string{"PORT": "5000", "ON": "1", "OFF": ""}, p.Environment, "values as Nix's toString renders them")
	assert.Equal(t, KindManagedProcess, p.Kind)
}

func TestDecodeExplicitValuesWin(t *testing.T) {
	p := decodeOne(t, `{"name": "w", "process": "/bin/web", "daemon": null, "daemonArgs": ["x"], "foregroundProcessArgs": []}`)
	assert.Equal(t, "", p.Daemon, "daemon = null makes the process foreground-only")
	assert.False(t, p.IsDaemon())
	assert.True(t, p.IsForeground())
	assert.Equal(t, []string{"x"}, p.DaemonArgs)
	assert.Empty(t, p.ForegroundProcessArgs)
}

func TestDecodeKeepsOtherAttributesAndOverrides(t *testing.T) {
	m, err := DecodeProcesses([]byte(`{"w": {"port": 5000, "requiresUniqueIdsFor": ["uids"], "pkg": {"name": "w", "process": "/bin/w",
		"overrides": {"sysvinit": {"runlevels": [3]}, "systemd": {"__nixprocFunctionOverride": true}}}}}`))
	require.NoError(t, err)
	p := m.Processes[0]
	assert.JSONEq(t, `5000`, string(p.Attributes["port"]))
	assert.JSONEq(t, `["uids"]`, string(p.Attributes["requiresUniqueIdsFor"]))
	assert.JSONEq(t, `{"runlevels": [3]}`, string(p.Overrides["sysvinit"]))
}

func TestNixToString(t *testing.T) {
	p := decodeOne(t, `{"name": "w", "process": "/bin/w", "args": [1, 2.5, true, false, null, ["a", "b"], {"outPath": "/nix/store/x"}]}`)
	assert.Equal(t, []string{"1", "2.5", "1", "", "", "a b", "/nix/store/x"}, p.DaemonArgs)
}

func TestDecodeErrorsNameTheProcessAndField(t *testing.T) {
	for _, c := range []struct{ model, want string }{
		{`[]`, "must be an attribute set of processes"},
		{`{"w": 1}`, "process w: must be an attribute set with a pkg attribute"},
		{`{"w": {"port": 1}}`, "process w: pkg: missing"},
		{`{"w": {"pkg": "/nix/store/abc-w"}}`, "process w: pkg: is a store path"},
		{`{"w": {"pkg": {"name": "w", "process": "/bin/w", "args": "-D"}}}`, "process w: args: must be a list"},
		{`{"w": {"pkg": {"name": "w", "process": "/bin/w", "environment": {"A": {"b": 1}}}}}`, "process w: environment.A: an attribute set cannot be turned into a string"},
		{`{"w": {"pkg": {"name": "w", "process": "/bin/w", "nice": "high"}}}`, `process w: nice: must be a whole number, got "high"`},
		{`{"w": {"pkg": {"name": "w"}}}`, "process w: process: nothing to run"},
		{`{"w": {"pkg": {"process": "/bin/w"}}}`, "process w: name: no process name"},
		{`{"w": {"pkg": {"name": "a b", "process": "/bin/w"}}}`, `process w: name: "a b" is not a usable process name`},
		{`{"v": {"pkg": {"name": "a", "process": "/bin/w"}}, "w": {"pkg": {"name": "a", "process": "/bin/w"}}}`, `is also the name of process`},
		{`{"w": {"pkg": {"name": "w", "process": "/bin/w", "dependencies": ["x"]}}}`, `process w: dependencies: "x" is not a process of this model`},
		{`{"w": {"pkg": {"name": "w", "process": "/bin/w", "environment": {"A=B": "1"}}}}`, `"A=B" is not a valid environment variable name`},
		{`{"w": {"pkg": {"name": "w", "process": "/bin/w", "credentials": {"users": {"Bad User": {}}}}}}`, `"Bad User" is not a valid account name`},
		{`{"w": {"pkg": {"name": "w", "process": "/bin/w", "overrides": [1]}}}`, `process w: overrides: must be an attribute set`},
	} {
		_, err := DecodeProcesses([]byte(c.model))
		if assert.Error(t, err, c.model) {
			assert.Contains(t, err.Error(), c.want, c.model)
		}
	}
	_, err := DecodeProcesses([]byte(`{`))
	assert.ErrorContains(t, err, "not valid JSON")
}

func TestDecodeConfig(t *testing.T) {
	p, err := DecodeConfig([]byte(`{"instanceName": "w1", "process": "/bin/w", "dependencies": ["db"]}`))
	require.NoError(t, err)
	assert.Equal(t, "w1", p.Name)
	assert.Equal(t, []string{"db"}, p.Dependencies)
}

func TestDecodeStrictIsCaseSensitive(t *testing.T) {
	var v struct {
		PIDFile String `json:"pidFile"`
	}
	assert.NoError(t, DecodeStrict([]byte(`{"pidFile": "/run/x.pid"}`), &v))
	assert.EqualError(t, DecodeStrict([]byte(`{"pidfile": "/run/x.pid"}`), &v), `unknown parameter "pidfile"`)
	assert.EqualError(t, DecodeStrict([]byte(`{"other": 1}`), &v), `unknown parameter "other"`)
}

func TestNULBytesAreRefusedForEveryBackend(t *testing.T) {
	_, err := DecodeProcesses([]byte(`{"w": {"pkg": {"name": "w", "process": "/bin/w", "args": ["a", "b\u0000c"]}}}`))
	assert.ErrorContains(t, err, "process w: args[1]: contains a NUL byte")
	var s String
	assert.ErrorContains(t, DecodeStrict([]byte(`"x\u0000"`), &s), "NUL byte")
}
