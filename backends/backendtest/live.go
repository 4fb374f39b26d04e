package backendtest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Require skips a test when a command is missing, but fails it under CI,
// where the tests' dependencies must be installed.
func Require(t *testing.T, commands ...string) {
	t.Helper()
	for _, c := range commands {
		if _, err := exec.LookPath(c); err != nil {
			if _, err2 := os.Stat("/usr/sbin/" + c); err2 == nil {
				continue
			}
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (make deps installs it)", c)
			}
			t.Skipf("%s is not installed (make deps installs it)", c)
		}
	}
}

// RequireRoot skips a test that needs root, or fails it under CI.
func RequireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test needs root")
		}
		t.Skip("this test needs root")
	}
}

// Get fetches http://127.0.0.1:port/ with a Host header and returns the body.
func Get(port int, host string) (string, error) {
	req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/", port), nil)
	if host != "" {
		req.Host = host
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return string(body), fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return string(body), err
}

// WaitFor retries f until it returns nil or the timeout passes.
func WaitFor(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: still failing after %s: %v", what, timeout, err)
}

// Listening tells whether something accepts connections on the port.
func Listening(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 300*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Process is a running process found in /proc.
type Process struct {
	PID     int
	Exe     string
	Cmdline []string
	UID     int
}

// ProcessesMatching lists running processes whose command line contains s.
func ProcessesMatching(s string) []Process {
	var out []Process
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid == os.Getpid() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(raw) == 0 {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue // a zombie is gone for our purposes
			}
		}
		cmd := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		if !strings.Contains(strings.Join(cmd, " "), s) {
			continue
		}
		p := Process{PID: pid, Cmdline: cmd}
		p.Exe, _ = os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status")); err == nil {
			for _, l := range strings.Split(string(status), "\n") {
				if strings.HasPrefix(l, "Uid:") {
					fmt.Sscanf(strings.TrimPrefix(l, "Uid:"), "%d", &p.UID)
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// FreePorts returns n TCP ports nothing listens on now.
func FreePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}
