package agnostic

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A JSON model may repeat an attribute name, which Nix never writes; which
// occurrence counts is kept as it was when every lookup was a gjson Get or a
// map of the attributes.
func TestDecodeRepeatedNames(t *testing.T) {
	p := decodeOne(t, `{"name": "a", "process": "/bin/a", "name": "b", "args": ["x"], "args": ["y"],
		"__nixproc": "managed-process", "__nixproc": "sysvinit",
		"overrides": {"sysvinit": {"runlevels": [3]}}, "overrides": {"sysvinit": {"runlevels": [4]}},
		"credentials": {"groups": {"g": {}}, "users": {"u": {}}, "groups": {"h": {}}}}`)
	assert.Equal(t, "b", p.Name, "the last of the attributes read by name")
	assert.Equal(t, []string{"y"}, p.DaemonArgs)
	assert.Equal(t, KindManagedProcess, p.Kind, "the first __nixproc")
	assert.JSONEq(t, `{"runlevels": [3]}`, string(p.Overrides["sysvinit"]), "the first overrides")
	assert.Equal(t, map[string]map[string]string{"h": {}}, p.Credentials.Groups, "the last groups")

	m, err := DecodeProcesses([]byte(`{"p": {"pkg": {"name": "a", "process": "/bin/a"}, "port": 1,
		"pkg": {"name": "b", "process": "/bin/b"}, "port": 2}}`))
	require.NoError(t, err)
	assert.Equal(t, "a", m.Processes[0].Name, "the first pkg")
	assert.Equal(t, map[string]json.RawMessage{"port": json.RawMessage("2")}, m.Processes[0].Attributes, "the last of other attributes")
}

func TestDecodeListErrorsNameTheElement(t *testing.T) {
	_, err := DecodeProcesses([]byte(`{"p": {"pkg": {"name": "a", "process": "/bin/a", "path": ["/x", {"a": 1}, {"b": 2}]}}}`))
	assert.ErrorContains(t, err, "path[1]")
}
