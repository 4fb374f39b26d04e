package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// webappBinary is built once, by the first test that needs it.
var webappBinary string

func buildWebapp(t *testing.T) string {
	t.Helper()
	if webappBinary != "" {
		return webappBinary
	}
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to build the webapp")
	dir, err := os.MkdirTemp("", "webapp-test-bin")
	require.NoError(t, err)
	binary := filepath.Join(dir, "webapp")
	out, err := exec.Command(goTool, "build", "-o", binary, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	webappBinary = binary
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if webappBinary != "" {
		os.RemoveAll(filepath.Dir(webappBinary))
	}
	os.Exit(code)
}

// freePort returns a loopback port that nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := listener.Addr().(*net.TCPAddr).Port
	require.NoError(t, listener.Close())
	return port
}

func webappCommand(t *testing.T, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(buildWebapp(t), args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// waitFor polls condition until it holds or the deadline passes.
func waitFor(t *testing.T, what string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readPID(t *testing.T, pidFile string) int {
	t.Helper()
	content, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(content)))
	require.NoError(t, err, "PID file content %q", content)
	return pid
}

// procStat returns the fields of /proc/<pid>/stat after the command name:
// state, ppid, pgrp, session, ...
func procStat(t *testing.T, pid int) []string {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	return strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
}

// processGone reports whether pid no longer runs (a zombie waiting for a
// reaper counts as gone).
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

func getPage(t *testing.T, port int) string {
	t.Helper()
	response, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/any/path", port))
	require.NoError(t, err)
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, response.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", response.Header.Get("Content-Type"))
	return string(body)
}

func TestForegroundServesAndStopsOnSIGTERM(t *testing.T) {
	port := freePort(t)
	pidFile := filepath.Join(t.TempDir(), "webapp1.pid")
	var stderr bytes.Buffer
	cmd := webappCommand(t, []string{"PORT=" + strconv.Itoa(port), "PID_FILE=" + pidFile})
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()

	waitFor(t, "the PID file", func() bool { _, err := os.Stat(pidFile); return err == nil })
	assert.Equal(t, cmd.Process.Pid, readPID(t, pidFile))

	page := getPage(t, port)
	assert.Contains(t, page, "<title>Simple test webapp</title>")
	assert.Contains(t, page, fmt.Sprintf("webapp1 listening on port: %d", port))

	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	time.Sleep(100 * time.Millisecond)
	assert.Contains(t, getPage(t, port), "webapp1", "SIGHUP must not stop the webapp")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "exit after SIGTERM; stderr: %s", stderr.String())
	assert.NoFileExists(t, pidFile)
}

func TestDaemonModeDetachesServesAndStops(t *testing.T) {
	port := freePort(t)
	pidFile := filepath.Join(t.TempDir(), "webapp2.pid")
	cmd := webappCommand(t, []string{"PORT=" + strconv.Itoa(port), "PID_FILE=" + pidFile}, "-D")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "webapp -D: %s", out)

	// The starting process has exited: the daemon must already serve.
	pid := readPID(t, pidFile)
	defer syscall.Kill(pid, syscall.SIGKILL)
	assert.NotEqual(t, cmd.Process.Pid, pid)
	assert.Equal(t, strconv.Itoa(pid), procStat(t, pid)[3], "the daemon leads its own session")
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(bytes.TrimRight(cmdline, "\x00")), "/webapp\x00-D"),
		"the daemon keeps the command line it was started with: %q", cmdline)
	assert.Contains(t, getPage(t, port), fmt.Sprintf("webapp2 listening on port: %d", port))

	require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
	waitFor(t, "the daemon to exit", func() bool { return processGone(pid) })
	assert.NoFileExists(t, pidFile)
}

func TestPortInUseFailsClearly(t *testing.T) {
	occupied, err := net.Listen("tcp", ":0")
	require.NoError(t, err)
	defer occupied.Close()
	port := strconv.Itoa(occupied.Addr().(*net.TCPAddr).Port)

	for _, args := range [][]string{nil, {"-D"}} {
		t.Run(fmt.Sprintf("args=%v", args), func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "webapp.pid")
			var stderr bytes.Buffer
			cmd := webappCommand(t, []string{"PORT=" + port, "PID_FILE=" + pidFile}, args...)
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exitErr *exec.ExitError
			require.ErrorAs(t, err, &exitErr)
			assert.Equal(t, 1, exitErr.ExitCode())
			assert.Contains(t, stderr.String(), "webapp: cannot listen on port "+port)
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q", stderr.String())
			assert.NoFileExists(t, pidFile)
		})
	}
}

func TestDaemonReportsAnUnwritablePIDFile(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "missing-dir", "webapp.pid")
	var stderr bytes.Buffer
	cmd := webappCommand(t, []string{"PORT=" + strconv.Itoa(freePort(t)), "PID_FILE=" + pidFile}, "-D")
	cmd.Stderr = &stderr
	require.Error(t, cmd.Run())
	assert.Contains(t, stderr.String(), "webapp: cannot write PID file "+pidFile)
}

func TestMissingPortFailsClearly(t *testing.T) {
	var stderr bytes.Buffer
	cmd := exec.Command(buildWebapp(t))
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	assert.Equal(t, 1, exitErr.ExitCode())
	assert.Equal(t, "webapp: the PORT environment variable must specify the TCP port to listen on\n", stderr.String())
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    config
		wantErr string
	}{
		{"port only", map[string]string{"PORT": "5000"}, config{port: 5000, instanceName: "webapp"}, ""},
		{"name from PID file", map[string]string{"PORT": "5001", "PID_FILE": "/tmp/webapp2.pid"},
			config{port: 5001, pidFile: "/tmp/webapp2.pid", instanceName: "webapp2"}, ""},
		{"explicit name wins", map[string]string{"PORT": "5001", "PID_FILE": "/tmp/x.pid", "INSTANCE_NAME": "web"},
			config{port: 5001, pidFile: "/tmp/x.pid", instanceName: "web"}, ""},
		{"missing port", map[string]string{}, config{}, "PORT environment variable"},
		{"port not a number", map[string]string{"PORT": "http"}, config{}, `not "http"`},
		{"port zero", map[string]string{"PORT": "0"}, config{}, "between 1 and 65535"},
		{"port too large", map[string]string{"PORT": "65536"}, config{}, "between 1 and 65535"},
		{"relative PID file", map[string]string{"PORT": "5000", "PID_FILE": "webapp.pid"}, config{}, "absolute path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configFromEnv(func(key string) string { return tt.env[key] })
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPageHandler(t *testing.T) {
	handler := pageHandler("the page")

	get := httptest.NewRecorder()
	handler.ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/some/path", nil))
	assert.Equal(t, http.StatusOK, get.Code)
	assert.Equal(t, "the page", get.Body.String())

	post := httptest.NewRecorder()
	handler.ServeHTTP(post, httptest.NewRequest(http.MethodPost, "/", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, post.Code)
	assert.Equal(t, "GET, HEAD", post.Header().Get("Allow"))
}
