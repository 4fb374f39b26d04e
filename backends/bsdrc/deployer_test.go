package bsdrc

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
	"nixproc/cmdrun"
)

// FreeBSD's rc cannot run here: these tests drive the real switch engine
// with the rc script calls recorded.

const (
	modelV1 = `{
  "db":  {"pkg": {"name": "db",  "process": "/usr/local/bin/db", "args": ["v1"]}},
  "old": {"pkg": {"name": "old", "process": "/usr/local/bin/old"}},
  "web": {"pkg": {"name": "web", "process": "/usr/local/bin/web", "dependencies": ["db"]}}}`
	modelV2 = `{
  "db":    {"pkg": {"name": "db",  "process": "/usr/local/bin/db", "args": ["v2"]}},
  "cache": {"pkg": {"name": "cache", "process": "/usr/local/bin/cache"}},
  "web":   {"pkg": {"name": "web", "process": "/usr/local/bin/web", "dependencies": ["db"]}}}`
)

func TestRecordedRCScriptsDeployUpgradeRollbackUndeploy(t *testing.T) {
	r := backendtest.NewRecorded(t, Backend{}, nil)
	p1, p2 := r.Build(modelV1), r.Build(modelV2)

	require.NoError(t, r.Switch(p1))
	require.Equal(t, []string{
		"$P1/etc/rc.d/db onestart",
		"$P1/etc/rc.d/old onestart",
		"$P1/etc/rc.d/web onestart",
	}, r.Calls(p1, p2))

	// What goes or changes stops in reverse order (web restarts because db
	// changes), then what comes or changes starts.
	require.NoError(t, r.Switch(p2))
	require.Equal(t, []string{
		"$P1/etc/rc.d/web onestatus", "$P1/etc/rc.d/web onestop",
		"$P1/etc/rc.d/old onestatus", "$P1/etc/rc.d/old onestop",
		"$P1/etc/rc.d/db onestatus", "$P1/etc/rc.d/db onestop",
		"$P2/etc/rc.d/cache onestart",
		"$P2/etc/rc.d/db onestart",
		"$P2/etc/rc.d/web onestart",
	}, r.Calls(p1, p2))

	require.NoError(t, r.Rollback())
	require.Equal(t, []string{
		"$P2/etc/rc.d/web onestatus", "$P2/etc/rc.d/web onestop",
		"$P2/etc/rc.d/db onestatus", "$P2/etc/rc.d/db onestop",
		"$P2/etc/rc.d/cache onestatus", "$P2/etc/rc.d/cache onestop",
		"$P1/etc/rc.d/db onestart",
		"$P1/etc/rc.d/old onestart",
		"$P1/etc/rc.d/web onestart",
	}, r.Calls(p1, p2))
	require.Equal(t, p1, r.Current())

	// A process that is not running counts as stopped: onestop is not run
	// (rc.subr would fail on it).
	r.Recorder.Respond = func(c cmdrun.Cmd) ([]byte, error) {
		if strings.HasSuffix(c.String(), "/old onestatus") {
			return nil, backendtest.ExitError(c, 1, "old is not running.")
		}
		return nil, nil
	}
	require.NoError(t, r.Switch(r.Build(`{}`)))
	require.Equal(t, []string{
		"$P1/etc/rc.d/web onestatus", "$P1/etc/rc.d/web onestop",
		"$P1/etc/rc.d/old onestatus",
		"$P1/etc/rc.d/db onestatus", "$P1/etc/rc.d/db onestop",
	}, r.Calls(p1, p2))
}

func TestRecordedRCScriptsFailedStartRollsBack(t *testing.T) {
	r := backendtest.NewRecorded(t, Backend{}, nil)
	p1, p2 := r.Build(modelV1), r.Build(modelV2)
	require.NoError(t, r.Switch(p1))
	r.Calls()
	r.Recorder.Respond = func(c cmdrun.Cmd) ([]byte, error) {
		if c.String() == p2+"/etc/rc.d/web onestart" {
			return nil, backendtest.ExitError(c, 1, "/usr/sbin/daemon: cannot run")
		}
		return nil, nil
	}
	err := r.Switch(p2)
	require.ErrorContains(t, err, "starting web failed")
	require.ErrorContains(t, err, "cannot run")
	require.Equal(t, []string{
		"$P1/etc/rc.d/web onestatus", "$P1/etc/rc.d/web onestop",
		"$P1/etc/rc.d/old onestatus", "$P1/etc/rc.d/old onestop",
		"$P1/etc/rc.d/db onestatus", "$P1/etc/rc.d/db onestop",
		"$P2/etc/rc.d/cache onestart",
		"$P2/etc/rc.d/db onestart",
		"$P2/etc/rc.d/web onestart",
		// roll back
		"$P2/etc/rc.d/web onestatus", "$P2/etc/rc.d/web onestop",
		"$P2/etc/rc.d/db onestatus", "$P2/etc/rc.d/db onestop",
		"$P2/etc/rc.d/cache onestatus", "$P2/etc/rc.d/cache onestop",
		"$P1/etc/rc.d/db onestart",
		"$P1/etc/rc.d/old onestart",
		"$P1/etc/rc.d/web onestart",
	}, r.Calls(p1, p2))
	require.Equal(t, p1, r.Current())
}

// The start order comes from the scripts' PROVIDE and REQUIRE lines, as
// rcorder computes it: a name provided under another name, requirements on
// system services nothing here provides, and a cycle.
func TestRecordedRCScriptsOrderFromProvideAndRequire(t *testing.T) {
	r := backendtest.NewRecorded(t, Backend{}, nil)
	p := r.Build(`{
  "a_client": {"pkg": {"name": "a_client", "process": "/usr/local/bin/client",
     "overrides": {"bsdrc": {"requires": ["timesync", "NETWORKING"]}}}},
  "ntp": {"pkg": {"name": "ntp", "process": "/usr/local/bin/ntp",
     "overrides": {"bsdrc": {"provides": ["ntp", "timesync"]}}}}}`)
	require.NoError(t, r.Switch(p))
	require.Equal(t, []string{"$P1/etc/rc.d/ntp onestart", "$P1/etc/rc.d/a_client onestart"}, r.Calls(p))

	cyclic := r.Build(`{
  "a": {"pkg": {"name": "a", "process": "/usr/local/bin/a", "overrides": {"bsdrc": {"requires": ["b"]}}}},
  "b": {"pkg": {"name": "b", "process": "/usr/local/bin/b", "dependencies": ["a"]}}}`)
	err := r.Switch(cyclic)
	require.ErrorContains(t, err, "the rc scripts a, b require each other in a cycle")
	require.Empty(t, r.Calls())
	require.Equal(t, p, r.Current())
}
