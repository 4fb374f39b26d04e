// Package webappsagnostic holds no Go code: it is the webapps example's Nix
// model (processes.nix, processes-advanced.nix, constructors/). These tests
// check the example with the real tools, independently of nixproc's own
// commands: the models evaluate to the expected processes (also the
// sysvinit-specific twin in ../webapps-sysvinit), the nginx configurations
// they generate pass `nginx -t`, and nginx really proxies to the webapps.
package webappsagnostic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireTools skips the test when a real component is missing, and fails
// it under CI=true, where everything must be installed.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
}

func examplesDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	require.NoError(t, err)
	return dir
}

// nixOptions keeps Nix off the (unreachable) binary cache.
var nixOptions = []string{"--option", "substituters", ""}

type evaluation struct {
	Model      map[string]process
	StorePaths []string
}

// process is a processes model entry, as far as these tests look at it.
type process struct {
	Port                 json.Number
	DNSName              string `json:"dnsName"`
	RequiresUniqueIdsFor []string
	Pkg                  map[string]any
}

func (p process) str(key string) string { s, _ := p.Pkg[key].(string); return s }

func (p process) strings(key string) []string {
	var out []string
	list, _ := p.Pkg[key].([]any)
	for _, item := range list {
		out = append(out, fmt.Sprint(item))
	}
	return out
}

func (p process) environment() map[string]string {
	env := map[string]string{}
	values, _ := p.Pkg["environment"].(map[string]any)
	for key, value := range values {
		env[key] = fmt.Sprint(value)
	}
	return env
}

// evaluate evaluates a processes model the way nixproc does, and asks for
// the store paths it refers to from the contexts of its strings (what
// nixproc falls back on when a path is not built yet). Read-write mode
// makes Nix write the files the model creates (the nginx configurations,
// .drv files) into the store, so that they can be realised.
func evaluate(t *testing.T, exprFile string, args map[string]any) evaluation {
	t.Helper()
	var raw struct{ Model json.RawMessage }
	require.NoError(t, json.Unmarshal(evalWrapper(t, "evaluate.nix", exprFile, args), &raw))
	var result evaluation
	require.NoError(t, json.Unmarshal(evalWrapper(t, "store-paths.nix", exprFile, args), &result.StorePaths))
	decoder := json.NewDecoder(bytes.NewReader(raw.Model))
	decoder.UseNumber()
	require.NoError(t, decoder.Decode(&result.Model))
	return result
}

// evalWrapper runs one of the evaluation wrappers of nixproc's Nix library
// on a model and returns what nix-instantiate printed.
func evalWrapper(t *testing.T, wrapper, exprFile string, args map[string]any) []byte {
	t.Helper()
	argsJSON, err := json.Marshal(args)
	require.NoError(t, err)
	cmdArgs := append([]string{
		"--read-write-mode", "--eval", "--strict", "--json",
		"-I", "nixproc=" + filepath.Join(examplesDir(t), "..", "agnostic", "nixlib"),
		"-E", "{ exprFile, argsJSON }: import <nixproc/eval/" + wrapper + "> { exprFile = /. + exprFile; args = builtins.fromJSON argsJSON; }",
		"--argstr", "exprFile", exprFile,
		"--argstr", "argsJSON", string(argsJSON),
	}, nixOptions...)
	var stderr bytes.Buffer
	cmd := exec.Command("nix-instantiate", cmdArgs...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "nix-instantiate %s: %s", exprFile, stderr.String())
	return out
}

// realise builds or copies everything the model refers to into the store.
func realise(t *testing.T, paths []string) {
	t.Helper()
	if len(paths) == 0 {
		return
	}
	out, err := exec.Command("nix-store", append(append([]string{"--realise"}, paths...), nixOptions...)...).CombinedOutput()
	require.NoError(t, err, "nix-store --realise: %s", out)
}

func sortedKeys(m map[string]process) []string {
	var keys []string
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

type expectedWebapp struct {
	key  string
	port string
}

type expectedNginx struct {
	key     string
	port    string
	webapps []string
}

// assignedIDs are the UIDs (and equal GIDs) of the webapps in the ids files
// generated with nixproc id-assign next to the models, which createCredentials
// gives to the users and groups.
var assignedIDs = map[string]map[string]string{
	"webapps-agnostic/processes.nix": {"webapp1": "2001", "webapp2": "2002"},
	"webapps-agnostic/processes-advanced.nix": {"webapp1": "2001", "webapp2": "2002",
		"webapp3": "2004", "webapp4": "2005", "webapp5": "2006", "webapp6": "2007"},
}

func TestModelsEvaluateToTheExpectedProcesses(t *testing.T) {
	requireTools(t, "nix-instantiate")
	examples := examplesDir(t)
	basic := []expectedWebapp{{"webapp1", "5000"}, {"webapp2", "5001"}}
	advanced := append(append([]expectedWebapp{}, basic...),
		expectedWebapp{"webapp3", "5002"}, expectedWebapp{"webapp4", "5003"},
		expectedWebapp{"webapp5", "5004"}, expectedWebapp{"webapp6", "5005"})
	basicNginx := []expectedNginx{{"nginx", "8080", []string{"webapp1", "webapp2"}}}
	advancedNginx := []expectedNginx{
		{"nginx", "8080", []string{"webapp1", "webapp2", "webapp3", "webapp4"}},
		{"nginx2", "8081", []string{"webapp5", "webapp6"}},
	}

	tests := []struct {
		model   string
		args    map[string]any
		webapps []expectedWebapp
		nginxes []expectedNginx
		// the field holding the webapp executable, and its daemon arguments
		executable, argsField string
	}{
		{"webapps-agnostic/processes.nix", map[string]any{"processManager": "sysvinit"}, basic, basicNginx, "process", "daemonArgs"},
		{"webapps-agnostic/processes.nix", map[string]any{"webappMode": "daemon"}, basic, basicNginx, "daemon", "daemonArgs"},
		{"webapps-agnostic/processes.nix", map[string]any{"webappMode": "foreground"}, basic, basicNginx, "foregroundProcess", ""},
		{"webapps-agnostic/processes-advanced.nix", map[string]any{"processManager": "supervisord"}, advanced, advancedNginx, "process", "daemonArgs"},
		{"webapps-sysvinit/processes.nix", map[string]any{}, basic, basicNginx, "process", "args"},
		{"webapps-sysvinit/processes-advanced.nix", map[string]any{}, advanced, advancedNginx, "process", "args"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.model, tt.args), func(t *testing.T) {
			stateDir := "/srv/nixproc-test"
			args := map[string]any{"stateDir": stateDir}
			for key, value := range tt.args {
				args[key] = value
			}
			eval := evaluate(t, filepath.Join(examples, tt.model), args)

			var keys []string
			for _, w := range tt.webapps {
				keys = append(keys, w.key)
			}
			for _, n := range tt.nginxes {
				keys = append(keys, n.key)
			}
			sort.Strings(keys)
			require.Equal(t, keys, sortedKeys(eval.Model))

			for _, w := range tt.webapps {
				p := eval.Model[w.key]
				assert.Equal(t, w.port, p.Port.String(), w.key)
				assert.Equal(t, w.key+".local", p.DNSName)
				assert.Equal(t, []string{"webappPorts", "uids", "gids"}, p.RequiresUniqueIdsFor)
				assert.Equal(t, w.key, p.str("name"))
				assert.Equal(t, w.key, p.str("instanceName"))
				assert.Equal(t, w.key, p.str("user"))
				assert.Regexp(t, `^/nix/store/[0-9a-z]{32}-webapp/bin/webapp$`, p.str(tt.executable))
				if tt.argsField != "" {
					assert.Equal(t, []string{"-D"}, p.strings(tt.argsField))
				}
				env := p.environment()
				assert.Equal(t, w.port, env["PORT"])
				if tt.argsField != "" {
					assert.Equal(t, stateDir+"/tmp/"+w.key+".pid", env["PID_FILE"])
				}
				assert.Empty(t, p.strings("dependencies"))
				group := map[string]any{}
				user := map[string]any{"group": w.key, "description": "Webapp"}
				if id, ok := assignedIDs[tt.model][w.key]; ok {
					group["gid"], user["uid"] = json.Number(id), json.Number(id)
				}
				assert.Equal(t, map[string]any{
					"__nixproc": "credentials",
					"groups":    map[string]any{w.key: group},
					"users":     map[string]any{w.key: user},
				}, p.Pkg["credentials"])
			}

			for _, n := range tt.nginxes {
				p := eval.Model[n.key]
				assert.Equal(t, n.port, p.Port.String(), n.key)
				assert.Equal(t, n.key, p.str("name"))
				assert.Equal(t, "/usr/sbin/nginx", p.str("process"))
				assert.Equal(t, n.webapps, p.strings("dependencies"))
				assert.Equal(t, stateDir+"/run/"+n.key+".pid", p.str("pidFile"))
				args := p.strings("args")
				require.Len(t, args, 6)
				assert.Equal(t, []string{"-p", stateDir + "/" + n.key, "-c"}, args[:3])
				assert.Regexp(t, `^/nix/store/[0-9a-z]{32}-`+n.key+`\.conf$`, args[3])
				assert.Equal(t, []string{"-e", stateDir + "/log/" + n.key + "/error.log"}, args[4:])
				assert.Contains(t, eval.StorePaths, args[3])
				assert.Contains(t, p.str("initialize"), fmt.Sprintf("chown %s:%s ", n.key, n.key))
				if strings.HasPrefix(tt.model, "webapps-agnostic/") {
					assert.Equal(t, []string{"-g", "daemon off;"}, p.strings("foregroundProcessExtraArgs"))
				}
			}
		})
	}
}

func TestNginxConfigurationsPassNginxT(t *testing.T) {
	requireTools(t, "nix-instantiate", "nix-store", "nginx")
	examples := examplesDir(t)
	for _, model := range []string{
		"webapps-agnostic/processes.nix",
		"webapps-agnostic/processes-advanced.nix",
		"webapps-sysvinit/processes.nix",
	} {
		t.Run(model, func(t *testing.T) {
			stateDir := t.TempDir()
			eval := evaluate(t, filepath.Join(examples, model), map[string]any{
				"stateDir": stateDir, "forceDisableUserChange": true,
			})
			realise(t, eval.StorePaths)
			for _, key := range sortedKeys(eval.Model) {
				p := eval.Model[key]
				if p.str("process") != "/usr/sbin/nginx" {
					continue
				}
				out, err := exec.Command("sh", "-ec", p.str("initialize")).CombinedOutput()
				require.NoError(t, err, "initialize %s: %s", key, out)
				conf, err := os.ReadFile(p.strings("args")[3])
				require.NoError(t, err)
				assert.NotContains(t, string(conf), "\nuser ", "no user directive when user changes are disabled")
				assert.Contains(t, string(conf), "pid "+stateDir+"/run/"+key+".pid;")

				out, err = exec.Command("nginx", append(p.strings("args"), "-t")...).CombinedOutput()
				require.NoError(t, err, "nginx -t for %s: %s", key, out)
			}
		})
	}
}

func TestPrivilegedNginxRunsItsWorkersAsItsOwnUser(t *testing.T) {
	requireTools(t, "nix-instantiate", "nix-store")
	eval := evaluate(t, filepath.Join(examplesDir(t), "webapps-agnostic/processes.nix"), map[string]any{"stateDir": "/var"})
	realise(t, eval.StorePaths)
	nginx := eval.Model["nginx"]
	conf, err := os.ReadFile(nginx.strings("args")[3])
	require.NoError(t, err)
	assert.Contains(t, string(conf), "\nuser nginx nginx;\n")
	assert.Equal(t,
		"mkdir -p /var/nginx /var/log/nginx /var/cache/nginx /var/run\nchown nginx:nginx /var/log/nginx /var/cache/nginx\n",
		nginx.str("initialize"))
	assert.Equal(t, "/tmp/webapp1.pid", eval.Model["webapp1"].environment()["PID_FILE"])
}

// freePorts returns n loopback ports nothing listens on right now.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var listeners []net.Listener
	for i := 0; i < n; i++ {
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		listeners = append(listeners, listener)
		ports = append(ports, listener.Addr().(*net.TCPAddr).Port)
	}
	for _, listener := range listeners {
		listener.Close()
	}
	return ports
}

// processGone reports whether pid no longer runs; a zombie nobody reaps
// yet counts as gone.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

func waitFor(t *testing.T, what string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readPID(path string) (int, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(content)))
}

// stopByPIDFile sends SIGTERM to the process a PID file names and waits
// until it is gone.
func stopByPIDFile(t *testing.T, pidFile string) {
	t.Helper()
	pid, err := readPID(pidFile)
	if err != nil {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	waitFor(t, "process "+strconv.Itoa(pid)+" to stop", func() bool { return processGone(pid) })
}

func get(t *testing.T, url, host string) (int, string) {
	t.Helper()
	request, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	request.Host = host
	response, err := http.DefaultClient.Do(request)
	require.NoError(t, err)
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	require.NoError(t, err)
	return response.StatusCode, string(body)
}

// The end-to-end test uses the example's constructors with free ports (the
// models' fixed ports could be taken by another test running alongside):
// webapp1 starts as a daemon, webapp2 in the foreground, nginx as a daemon.
const endToEndModel = `{ stateDir, forceDisableUserChange ? true }:
let
  dirs = {
    inherit stateDir forceDisableUserChange;
    runtimeDir = "${stateDir}/run";
    logDir = "${stateDir}/log";
    tmpDir = "${stateDir}/tmp";
    processManager = null;
  };
  shared = import %[1]s/services-agnostic/constructors/constructors.nix (dirs // { cacheDir = "${stateDir}/cache"; });
  constructors = import %[1]s/webapps-agnostic/constructors/constructors.nix dirs;
in
rec {
  webapp1 = rec { port = %[2]d; dnsName = "webapp1.local"; pkg = constructors.webapp { inherit port; instanceSuffix = "1"; }; };
  webapp2 = rec { port = %[3]d; dnsName = "webapp2.local"; pkg = constructors.webapp { inherit port; instanceSuffix = "2"; }; };
  nginx = rec { port = %[4]d; pkg = shared.nginxReverseProxyHostBased { webapps = [ webapp1 webapp2 ]; inherit port; } {}; };
}
`

func TestNginxProxiesEveryHostToItsWebapp(t *testing.T) {
	requireTools(t, "nix-instantiate", "nix-store", "nginx")
	ports := freePorts(t, 3)
	stateDir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(stateDir, "tmp"), 0o755))
	modelFile := filepath.Join(t.TempDir(), "processes.nix")
	require.NoError(t, os.WriteFile(modelFile,
		[]byte(fmt.Sprintf(endToEndModel, examplesDir(t), ports[0], ports[1], ports[2])), 0o644))

	eval := evaluate(t, modelFile, map[string]any{"stateDir": stateDir})
	realise(t, eval.StorePaths)
	webapp1, webapp2, nginx := eval.Model["webapp1"], eval.Model["webapp2"], eval.Model["nginx"]

	start := func(executable string, args []string, env map[string]string) *exec.Cmd {
		cmd := exec.Command(executable, args...)
		cmd.Env = os.Environ()
		for key, value := range env {
			cmd.Env = append(cmd.Env, key+"="+value)
		}
		return cmd
	}

	// webapp1: the daemon form; the command returns once it serves.
	t.Cleanup(func() { stopByPIDFile(t, webapp1.environment()["PID_FILE"]) })
	out, err := start(webapp1.str("process"), webapp1.strings("daemonArgs"), webapp1.environment()).CombinedOutput()
	require.NoError(t, err, "webapp1 -D: %s", out)

	// webapp2: the foreground form.
	foreground := start(webapp2.str("process"), nil, webapp2.environment())
	require.NoError(t, foreground.Start())
	t.Cleanup(func() { foreground.Process.Kill(); foreground.Wait() })
	waitFor(t, "webapp2's PID file", func() bool { _, err := os.Stat(webapp2.environment()["PID_FILE"]); return err == nil })

	// nginx: initialize, then its daemon form.
	out, err = exec.Command("sh", "-ec", nginx.str("initialize")).CombinedOutput()
	require.NoError(t, err, "initialize nginx: %s", out)
	t.Cleanup(func() { stopByPIDFile(t, nginx.str("pidFile")) })
	out, err = exec.Command(nginx.str("process"), nginx.strings("args")...).CombinedOutput()
	require.NoError(t, err, "nginx: %s", out)
	waitFor(t, "nginx's PID file", func() bool { _, err := readPID(nginx.str("pidFile")); return err == nil })

	url := fmt.Sprintf("http://127.0.0.1:%d/some/page", ports[2])
	for i, host := range []string{"webapp1.local", "webapp2.local"} {
		status, body := get(t, url, host)
		assert.Equal(t, http.StatusOK, status, host)
		assert.Contains(t, body, fmt.Sprintf("webapp%d listening on port: %d", i+1, ports[i]), host)
	}
	status, body := get(t, url, "unknown.local")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body, "No web application is deployed under this host name")

	for _, log := range []string{"access.log", "error.log"} {
		assert.FileExists(t, filepath.Join(stateDir, "log", "nginx", log))
	}

	stopByPIDFile(t, nginx.str("pidFile"))
	stopByPIDFile(t, webapp1.environment()["PID_FILE"])
	require.NoError(t, foreground.Process.Signal(syscall.SIGTERM))
	require.NoError(t, foreground.Wait())
	for _, pidFile := range []string{nginx.str("pidFile"), webapp1.environment()["PID_FILE"], webapp2.environment()["PID_FILE"]} {
		assert.NoFileExists(t, pidFile)
	}
}
