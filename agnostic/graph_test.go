package agnostic

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func proc(name string, deps ...string) *Process {
	return &Process{Key: name, Kind: KindManagedProcess, Name: name, Daemon: "/bin/x", Dependencies: deps}
}

func order(m *Model) []string {
	var out []string
	for _, p := range m.Order() {
		out = append(out, p.Name)
	}
	return out
}

// Dependencies come first; among ready processes the shallower, then the
// alphabetically first, so the order never depends on map iteration.
func TestOrderIsDependencyFirstAndStable(t *testing.T) {
	m, err := NewModel([]*Process{proc("nginx", "webapp2", "webapp1"), proc("webapp2"), proc("monitor", "nginx"), proc("webapp1"), proc("cron")})
	require.NoError(t, err)
	assert.Equal(t, []string{"cron", "webapp1", "webapp2", "nginx", "monitor"}, order(m))
	assert.Equal(t, "nginx", m.Lookup("nginx").Name)
	assert.Nil(t, m.Lookup("absent"))
}

func TestCycleIsNamed(t *testing.T) {
	_, err := NewModel([]*Process{proc("a", "b"), proc("b", "c"), proc("c", "a"), proc("d")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dependency cycle: a -> b -> c -> a")
	_, err = NewModel([]*Process{proc("self", "self")})
	assert.ErrorContains(t, err, "self -> self")
}

func TestLongChainsDoNotBlowUp(t *testing.T) {
	var procs []*Process
	procs = append(procs, proc("p0"))
	for i := 1; i < 20000; i++ {
		procs = append(procs, proc("p"+itoa(i), "p"+itoa(i-1)))
	}
	m, err := NewModel(procs)
	require.NoError(t, err)
	assert.Equal(t, "p19999", m.Order()[19999].Name)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

func TestDirsResolved(t *testing.T) {
	assert.Equal(t, Dirs{StateDir: "/var", RuntimeDir: "/var/run", LogDir: "/var/log", TmpDir: "/tmp",
		CacheDir: "/var/cache", SpoolDir: "/var/spool", LockDir: "/var/lock", LibDir: "/var/lib"}, Dirs{}.Resolved())
	d := Dirs{StateDir: "/home/u/var", LogDir: "/logs"}.Resolved()
	assert.Equal(t, "/home/u/var/tmp", d.TmpDir)
	assert.Equal(t, "/logs", d.LogDir)
	assert.Equal(t, map[string]string{"stateDir": "/home/u/var", "logDir": "/logs"}, Dirs{StateDir: "/home/u/var", LogDir: "/logs"}.Args())
}

func TestCondenseNixError(t *testing.T) {
	stderr := "error: syntax error, unexpected '}', expecting ';'\n\n       at /m/processes.nix:3:56:\n\n            2| {\n            3|   webapp = { pkg = 1 };\n"
	assert.Equal(t, "/m/processes.nix:3:56: syntax error, unexpected '}', expecting ';'", CondenseNixError(stderr))
	assert.Equal(t, "attribute 'x' missing", CondenseNixError("\x1b[31;1merror:\x1b[0m attribute 'x' missing\n"))
}

func TestValidName(t *testing.T) {
	valid := []string{"webapp", "web_app1", "_x", "0day", "a.b@c+d-e", "X", strings.Repeat("a", 200)}
	invalid := []string{"", ".hidden", "-x", "@x", "+x", "a b", "a/b", "café", "a\nb", strings.Repeat("a", 201)}
	for _, name := range valid {
		assert.True(t, validName(name), "%q", name)
	}
	for _, name := range invalid {
		assert.False(t, validName(name), "%q", name)
	}
}
