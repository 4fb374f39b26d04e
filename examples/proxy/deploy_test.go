package proxy_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// These tests deploy the example with nixproc-sysvinit-switch, for real:
// Nix builds the programs, the init scripts start them with libslack's
// daemon, and the switch locks and unlocks the proxy.

// nixproc is the binary under test, built once.
var nixproc string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nixproc-proxy-example-")
	if err != nil {
		panic(err)
	}
	nixproc = filepath.Join(dir, "nixproc")
	if out, err := exec.Command("go", "build", "-o", nixproc, "nixproc/cmd/nixproc").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building nixproc: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const wait = 30 * time.Second

// deployment is one deployment of the example: its own state directory,
// profiles, builds and ports.
type deployment struct {
	t                     *testing.T
	dir, stateDir         string
	serverPort, proxyPort int
}

func newDeployment(t *testing.T) *deployment {
	backendtest.Require(t, "nix-instantiate", "nix-store", "daemon")
	ports := backendtest.FreePorts(t, 2)
	dir := t.TempDir()
	d := &deployment{t: t, dir: dir, stateDir: filepath.Join(dir, "state"), serverPort: ports[0], proxyPort: ports[1]}
	t.Cleanup(func() {
		// Registered first, so it runs after the clients are closed: then
		// the proxy drains at once.
		if out, err := d.run("--undeploy", "--lock-timeout", "10s"); err != nil {
			t.Errorf("undeploy: %v\n%s", err, out)
		}
		// Whatever happened, leave nothing running.
		for _, p := range d.processes() {
			syscall.Kill(p.PID, syscall.SIGKILL)
		}
	})
	return d
}

// processes lists the running processes of this deployment: the daemon
// supervisors (their PID files are in the state directory), the proxy (its
// admin socket is) and the server (its port).
func (d *deployment) processes() []backendtest.Process {
	procs := backendtest.ProcessesMatching(d.stateDir)
	return append(procs, backendtest.ProcessesMatching(fmt.Sprintf("-port %d ", d.serverPort))...)
}

// tool is nixproc under one of its tool names.
func tool(t *testing.T, name string) string {
	link := filepath.Join(filepath.Dir(nixproc), name)
	if _, err := os.Lstat(link); err != nil {
		require.NoError(t, os.Symlink(nixproc, link))
	}
	return link
}

func (d *deployment) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(tool(d.t, name), args...)
	cmd.Env = append(os.Environ(),
		"NIX_USER_PROFILE_DIR="+filepath.Join(d.dir, "profiles"),
		"NIXPROC_BUILD_DIR="+filepath.Join(d.dir, "builds"),
		"NIXPROC_LOCK_TIMEOUT=", // the default, unless a test says otherwise
	)
	return cmd
}

// run calls nixproc-sysvinit-switch with the deployment's options.
func (d *deployment) run(args ...string) (string, error) {
	out, err := d.command("nixproc-sysvinit-switch", d.switchArgs(args...)...).CombinedOutput()
	return string(out), err
}

func (d *deployment) switchArgs(args ...string) []string {
	return append([]string{"--state-dir", d.stateDir, "--force-disable-user-change"}, args...)
}

// params are the model's arguments: this deployment's ports, and more.
func (d *deployment) params(extra string) string {
	return fmt.Sprintf("{ serverPort = %d; proxyPort = %d; %s }", d.serverPort, d.proxyPort, extra)
}

func model(name string) string { return name } // the models are next to the test

func (d *deployment) deploy(name, extra string) {
	d.t.Helper()
	out, err := d.run("--extra-params", d.params(extra), model(name))
	require.NoError(d.t, err, "switch to %s:\n%s", name, out)
}

// background starts a switch; its result comes on the channel.
type result struct {
	out string
	err error
}

func (d *deployment) background(args ...string) <-chan result {
	cmd := d.command("nixproc-sysvinit-switch", d.switchArgs(args...)...)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	require.NoError(d.t, cmd.Start())
	exited := make(chan struct{})
	done := make(chan result, 1)
	go func() {
		err := cmd.Wait()
		close(exited)
		done <- result{out.String(), err}
	}()
	d.t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Signal(syscall.SIGTERM)
			<-exited
		}
	})
	return done
}

func (d *deployment) admin() string { return filepath.Join(d.stateDir, "run", "tcp-proxy.sock") }

// query asks the proxy's admin socket one thing.
func (d *deployment) query(cmd string) (string, error) {
	c, err := net.Dial("unix", d.admin())
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	fmt.Fprintln(c, cmd)
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

func (d *deployment) waitStatus(want string) {
	d.t.Helper()
	backendtest.WaitFor(d.t, wait, "proxy status "+want, func() error {
		got, err := d.query("status")
		if err == nil && got != want {
			err = fmt.Errorf("status is %q", got)
		}
		return err
	})
}

// proxyPID is the PID of the proxy program.
func (d *deployment) proxyPID() int {
	d.t.Helper()
	for _, p := range backendtest.ProcessesMatching("serve -listen") {
		if strings.Contains(strings.Join(p.Cmdline, " "), d.admin()) && filepath.Base(p.Exe) == "tcp-proxy" {
			return p.PID
		}
	}
	d.t.Fatalf("no proxy runs with admin socket %s", d.admin())
	return 0
}

func (d *deployment) generations() int {
	d.t.Helper()
	out, err := d.run("--list-generations")
	require.NoError(d.t, err, out)
	return len(strings.Split(strings.TrimSpace(out), "\n"))
}

// client is a conversation with a port.
type client struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func connect(t *testing.T, port int) *client {
	t.Helper()
	var c net.Conn
	backendtest.WaitFor(t, wait, fmt.Sprintf("connecting to port %d", port), func() (err error) {
		c, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		return err
	})
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(3 * wait))
	return &client{t: t, c: c, r: bufio.NewReader(c)}
}

func (c *client) send(line string) {
	_, err := fmt.Fprintf(c.c, "%s\r\n", line)
	require.NoError(c.t, err)
}

func (c *client) reply() string {
	c.t.Helper()
	line, err := c.r.ReadString('\n')
	require.NoError(c.t, err)
	return line
}

func (c *client) hello() string {
	c.t.Helper()
	c.send("hello")
	return c.reply()
}

// quit ends the conversation and waits until the server has closed it.
func (c *client) quit() {
	c.send("quit")
	_, err := c.r.ReadByte()
	require.Error(c.t, err)
	c.c.Close()
}

func greets(t *testing.T, port int, want string) {
	t.Helper()
	c := connect(t, port)
	assert.Equal(t, want+"\r\n", c.hello())
	c.quit()
}

// TestUpgradeWaitsForTheClientsOfTheProxy is the example's point: an
// upgrade that restarts the server waits while a client is connected
// through the proxy; a client that comes meanwhile is queued, not refused;
// once the first one leaves the upgrade completes, without restarting the
// proxy, and the queued client is served by the new server.
func TestUpgradeWaitsForTheClientsOfTheProxy(t *testing.T) {
	d := newDeployment(t)
	d.deploy("processes-with-proxy.nix", "")
	greets(t, d.proxyPort, "Hello world!")
	proxy := d.proxyPID()

	first := connect(t, d.proxyPort)
	assert.Equal(t, "Hello world!\r\n", first.hello())
	upgrade := d.background("--extra-params", d.params(`greeting = "Hello again!";`), model("processes-with-proxy.nix"))
	d.waitStatus("locked=true active=1 queued=0")
	assert.Equal(t, "Hello world!\r\n", first.hello(), "the old server still serves the open connection")

	second := connect(t, d.proxyPort)
	second.send("hello")
	d.waitStatus("locked=true active=1 queued=1")
	select {
	case r := <-upgrade:
		t.Fatalf("the upgrade finished while a client was connected: %v\n%s", r.err, r.out)
	default:
	}
	assert.Equal(t, 1, d.generations())

	first.quit()
	var r result
	select {
	case r = <-upgrade:
	case <-time.After(3 * wait):
		t.Fatal("the upgrade did not finish after the client left")
	}
	require.NoError(t, r.err, r.out)
	assert.Contains(t, r.out, "tcp-proxy: locked; waiting for 1 open connection(s) to close\n")
	assert.Contains(t, r.out, "Stopping Hello world server...")
	assert.NotContains(t, r.out, "Stopping TCP proxy", "the proxy does not restart")

	assert.Equal(t, "Hello again!\r\n", second.reply(), "the queued client is served by the new server")
	second.quit()
	assert.Equal(t, proxy, d.proxyPID(), "the same proxy process")
	d.waitStatus("locked=false active=0 queued=0")
	greets(t, d.proxyPort, "Hello again!")
	assert.Equal(t, 2, d.generations())
}

// A client that never leaves makes the lock hit --lock-timeout: the
// switch fails saying so, the old deployment keeps running (the same
// connection still answers), the proxy forwards again, no generation is
// added. A proxy someone else locked refuses the lock: the switch fails
// and leaves that lock alone.
func TestALockThatNeverDrainsLeavesTheOldDeploymentRunning(t *testing.T) {
	d := newDeployment(t)
	d.deploy("processes-with-proxy.nix", "")
	stays := connect(t, d.proxyPort)
	assert.Equal(t, "Hello world!\r\n", stays.hello())

	out, err := d.run("--lock-timeout", "2s", "--extra-params", d.params(`greeting = "Hello again!";`), model("processes-with-proxy.nix"))
	require.Error(t, err)
	assert.Contains(t, out, "nixproc-sysvinit-switch: cannot lock process tcp-proxy: its lock command did not finish within 2s (--lock-timeout); the deployment was left as it was\n")
	assert.NotContains(t, out, "Stopping")
	assert.Equal(t, "Hello world!\r\n", stays.hello(), "the old server still serves the open connection")
	d.waitStatus("locked=false active=1 queued=0")
	greets(t, d.proxyPort, "Hello world!")
	assert.Equal(t, 1, d.generations())

	got, err := d.query("lock")
	require.NoError(t, err)
	require.Equal(t, "locked", got)
	t.Setenv("NIXPROC_LOCK_TIMEOUT", "20s")
	out, err = d.run("--extra-params", d.params(`greeting = "Hello again!";`), model("processes-with-proxy.nix"))
	require.Error(t, err)
	assert.Contains(t, out, "nixproc-sysvinit-switch: cannot lock process tcp-proxy: its lock command failed (exit status 1): tcp-proxy: the proxy is locked already")
	d.waitStatus("locked=true active=1 queued=0") // not ours to unlock
	got, err = d.query("unlock")
	require.NoError(t, err)
	require.Equal(t, "unlocked", got)
	assert.Equal(t, "Hello world!\r\n", stays.hello())
	assert.Equal(t, 1, d.generations())
	stays.quit()
}

// The three variants: the server alone, then the proxy added in front of
// it (nothing stops, so nothing is locked), then the proxy removed again
// (it is locked and drained before it stops, and not unlocked).
func TestVariantsWithAndWithoutTheProxy(t *testing.T) {
	d := newDeployment(t)
	d.deploy("processes-without-proxy.nix", "")
	greets(t, d.serverPort, "Hello world!")
	assert.False(t, backendtest.Listening(d.proxyPort))

	out, err := d.run("--extra-params", d.params(""), model("processes-with-proxy.nix"))
	require.NoError(t, err, out)
	assert.NotContains(t, out, "tcp-proxy: locked")
	greets(t, d.proxyPort, "Hello world!")

	// The interactive client, as a user runs it: built by Nix.
	build := exec.Command("nix-build", ".", "-A", "helloWorldClient", "--no-out-link", "--option", "substituters", "")
	built, err := build.Output()
	require.NoError(t, err)
	client := exec.Command(filepath.Join(strings.TrimSpace(string(built)), "bin", "hello-world-client"), fmt.Sprint(d.proxyPort))
	client.Stdin = strings.NewReader("hello\nquit\n")
	talk, err := client.CombinedOutput()
	require.NoError(t, err, "%s", talk)
	assert.Equal(t, "Hello world!\n", string(talk))

	out, err = d.run("--extra-params", d.params(""), model("processes-without-proxy.nix"))
	require.NoError(t, err, out)
	assert.Contains(t, out, "tcp-proxy: locked; no connection open\n")
	assert.NotContains(t, out, "tcp-proxy: no proxy answers")
	backendtest.WaitFor(t, wait, "the proxy is gone", func() error {
		if backendtest.Listening(d.proxyPort) {
			return fmt.Errorf("port %d still answers", d.proxyPort)
		}
		return nil
	})
	_, err = os.Lstat(d.admin())
	assert.True(t, os.IsNotExist(err), "the admin socket is removed")
	greets(t, d.serverPort, "Hello world!")
}

// Socket activation needs systemd, which does not run here: the variant
// is built for systemd and its units checked; other process managers
// refuse it.
func TestSocketActivationVariantIsGeneratedForSystemd(t *testing.T) {
	d := newDeployment(t)
	build := func(pm string) (string, error) {
		cmd := d.command("nixproc-build", "-P", pm, "--no-out-link", "--state-dir", d.stateDir, "--force-disable-user-change",
			"--extra-params", d.params(""), model("processes-with-socketactivation.nix"))
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil {
			return stderr.String(), err
		}
		return strings.TrimSpace(stdout.String()), nil
	}
	profile, err := build("systemd")
	require.NoError(t, err, profile)
	units := filepath.Join(profile, "etc", "systemd", "system")
	socket, err := os.ReadFile(filepath.Join(units, "nix-process-hello-world-server.socket"))
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("[Unit]\nDescription=Hello world server socket\n\n[Socket]\nListenStream=%d\n\n[Install]\nWantedBy=sockets.target\n", d.serverPort), string(socket))
	service, err := os.ReadFile(filepath.Join(units, "nix-process-hello-world-server.service"))
	require.NoError(t, err)
	assert.Regexp(t, fmt.Sprintf(`(?m)^ExecStart=.*/bin/hello-world-server -port %d -greeting "?Hello world!"? -exit-when-idle$`, d.serverPort), string(service))

	if _, err := exec.LookPath("systemd-analyze"); err == nil || os.Getenv("CI") == "true" {
		out, err := exec.Command("systemd-analyze", "verify", "--man=no",
			filepath.Join(units, "nix-process-hello-world-server.socket"),
			filepath.Join(units, "nix-process-hello-world-server.service")).CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Empty(t, string(out), "systemd-analyze verify complains")
	}

	msg, err := build("sysvinit")
	require.Error(t, err)
	assert.Contains(t, msg, "the socket activation variant of the proxy example works with systemd only (-P systemd), not sysvinit")
}

// lockedBuffer collects a command's output while a test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
