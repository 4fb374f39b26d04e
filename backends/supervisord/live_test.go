package supervisord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/backendtest"
	"nixproc/cmdrun"
)

// These tests deploy models with the real supervisord and real programs:
// the examples' webapp (foreground, and daemon-only through the foreground
// proxy) and a program that reports the arguments and environment it got.

// liveEnv is one deployment in a temp directory.
type liveEnv struct {
	t        *testing.T
	dir      string
	dirs     agnostic.Dirs
	profiles backends.Profiles
	env      *backends.Env
	log      *syncBuffer
	webapp   string
}

func newLiveEnv(t *testing.T) *liveEnv {
	t.Helper()
	backendtest.Require(t, "supervisord", "supervisorctl", "go")
	dir := t.TempDir()
	// Programs may run as other users: they must reach the test's files.
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	e := &liveEnv{
		t:        t,
		dir:      dir,
		dirs:     agnostic.Dirs{StateDir: filepath.Join(dir, "state")},
		profiles: backends.Profiles{Dir: filepath.Join(dir, "profiles"), Name: "processes"},
		log:      &syncBuffer{},
	}
	e.env = &backends.Env{Dirs: e.dirs.Resolved(), Runner: cmdrun.Exec{}, Stdout: e.log, Stderr: e.log, Options: map[string]string{}}
	t.Cleanup(func() {
		i := &instance{d: &Deployer{env: e.env, reread: map[string]bool{}}, dirs: e.dirs.Resolved()}
		_ = i.shutdown(context.Background())
		killUnder(dir)
		if t.Failed() {
			t.Logf("deployment output:\n%s", e.log.String())
		}
	})
	return e
}

// buildWebapp builds the examples' webapp into the test's directory.
func (e *liveEnv) buildWebapp() string {
	e.t.Helper()
	if e.webapp == "" {
		e.webapp = backendtest.BuildWebapp(e.t, filepath.Join(e.dir, "webapp"))
	}
	return e.webapp
}

// build builds a JSON model into a profile.
func (e *liveEnv) build(model any) (string, error) {
	e.t.Helper()
	data, err := json.Marshal(model)
	require.NoError(e.t, err)
	file := filepath.Join(e.dir, fmt.Sprintf("model-%d.json", time.Now().UnixNano()))
	require.NoError(e.t, os.WriteFile(file, data, 0o644))
	return backends.Build(context.Background(), Backend{}, backends.BuildOptions{
		Eval: agnostic.EvalOptions{ExprFile: file, Dirs: e.dirs}, Warnings: e.log,
	})
}

// deploy builds a model and switches to it.
func (e *liveEnv) deploy(model any) error {
	e.t.Helper()
	path, err := e.build(model)
	require.NoError(e.t, err)
	return backends.Switch(context.Background(), backends.SwitchOptions{Env: e.env, Profiles: e.profiles, NewPath: path})
}

// undeploy switches to the empty profile.
func (e *liveEnv) undeploy() error {
	e.t.Helper()
	path, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{Dirs: e.dirs}})
	require.NoError(e.t, err)
	return backends.Switch(context.Background(), backends.SwitchOptions{Env: e.env, Profiles: e.profiles, NewPath: path})
}

func (e *liveEnv) ctl(args ...string) string {
	out, _ := exec.Command("supervisorctl", append([]string{"-c", filepath.Join(Home(e.dirs), "supervisorctl.conf")}, args...)...).CombinedOutput()
	return string(out)
}

// pid is the PID supervisord reports for a program.
func (e *liveEnv) pid(name string) int {
	e.t.Helper()
	out := strings.TrimSpace(e.ctl("pid", name))
	pid, err := strconv.Atoi(out)
	require.NoError(e.t, err, "supervisorctl pid %s: %s", name, out)
	return pid
}

// programs lists the programs supervisord has loaded, with their states.
func (e *liveEnv) programs() map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(e.ctl("status"), "\n") {
		if m := statusLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			out[m[1]] = m[2]
		}
	}
	return out
}

// page fetches a webapp's page, waiting a little for it.
func page(t *testing.T, port int) string {
	t.Helper()
	var body string
	backendtest.WaitFor(t, 10*time.Second, fmt.Sprintf("port %d answers", port), func() error {
		var err error
		body, err = backendtest.Get(port, "")
		return err
	})
	return body
}

func webapp(bin string, port int, name, shown string, deps ...string) map[string]any {
	return map[string]any{"pkg": map[string]any{
		"name": name, "foregroundProcess": bin, "dependencies": deps,
		"environment": map[string]any{"PORT": port, "INSTANCE_NAME": shown},
	}}
}

func daemonWebapp(bin string, port int, name, pidFile, shown string, deps ...string) map[string]any {
	return map[string]any{"pkg": map[string]any{
		"name": name, "daemon": bin, "daemonArgs": []string{"-D"}, "pidFile": pidFile, "dependencies": deps,
		"environment": map[string]any{"PORT": port, "PID_FILE": pidFile, "INSTANCE_NAME": shown},
	}}
}

func TestLiveDeployUpgradeRollbackUndeploy(t *testing.T) {
	e := newLiveEnv(t)
	bin := e.buildWebapp()
	ports := backendtest.FreePorts(t, 5)
	pidFile3 := filepath.Join(e.dir, "state", "run", "webapp3.pid")
	v1 := map[string]any{
		"webapp1": webapp(bin, ports[0], "webapp1", "webapp1"),
		"webapp2": webapp(bin, ports[1], "webapp2", "webapp2", "webapp1"),
		"webapp3": daemonWebapp(bin, ports[2], "webapp3", pidFile3, "webapp3 v1", "webapp2"),
	}

	// Deploy: every program answers, the daemon runs behind its proxy.
	require.NoError(t, e.deploy(v1))
	assert.Contains(t, page(t, ports[0]), "webapp1")
	assert.Contains(t, page(t, ports[1]), "webapp2")
	assert.Contains(t, page(t, ports[2]), "webapp3 v1")
	assert.Equal(t, map[string]string{"webapp1": "RUNNING", "webapp2": "RUNNING", "webapp3": "RUNNING"}, e.programs())
	info, err := os.Stat(SocketPath(e.dirs))
	require.NoError(t, err)
	assert.Equal(t, os.ModeSocket, info.Mode()&os.ModeSocket)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm(), "only the owner may control supervisord")
	assert.Empty(t, listeningTCP(t, e.pid("")), "supervisord listens on no TCP port")
	// A dependent is spawned only once its dependency is RUNNING.
	events := e.supervisordEvents()
	require.Less(t, indexOf(events, "spawned: 'webapp3'"), len(events), "%q", events)
	assert.Less(t, indexOf(events, "success: webapp1 entered RUNNING"), indexOf(events, "spawned: 'webapp2'"), "%q", events)
	assert.Less(t, indexOf(events, "success: webapp2 entered RUNNING"), indexOf(events, "spawned: 'webapp3'"), "%q", events)
	pid1, pid2, proxy3 := e.pid("webapp1"), e.pid("webapp2"), e.pid("webapp3")
	daemon3 := readPID(pidFile3)
	require.True(t, alive(daemon3))

	// Upgrade: a changed program restarts, a new one starts, the others
	// keep running.
	v2 := map[string]any{
		"webapp1": v1["webapp1"],
		"webapp2": v1["webapp2"],
		"webapp3": daemonWebapp(bin, ports[2], "webapp3", pidFile3, "webapp3 v2", "webapp2"),
		"webapp4": webapp(bin, ports[3], "webapp4", "webapp4"),
	}
	require.NoError(t, e.deploy(v2))
	backendtest.WaitFor(t, 10*time.Second, "webapp3 v2", func() error {
		if body, _ := backendtest.Get(ports[2], ""); !strings.Contains(body, "webapp3 v2") {
			return fmt.Errorf("page: %q", body)
		}
		return nil
	})
	assert.Contains(t, page(t, ports[3]), "webapp4")
	assert.Equal(t, pid1, e.pid("webapp1"), "unchanged webapp1 keeps running")
	assert.Equal(t, pid2, e.pid("webapp2"), "unchanged webapp2 keeps running")
	assert.NotEqual(t, proxy3, e.pid("webapp3"), "changed webapp3 restarted")
	assert.False(t, alive(daemon3), "the old daemon of webapp3 is gone")
	daemon3 = readPID(pidFile3)
	require.True(t, alive(daemon3))
	_, gen2, err := e.profiles.Current()
	require.NoError(t, err)

	// A failing program: the switch fails naming it and its error, and the
	// previous deployment is back.
	v3 := map[string]any{
		"webapp1": v1["webapp1"],
		"webapp2": v1["webapp2"],
		"webapp3": v2["webapp3"],
		"webapp4": webapp(bin, ports[3], "webapp4", "webapp4 v3"),
		"broken": map[string]any{"pkg": map[string]any{
			"name": "broken", "foregroundProcess": bin, "dependencies": []string{"webapp4"},
			"environment": map[string]any{"PORT": "not-a-port"}}},
	}
	err = e.deploy(v3)
	require.Error(t, err)
	t.Logf("the failed switch says: %v", err)
	assert.Contains(t, err.Error(), "starting broken failed")
	assert.Contains(t, err.Error(), `PORT must be a TCP port number between 1 and 65535, not "not-a-port"`, "the program's own error is shown")
	assert.Equal(t, map[string]string{"webapp1": "RUNNING", "webapp2": "RUNNING", "webapp3": "RUNNING", "webapp4": "RUNNING"}, e.programs())
	body := page(t, ports[3])
	assert.Contains(t, body, "webapp4")
	assert.NotContains(t, body, "webapp4 v3", "webapp4 is the deployed version again")
	assert.Equal(t, pid1, e.pid("webapp1"))
	_, gen, err := e.profiles.Current()
	require.NoError(t, err)
	assert.Equal(t, gen2, gen, "the failed profile did not become a generation")

	// After a reboot supervisord is not running: the next switch starts it
	// with the deployed programs.
	require.NoError(t, (&instance{d: &Deployer{env: e.env, reread: map[string]bool{}}, dirs: e.dirs.Resolved()}).shutdown(context.Background()))
	require.False(t, backendtest.Listening(ports[0]))
	require.NoError(t, e.deploy(v2))
	for i, name := range []string{"webapp1", "webapp2", "webapp3 v2", "webapp4"} {
		assert.Contains(t, page(t, ports[i]), name)
	}

	// Undeploy: nothing is left running, supervisord included.
	require.NoError(t, e.undeploy())
	for _, p := range ports[:4] {
		assert.False(t, backendtest.Listening(p), "port %d", p)
	}
	assert.Empty(t, backendtest.ProcessesMatching(e.dir), "no process of the deployment is left")
	assert.False(t, alive(readPID(pidFile3)))
}

// supervisordEvents are the spawn and RUNNING lines of supervisord's log.
func (e *liveEnv) supervisordEvents() []string {
	data, err := os.ReadFile(filepath.Join(e.dirs.Resolved().LogDir, "supervisord.log"))
	require.NoError(e.t, err)
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		for _, marker := range []string{"spawned: ", "success: "} {
			if i := strings.Index(l, marker); i >= 0 {
				out = append(out, l[i:])
			}
		}
	}
	return out
}

// indexOf is the index of the first element with the prefix, or len+1.
func indexOf(list []string, prefix string) int {
	for i, s := range list {
		if strings.HasPrefix(s, prefix) {
			return i
		}
	}
	return len(list) + 1
}

// listeningTCP lists the TCP ports a process listens on.
func listeningTCP(t *testing.T, pid int) []string {
	inodes := map[string]bool{}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if m := regexp.MustCompile(`^socket:\[(\d+)\]$`).FindStringSubmatch(l); m != nil {
			inodes[m[1]] = true
		}
	}
	var out []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, _ := os.ReadFile(f)
		for _, l := range strings.Split(string(data), "\n")[1:] {
			fs := strings.Fields(l)
			if len(fs) > 9 && fs[3] == "0A" && inodes[fs[9]] {
				out = append(out, fs[1])
			}
		}
	}
	return out
}

// tricky values: spaces, both quotes, $, %, backslashes, ; and # (also
// after whitespace), non-ASCII text, and what supervisord expands.
var trickyArgs = []string{"with space", "it's", `"double"`, "both ' and \"", "$HOME", "100%", "%s %% %(here)s %(ENV_HOME)s",
	`back\slash`, `\\double\\`, "semi;colon", "a ;b", "c #d", "#hash", ";semi", "", "  padded  ", "ünïcödé ☃ 日本", "-n", "tab\there"}

var trickyEnv = map[string]string{
	"SPACES": "a b  c", "SINGLE": "it's", "DOUBLE": `say "hi" now`, "DOLLAR": "$PATH ${HOME}", "PERCENT": "%s %% %(ENV_HOME)s 100%",
	"BACKSLASH": `C:\dir\`, "SEMI": "a;b", "HASH": "a#b", "UNICODE": "ünïcödé ☃ 日本", "EMPTY": "", "COMMA": "a,b=c",
}

// trickierEnv holds values supervisord's environment= cannot carry: they
// go through the foreground proxy.
var trickierEnv = map[string]string{
	"BOTH": `it's "both"`, "QUOTED": `"quoted"`, "COMMENT": "a ;b #c", "BACKTICK": "`date`", "HERE": "%(here)s",
}

func TestLiveExactBytes(t *testing.T) {
	e := newLiveEnv(t)
	reporter := filepath.Join(e.dir, "report")
	require.NoError(t, os.WriteFile(reporter, []byte(`#!/bin/bash
printf '%s\0' "$@" >"$REPORT_DIR/args.tmp" && mv "$REPORT_DIR/args.tmp" "$REPORT_DIR/args"
env -0 >"$REPORT_DIR/env"
exec sleep 100000
`), 0o755))
	proc := func(name string, args []string, env map[string]string) map[string]any {
		out := filepath.Join(e.dir, "out", name)
		require.NoError(t, os.MkdirAll(out, 0o755))
		full := map[string]any{"REPORT_DIR": out}
		for k, v := range env {
			full[k] = v
		}
		return map[string]any{"pkg": map[string]any{"name": name, "foregroundProcess": reporter, "foregroundProcessArgs": args, "environment": full}}
	}
	backtickArgs := append(append([]string{}, trickyArgs...), "`backtick`")
	merged := map[string]string{}
	for k, v := range trickyEnv {
		merged[k] = v
	}
	for k, v := range trickierEnv {
		merged[k] = v
	}
	model := map[string]any{
		"native":  proc("native", trickyArgs, trickyEnv),
		"proxied": proc("proxied", backtickArgs, merged),
	}
	path, err := e.build(model)
	require.NoError(t, err)
	conf, err := os.ReadFile(filepath.Join(path, ConfDir, "native.conf"))
	require.NoError(t, err)
	require.Contains(t, string(conf), "command        = "+reporter+" ", "native runs without a proxy")
	require.Contains(t, string(conf), "environment    = ", "native's environment is supervisord's")
	require.NoError(t, backends.Switch(context.Background(), backends.SwitchOptions{Env: e.env, Profiles: e.profiles, NewPath: path}))

	for name, want := range map[string]struct {
		args []string
		env  map[string]string
	}{"native": {trickyArgs, trickyEnv}, "proxied": {backtickArgs, merged}} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(e.dir, "out", name)
			var got []byte
			backendtest.WaitFor(t, 10*time.Second, "the report of "+name, func() error {
				got, err = os.ReadFile(filepath.Join(out, "args"))
				return err
			})
			wantArgs := strings.Join(want.args, "\x00") + "\x00"
			assert.Equal(t, wantArgs, string(got), "arguments arrive byte for byte")
			envRaw, err := os.ReadFile(filepath.Join(out, "env"))
			require.NoError(t, err)
			vars := map[string]string{}
			for _, kv := range strings.Split(strings.TrimSuffix(string(envRaw), "\x00"), "\x00") {
				k, v, _ := strings.Cut(kv, "=")
				vars[k] = v
			}
			for k, v := range want.env {
				assert.Equal(t, v, vars[k], "environment variable %s arrives byte for byte", k)
			}
		})
	}
	require.NoError(t, e.undeploy())
	assert.Empty(t, backendtest.ProcessesMatching(e.dir))
}

func TestLiveNewlineIsABuildError(t *testing.T) {
	for field, pkg := range map[string]map[string]any{
		"foregroundProcessArgs[1]": {"name": "nl", "foregroundProcess": "/bin/true", "foregroundProcessArgs": []string{"ok", "new\nline"}},
		"environment.NL":           {"name": "nl", "foregroundProcess": "/bin/true", "environment": map[string]string{"NL": "a\nb"}},
	} {
		t.Run(field, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
			data, _ := json.Marshal(map[string]any{"nl": map[string]any{"pkg": pkg}})
			file := filepath.Join(dir, "m.json")
			require.NoError(t, os.WriteFile(file, data, 0o644))
			_, err := backends.Build(context.Background(), Backend{}, backends.BuildOptions{Eval: agnostic.EvalOptions{ExprFile: file}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "process nl: "+field+": contains a line break")
			entries, _ := os.ReadDir(filepath.Join(dir, "builds"))
			assert.Empty(t, entries, "no profile is left behind")
		})
	}
}

func TestLiveStatelessRemovesOnlyAccountsItCreated(t *testing.T) {
	backendtest.RequireRoot(t)
	backendtest.Require(t, "useradd", "userdel", "groupadd", "groupdel")
	e := newLiveEnv(t)
	bin := e.buildWebapp()
	port := backendtest.FreePorts(t, 1)[0]
	user := fmt.Sprintf("nxsv%d", os.Getpid()%100000)
	t.Cleanup(func() {
		_ = exec.Command("userdel", user).Run()
		_ = exec.Command("groupdel", user).Run()
	})
	model := map[string]any{"web": map[string]any{"pkg": map[string]any{
		"name": "web", "foregroundProcess": bin, "user": user,
		"environment": map[string]any{"PORT": port, "INSTANCE_NAME": "stateless"},
		"credentials": map[string]any{
			"groups": map[string]any{user: map[string]any{}},
			"users": map[string]any{
				user:     map[string]any{"group": user, "description": "nixproc supervisord test"},
				"nobody": map[string]any{}, // exists already: must stay
			},
		},
	}}}
	path, err := e.build(model)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var code int
	var runErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		code, runErr = RunStateless(ctx, e.env, path)
	}()
	assert.Contains(t, page(t, port), "stateless")
	uid := ""
	if out, err := exec.Command("id", "-u", user).Output(); err == nil {
		uid = strings.TrimSpace(string(out))
	}
	require.NotEmpty(t, uid, "the user exists while supervisord runs")
	var owner []string
	for _, p := range backendtest.ProcessesMatching(bin) {
		owner = append(owner, strconv.Itoa(p.UID))
	}
	assert.Equal(t, []string{uid}, owner, "the webapp runs as its user")

	cancel() // as TERM would
	wg.Wait()
	require.NoError(t, runErr)
	assert.Equal(t, 0, code)
	assert.False(t, backendtest.Listening(port))
	assert.Empty(t, backendtest.ProcessesMatching(e.dir))
	assert.Error(t, exec.Command("id", user).Run(), "the user it created is removed")
	assert.Error(t, exec.Command("getent", "group", user).Run(), "the group it created is removed")
	assert.NoError(t, exec.Command("id", "nobody").Run(), "a user that existed before stays")
}

// syncBuffer collects output written while a test reads it.
type syncBuffer = backendtest.SyncBuffer

// killUnder kills every process whose executable or command line names a
// file under dir.
func killUnder(dir string) {
	entries, _ := os.ReadDir("/proc")
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.HasPrefix(exe, dir+"/") || bytes.Contains(cmdline, []byte(dir+"/")) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// A program with several processes (numprocs) is started, waited for and
// stopped as a whole.
func TestLiveProgramWithSeveralProcesses(t *testing.T) {
	e := newLiveEnv(t)
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	bin, err := os.ReadFile(sleep)
	require.NoError(t, err)
	sleeper := filepath.Join(e.dir, "sleeper")
	require.NoError(t, os.WriteFile(sleeper, bin, 0o755))
	model := map[string]any{"multi": map[string]any{"pkg": map[string]any{
		"name": "multi", "foregroundProcess": sleeper, "foregroundProcessArgs": []string{"100000"},
		"overrides": map[string]any{"supervisord": map[string]any{"numprocs": 3, "process_name": "%(program_name)s_%(process_num)d"}},
	}}}
	require.NoError(t, e.deploy(model))
	assert.Equal(t, map[string]string{"multi:multi_0": "RUNNING", "multi:multi_1": "RUNNING", "multi:multi_2": "RUNNING"}, e.programs())
	assert.Len(t, backendtest.ProcessesMatching(sleeper), 3)

	// An unchanged switch keeps them; an undeploy stops all three.
	pids := e.ctl("pid", "multi:*")
	require.NoError(t, e.deploy(model))
	assert.Equal(t, pids, e.ctl("pid", "multi:*"))
	require.NoError(t, e.undeploy())
	assert.Empty(t, backendtest.ProcessesMatching(e.dir))
}
