package dysnomia

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseProperties(t *testing.T) {
	got, err := ParseProperties([]byte(`# a container
type=managed-process

processManager=sysvinit
stateDir='/srv/my state'   # quoted: spaces are fine
runtimeDir="/srv/run"
empty=
quoted='it''s "here" $HOME'
escaped=a\ b
hash=#not-a-comment
supportedTypes=("process" "sysvinit-script" plain)
multi='one
two'
crlf=x` + "\r\n" + `last=1`))
	require.NoError(t, err)
	assert.Equal(t, Props{
		"type":           "managed-process",
		"processManager": "sysvinit",
		"stateDir":       "/srv/my state",
		"runtimeDir":     "/srv/run",
		"empty":          "",
		"quoted":         `its "here" $HOME`,
		"escaped":        "a b",
		"hash":           "#not-a-comment",
		"supportedTypes": "process sysvinit-script plain",
		"multi":          "one\ntwo",
		"crlf":           "x",
		"last":           "1",
	}, got)
}

// A container file is text, never a program: what a shell would expand or
// split is an error that names the line.
func TestParsePropertiesRefusesWhatNeedsAShell(t *testing.T) {
	for _, c := range []struct{ text, err string }{
		{"type=echo\nhost=$(hostname)", "line 2: host: $ and ` are not expanded"},
		{"type=echo\nhost=`hostname`", "line 2: host: $ and ` are not expanded"},
		{"type=echo\nx=\"$HOME\"", "line 2: x: $ and ` are not expanded"},
		{"type=echo\nrm -rf /", `line 2: expected key=value, got "rm -rf /"`},
		{"export x=1", `line 1: expected key=value, got "export x=1"`},
		{"9x=1", `line 1: expected key=value`},
		{"x=a b", "line 1: x: the value has unquoted spaces"},
		{"x='open\ny=2", "line 1: unterminated quote"},
		{"x=(a b", "line 1: x: a list must end with )"},
	} {
		_, err := ParseProperties([]byte(c.text))
		require.Error(t, err, c.text)
		assert.Contains(t, err.Error(), c.err, c.text)
		assert.NotContains(t, err.Error(), "\n")
	}
}

func TestLoadContainer(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sysvinit")
	require.NoError(t, os.WriteFile(file, []byte("type=managed-process\nprocessManager=sysvinit\n"), 0o644))
	c, err := LoadContainer(file)
	require.NoError(t, err)
	assert.Equal(t, "managed-process", c.Type)
	assert.Equal(t, Props{"processManager": "sysvinit"}, c.Props, "type is not a property")

	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(bad, []byte("type=echo\nx=$(id)\n"), 0o644))
	_, err = LoadContainer(bad)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "container "+bad+": line 2: x: "), err.Error())

	_, err = LoadContainer(filepath.Join(dir, "missing"))
	assert.EqualError(t, err, "container "+filepath.Join(dir, "missing")+": no such file or directory")
}

func TestNames(t *testing.T) {
	assert.Equal(t, "webapp", ComponentName("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-webapp"))
	assert.Equal(t, "webapp-1.0", ComponentName("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-webapp-1.0"))
	assert.Equal(t, "not-a-hash-webapp", ComponentName("/nix/store/not-a-hash-webapp"))
	assert.Equal(t, "0123456789abcdfghijklmnpqrsvwxyz-webapp", ComponentName("/srv/0123456789abcdfghijklmnpqrsvwxyz-webapp"), "only store paths lose their hash")
	assert.Equal(t, "sysvinit-script", ContainerName("", "sysvinit-script"))
	assert.Equal(t, "production", ContainerName("/etc/dysnomia/containers/production", "x"))
}
