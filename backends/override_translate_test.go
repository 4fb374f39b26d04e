package backends_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/sysvinit"
)

// overrideProcess is a process as bench/generated.nix makes them, with an
// override.
func overrideProcess(t testing.TB, override string) *agnostic.Process {
	m, err := agnostic.DecodeProcesses([]byte(`{"proc1": {"pkg": {"__nixproc": "managed-process", "args": ["infinity"],
		"credentials": {"__nixproc": "credentials", "groups": {}, "users": {}}, "dependencies": [],
		"description": "Generated process 1", "environment": {"PID_FILE": "/tmp/proc1.pid", "PORT": 10001},
		"foregroundProcess": "/bin/sleep", "instanceName": "proc1", "name": "proc1",
		"overrides": {"sysvinit": ` + override + `}}}}`))
	require.NoError(t, err)
	return m.Processes[0]
}

// translateGeneral translates p the way the pipeline did before the raw
// merge: encode the parameters, merge into maps of interfaces, decode.
func translateGeneral(b backends.Backend, bctx *backends.Context, p *agnostic.Process) (any, error) {
	params, _, err := b.Translate(bctx, p)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	merged, err := backends.DeepMergeDecoded(raw, p.Overrides[b.Name()])
	if err != nil {
		return nil, err
	}
	return b.Decode(bctx, p, merged)
}

// TestOverridesTranslateAsTheGeneralPath: an attribute set override gives
// the parameters and the errors that decoding the merged maps gave.
func TestOverridesTranslateAsTheGeneralPath(t *testing.T) {
	b := sysvinit.Backend{}
	bctx := &backends.Context{ProcessManager: b.Name()}
	for _, override := range []string{
		`{"runlevels": [3, 4, 5]}`,
		`{"runlevels": null, "environment": null}`,
		`{"environment": {"PORT": 80, "EXTRA": true}}`,
		`{"instructions": {"start": {"activity": "Launching", "instruction": "go"}}, "activities": {"status": "check"}}`,
		`{"instructions": {"start": {"activity": "Launching"}, "start": {"instruction": "x"}}}`,
		`{"instructions": {"start": {"Activity": "Launching"}}}`,
		`{"instructions": {"start": {"activity": "A", "other": "B"}}}`,
		`{"instructions": {"Bad Name": {"activity": "A", "instruction": "B"}}}`,
		`{"pidfile": "/run/web.pid"}`,
		`{"pidFile": "/run/web.pid", "PIDFile": "/x"}`,
		`{"unknown": 1}`,
		`{"runlevels": "3"}`,
		`{"runlevels": [3.0, 4]}`,
		`{"runlevels": [1e400]}`,
		`{"runlevels": [9]}`,
		`{"nice": "5", "umask": 22}`,
		`{"nice": 1.5}`,
		`{"nice": 12345678901234567890}`,
		`{"processIsDaemon": "yes"}`,
		`{"description": "a\nb <c> \u2028 \ud800", "args": ["x", 1, true, null, [2, 3]]}`,
		`{"args": {"a": 1}}`,
		`{"description": {"outPath": "/nix/store/x"}}`,
		`{"description": "nul \u0000"}`,
		`{"name": null, "instanceName": "other"}`,
		`{"umask": "999"}`,
		`{"reloadSignal": "-usr1"}`,
		`{"process": "relative"}`,
		`{"dependencies": ["x"], "credentials": {"groups": {}}}`,
		`{}`,
		`[]`,
		`"a string"`,
		`{"runlevels": [3], "runlevels": [4]}`,
		`{"umask": {"a": 1}, "args": {"b": 2}, "reloadSignal": [1], "zzz": 1}`,
		`{"umask": [1], "runlevels": ["x"], "nice": {}}`,
		`{"run\u006cevels": [2]}`,
	} {
		p := overrideProcess(t, override)
		want, wantErr := translateGeneral(b, bctx, p)
		got, functionOverride, err := backends.TranslateOne(b, bctx, p)
		assert.Nil(t, functionOverride, override)
		if wantErr != nil {
			assert.EqualError(t, err, backends.OverrideError(p, "sysvinit", wantErr).Error(), override)
			continue
		}
		require.NoError(t, err, override)
		assert.Equal(t, want, got, override)
	}
}

func TestFunctionOverrideMarkerIsNotMerged(t *testing.T) {
	b := sysvinit.Backend{}
	bctx := &backends.Context{ProcessManager: b.Name()}
	p := overrideProcess(t, `{"`+agnostic.FunctionOverrideMarker+`": true}`)
	params, functionOverride, err := backends.TranslateOne(b, bctx, p)
	require.NoError(t, err)
	raw, err := json.Marshal(params)
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(functionOverride), "the generated parameters go to the function")
}

func BenchmarkTranslateOneWithOverride(b *testing.B) {
	backend := sysvinit.Backend{}
	bctx := &backends.Context{ProcessManager: backend.Name()}
	p := overrideProcess(b, `{"runlevels": [3, 4, 5]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := backends.TranslateOne(backend, bctx, p); err != nil {
			b.Fatal(err)
		}
	}
}
