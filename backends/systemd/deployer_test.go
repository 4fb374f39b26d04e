package systemd

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
	"nixproc/cmdrun"
)

// systemd cannot run here: these tests drive the real switch engine with
// systemctl calls recorded, and look at the unit directory it leaves.

const (
	modelV1 = `{
  "db":  {"pkg": {"name": "db",  "process": "/bin/sh", "args": ["-c", "v1"]}},
  "old": {"pkg": {"name": "old", "process": "/bin/sh"}},
  "web": {"pkg": {"name": "web", "process": "/bin/sh", "dependencies": ["db"]}}}`
	// db changes, so web (which depends on it) restarts; old goes, cache
	// comes.
	modelV2 = `{
  "db":    {"pkg": {"name": "db",  "process": "/bin/sh", "args": ["-c", "v2"]}},
  "cache": {"pkg": {"name": "cache", "process": "/bin/sh"}},
  "web":   {"pkg": {"name": "web", "process": "/bin/sh", "dependencies": ["db"]}}}`
)

func newRecorded(t *testing.T, options map[string]string) (*backendtest.Recorded, string) {
	if options == nil {
		options = map[string]string{}
	}
	unitDir := filepath.Join(t.TempDir(), "units")
	options[OptionUnitDir] = unitDir
	return backendtest.NewRecorded(t, Backend{}, options), unitDir
}

// unitLinks describes the unit directory: every link and where it points,
// with the profiles written as $P1, $P2.
func unitLinks(t *testing.T, dir string, profiles ...string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.Mode()&os.ModeSymlink == 0 {
			return nil
		}
		target, err := os.Readlink(p)
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, p)
		target = strings.ReplaceAll(target, dir, "$DIR")
		for i, pr := range profiles {
			target = strings.ReplaceAll(target, pr, "$P"+string(rune('1'+i)))
		}
		out = append(out, rel+" -> "+target)
		return nil
	})
	sort.Strings(out)
	return out
}

func TestRecordedSystemctlDeployUpgradeRollbackUndeploy(t *testing.T) {
	r, dir := newRecorded(t, nil)
	p1, p2 := r.Build(modelV1), r.Build(modelV2)

	require.NoError(t, r.Switch(p1))
	require.Equal(t, []string{
		"systemctl daemon-reload",
		"systemctl start nix-process-db.service",
		"systemctl start nix-process-old.service",
		"systemctl start nix-process-web.service",
	}, r.Calls())
	require.Equal(t, []string{
		"default.target.wants/nix-process-db.service -> $DIR/nix-process-db.service",
		"default.target.wants/nix-process-old.service -> $DIR/nix-process-old.service",
		"default.target.wants/nix-process-web.service -> $DIR/nix-process-web.service",
		"nix-process-db.service -> $P1/etc/systemd/system/nix-process-db.service",
		"nix-process-old.service -> $P1/etc/systemd/system/nix-process-old.service",
		"nix-process-web.service -> $P1/etc/systemd/system/nix-process-web.service",
	}, unitLinks(t, dir, p1))

	// Upgrade: stop what goes or changes (with the old units still loaded)
	// in reverse order, reload once, start what comes or changes in order.
	require.NoError(t, r.Switch(p2))
	require.Equal(t, []string{
		"systemctl stop nix-process-web.service",
		"systemctl stop nix-process-old.service",
		"systemctl stop nix-process-db.service",
		"systemctl daemon-reload",
		"systemctl start nix-process-cache.service",
		"systemctl start nix-process-db.service",
		"systemctl start nix-process-web.service",
	}, r.Calls())
	require.Equal(t, []string{
		"default.target.wants/nix-process-cache.service -> $DIR/nix-process-cache.service",
		"default.target.wants/nix-process-db.service -> $DIR/nix-process-db.service",
		"default.target.wants/nix-process-web.service -> $DIR/nix-process-web.service",
		"nix-process-cache.service -> $P2/etc/systemd/system/nix-process-cache.service",
		"nix-process-db.service -> $P2/etc/systemd/system/nix-process-db.service",
		"nix-process-web.service -> $P2/etc/systemd/system/nix-process-web.service",
	}, unitLinks(t, dir, p1, p2))

	require.NoError(t, r.Rollback())
	require.Equal(t, []string{
		"systemctl stop nix-process-web.service",
		"systemctl stop nix-process-db.service",
		"systemctl stop nix-process-cache.service",
		"systemctl daemon-reload",
		"systemctl start nix-process-db.service",
		"systemctl start nix-process-old.service",
		"systemctl start nix-process-web.service",
	}, r.Calls())
	require.Equal(t, p1, r.Current())
	require.Contains(t, unitLinks(t, dir, p1), "nix-process-old.service -> $P1/etc/systemd/system/nix-process-old.service")

	// A switch to the same profile touches nothing but still reloads once.
	require.NoError(t, r.Switch(p1))
	require.Equal(t, []string{"systemctl daemon-reload"}, r.Calls())

	// Undeploy: everything stops in reverse order; no unit and no enable
	// link is left.
	require.NoError(t, r.Switch(r.Build(`{}`)))
	require.Equal(t, []string{
		"systemctl stop nix-process-web.service",
		"systemctl stop nix-process-old.service",
		"systemctl stop nix-process-db.service",
		"systemctl daemon-reload",
	}, r.Calls())
	require.Empty(t, unitLinks(t, dir))
}

func TestRecordedSystemctlUserMode(t *testing.T) {
	r, dir := newRecorded(t, map[string]string{OptionUser: "true"})
	require.NoError(t, r.Switch(r.Build(`{"db": {"pkg": {"name": "db", "process": "/bin/sh"}}}`)))
	require.Equal(t, []string{
		"systemctl --user daemon-reload",
		"systemctl --user start nix-process-db.service",
	}, r.Calls())
	require.Len(t, unitLinks(t, dir), 2)

	// A unit that switches user cannot be a user unit: refused before
	// anything is touched.
	err := r.Switch(r.Build(`{"db": {"pkg": {"name": "db", "process": "/bin/sh", "user": "db"}}}`))
	require.ErrorContains(t, err, "process db runs as user db, which a --user deployment cannot do")
	require.Empty(t, r.Calls())
}

func TestRecordedSystemctlFailedStartRestoresThePreviousUnits(t *testing.T) {
	r, dir := newRecorded(t, nil)
	p1 := r.Build(modelV1)
	require.NoError(t, r.Switch(p1))
	r.Calls()

	failed := false
	r.Recorder.Respond = func(c cmdrun.Cmd) ([]byte, error) {
		if !failed && c.String() == "systemctl start nix-process-web.service" {
			failed = true
			return nil, backendtest.ExitError(c, 1, "Job for nix-process-web.service failed.")
		}
		return nil, nil
	}
	p2 := r.Build(modelV2)
	err := r.Switch(p2)
	require.ErrorContains(t, err, "starting web failed")
	require.ErrorContains(t, err, "Job for nix-process-web.service failed.")
	require.Equal(t, []string{
		"systemctl stop nix-process-web.service",
		"systemctl stop nix-process-old.service",
		"systemctl stop nix-process-db.service",
		"systemctl daemon-reload",
		"systemctl start nix-process-cache.service",
		"systemctl start nix-process-db.service",
		"systemctl start nix-process-web.service",
		// roll back: stop what this switch started, put the old units back
		"systemctl stop nix-process-web.service",
		"systemctl stop nix-process-db.service",
		"systemctl stop nix-process-cache.service",
		"systemctl daemon-reload",
		"systemctl start nix-process-db.service",
		"systemctl start nix-process-old.service",
		"systemctl start nix-process-web.service",
	}, r.Calls())
	require.Equal(t, p1, r.Current())
	require.Equal(t, []string{
		"default.target.wants/nix-process-db.service -> $DIR/nix-process-db.service",
		"default.target.wants/nix-process-old.service -> $DIR/nix-process-old.service",
		"default.target.wants/nix-process-web.service -> $DIR/nix-process-web.service",
		"nix-process-db.service -> $P1/etc/systemd/system/nix-process-db.service",
		"nix-process-old.service -> $P1/etc/systemd/system/nix-process-old.service",
		"nix-process-web.service -> $P1/etc/systemd/system/nix-process-web.service",
	}, unitLinks(t, dir, p1, p2))
}

func TestRecordedSystemctlFailedFirstDeploymentLeavesNoUnits(t *testing.T) {
	r, dir := newRecorded(t, nil)
	r.Recorder.Respond = func(c cmdrun.Cmd) ([]byte, error) {
		if c.String() == "systemctl start nix-process-web.service" {
			return nil, backendtest.ExitError(c, 1, "failed")
		}
		return nil, nil
	}
	err := r.Switch(r.Build(modelV1))
	require.ErrorContains(t, err, "starting web failed")
	require.Equal(t, []string{
		"systemctl daemon-reload",
		"systemctl start nix-process-db.service",
		"systemctl start nix-process-old.service",
		"systemctl start nix-process-web.service",
		"systemctl stop nix-process-web.service",
		"systemctl stop nix-process-old.service",
		"systemctl stop nix-process-db.service",
		"systemctl daemon-reload",
	}, r.Calls())
	require.Empty(t, unitLinks(t, dir))
	require.Equal(t, "", r.Current())
}

// A unit systemd no longer knows counts as stopped, so a switch that failed
// half-way can be run again (the original aborted on it for good).
func TestRecordedSystemctlStopOfAnUnknownUnitIsNotAnError(t *testing.T) {
	r, _ := newRecorded(t, nil)
	require.NoError(t, r.Switch(r.Build(modelV1)))
	r.Recorder.Respond = func(c cmdrun.Cmd) ([]byte, error) {
		if c.String() == "systemctl stop nix-process-old.service" {
			return nil, backendtest.ExitError(c, 5, "Failed to stop nix-process-old.service: Unit nix-process-old.service not loaded.")
		}
		if strings.HasPrefix(c.String(), "systemctl stop nix-process-db") {
			return nil, backendtest.ExitError(c, 1, "Failed to stop nix-process-db.service: Access denied")
		}
		return nil, nil
	}
	err := r.Switch(r.Build(modelV2))
	require.ErrorContains(t, err, "stopping db failed")
	require.ErrorContains(t, err, "Access denied")
}

// The unit directory is overridable; by default it is the system's, or the
// user's with --user.
func TestUnitDir(t *testing.T) {
	t.Setenv("SYSTEMD_TARGET_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", "/home/u/.config")
	dir, err := UnitDir("", false)
	require.NoError(t, err)
	require.Equal(t, "/etc/systemd/system", dir)
	dir, err = UnitDir("", true)
	require.NoError(t, err)
	require.Equal(t, "/home/u/.config/systemd/user", dir)
	t.Setenv("SYSTEMD_TARGET_DIR", "/etc/systemd-mutable/system")
	dir, err = UnitDir("", false)
	require.NoError(t, err)
	require.Equal(t, "/etc/systemd-mutable/system", dir)
	dir, err = UnitDir("/srv/units", true)
	require.NoError(t, err)
	require.Equal(t, "/srv/units", dir)
}
