package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// The proxy is tested as users run it: the built program, in front of the
// real hello world server.
var proxyBin, serverBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tcp-proxy-test-")
	if err != nil {
		panic(err)
	}
	proxyBin, serverBin = filepath.Join(dir, "tcp-proxy"), filepath.Join(dir, "hello-world-server")
	for out, pkg := range map[string]string{proxyBin: ".", serverBin: "../hello-world-server"} {
		if msg, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, msg)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const wait = 15 * time.Second

// output collects a program's output while the test reads it.
type output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// setup is a server and a proxy in front of it.
type setup struct {
	t                     *testing.T
	serverPort, proxyPort int
	admin                 string
	server, proxy         *exec.Cmd
	serverLog, proxyLog   *output
	serverArgs            []string
}

func newSetup(t *testing.T) *setup {
	ports := backendtest.FreePorts(t, 2)
	s := &setup{t: t, serverPort: ports[0], proxyPort: ports[1], admin: filepath.Join(t.TempDir(), "proxy.sock")}
	s.startServer()
	s.startProxy()
	return s
}

func run(t *testing.T, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func (s *setup) startServer(args ...string) {
	s.serverLog = &output{}
	s.server = exec.Command(serverBin, append([]string{"-port", strconv.Itoa(s.serverPort)}, args...)...)
	s.server.Stderr = s.serverLog
	run(s.t, s.server)
	s.waitListening(s.serverPort)
}

func (s *setup) stopServer() {
	require.NoError(s.t, s.server.Process.Signal(syscall.SIGTERM))
	s.server.Wait()
}

func (s *setup) startProxy() {
	s.proxyLog = &output{}
	s.proxy = exec.Command(proxyBin, "serve", "-listen", strconv.Itoa(s.proxyPort),
		"-to", fmt.Sprintf("127.0.0.1:%d", s.serverPort), "-admin", s.admin)
	s.proxy.Stderr = s.proxyLog
	run(s.t, s.proxy)
	s.waitListening(s.proxyPort)
	backendtest.WaitFor(s.t, wait, "the admin socket", func() error { _, err := s.query("status"); return err })
}

func (s *setup) waitListening(port int) {
	backendtest.WaitFor(s.t, wait, fmt.Sprintf("port %d", port), func() error {
		if !backendtest.Listening(port) {
			return fmt.Errorf("nothing listens")
		}
		return nil
	})
}

// query asks the admin socket one thing.
func (s *setup) query(cmd string) (string, error) {
	c, err := net.Dial("unix", s.admin)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	fmt.Fprintln(c, cmd)
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// waitStatus waits until the proxy's status line is want.
func (s *setup) waitStatus(want string) {
	s.t.Helper()
	backendtest.WaitFor(s.t, wait, "proxy status "+want, func() error {
		got, err := s.query("status")
		if err == nil && got != want {
			err = fmt.Errorf("status is %q", got)
		}
		return err
	})
}

// client is one conversation through the proxy.
type client struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func (s *setup) connect() *client {
	s.t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.proxyPort))
	require.NoError(s.t, err, "the proxy accepts the client")
	s.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(2 * wait))
	return &client{t: s.t, c: c, r: bufio.NewReader(c)}
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
	c.send("hello")
	return c.reply()
}

// tool runs tcp-proxy lock/unlock/status in the background.
func (s *setup) tool(args ...string) (*exec.Cmd, *output) {
	var out output
	cmd := exec.Command(proxyBin, append(args, "-admin", s.admin)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	run(s.t, cmd)
	return cmd, &out
}

func (s *setup) runTool(args ...string) (string, error) {
	cmd, out := s.tool(args...)
	err := cmd.Wait()
	return out.String(), err
}

func TestRelaysAndCountsConnections(t *testing.T) {
	s := newSetup(t)
	a := s.connect()
	assert.Equal(t, "Hello world!\r\n", a.hello())
	s.waitStatus("locked=false active=1 queued=0")
	out, err := s.runTool("count")
	require.NoError(t, err)
	assert.Equal(t, "1\n", out)

	a.send("quit")
	_, err = a.r.ReadByte()
	assert.Error(t, err, "the server's close reaches the client")
	s.waitStatus("locked=false active=0 queued=0")

	// A client that stops sending still gets its answers (half close).
	b := s.connect()
	b.send("hello")
	require.NoError(t, b.c.(*net.TCPConn).CloseWrite())
	assert.Equal(t, "Hello world!\r\n", b.reply())
	s.waitStatus("locked=false active=0 queued=0")
}

// The upgrade cycle: lock waits for the open connection; a new client is
// accepted and queued; once the first one leaves, lock returns; the server
// restarts; unlock hands the queued client to the new server.
func TestLockDrainsAndQueuesUntilUnlocked(t *testing.T) {
	s := newSetup(t)
	a := s.connect()
	assert.Equal(t, "Hello world!\r\n", a.hello())

	lock, lockOut := s.tool("lock")
	s.waitStatus("locked=true active=1 queued=0")
	assert.Equal(t, "Hello world!\r\n", a.hello(), "the open connection keeps working while locked")

	b := s.connect()
	b.send("hello")
	s.waitStatus("locked=true active=1 queued=1")

	a.send("quit")
	require.NoError(t, lock.Wait(), "lock returns once drained: %s", lockOut)
	assert.Equal(t, "tcp-proxy: locked; waiting for 1 open connection(s) to close\ntcp-proxy: locked; no connection open\n", lockOut.String())
	s.waitStatus("locked=true active=0 queued=1")

	s.stopServer()
	s.startServer("-greeting", "Hello again!")
	out, err := s.runTool("unlock")
	require.NoError(t, err, out)
	assert.Equal(t, "Hello again!\r\n", b.reply(), "the queued client is served by the new server")
	s.waitStatus("locked=false active=1 queued=0")
}

// A queued client waits for a server that is still starting after unlock.
func TestUnlockWaitsForAServerThatIsNotUpYet(t *testing.T) {
	s := newSetup(t)
	_, err := s.runTool("lock")
	require.NoError(t, err)
	s.stopServer()
	b := s.connect()
	b.send("hello")
	s.waitStatus("locked=true active=0 queued=1")
	_, err = s.runTool("unlock")
	require.NoError(t, err)
	backendtest.WaitFor(t, wait, "the proxy tries to reach the server", func() error {
		if !strings.Contains(s.proxyLog.String(), "does not answer") {
			return fmt.Errorf("no retry logged yet")
		}
		return nil
	})
	s.startServer()
	assert.Equal(t, "Hello world!\r\n", b.reply())
}

func TestASecondLockIsRefused(t *testing.T) {
	s := newSetup(t)
	out, err := s.runTool("lock")
	require.NoError(t, err, out)
	out, err = s.runTool("lock")
	assert.Error(t, err)
	assert.Equal(t, "tcp-proxy: the proxy is locked already (by another upgrade, or one that was interrupted: tcp-proxy unlock resumes it)\n", out)
	s.waitStatus("locked=true active=0 queued=0")
	out, err = s.runTool("unlock")
	require.NoError(t, err, out)
	out, err = s.runTool("unlock")
	require.NoError(t, err, "unlocking twice is fine: %s", out)
	s.waitStatus("locked=false active=0 queued=0")
}

// A lock that gives up, by its own timeout or a signal, unlocks the proxy
// again: the queued clients go through, nothing hangs.
func TestALockThatGivesUpUnlocksAgain(t *testing.T) {
	s := newSetup(t)
	a := s.connect()
	assert.Equal(t, "Hello world!\r\n", a.hello())

	out, err := s.runTool("lock", "-timeout", "300ms")
	assert.Error(t, err)
	assert.Contains(t, out, "tcp-proxy: connections still open after 300ms; unlocked the proxy again\n")
	s.waitStatus("locked=false active=1 queued=0")

	lock, lockOut := s.tool("lock")
	s.waitStatus("locked=true active=1 queued=0")
	b := s.connect()
	b.send("hello")
	s.waitStatus("locked=true active=1 queued=1")
	require.NoError(t, lock.Process.Signal(syscall.SIGTERM))
	assert.Error(t, lock.Wait())
	assert.Contains(t, lockOut.String(), "tcp-proxy: interrupted (terminated) while connections were open; unlocked the proxy again\n")
	assert.Equal(t, "Hello world!\r\n", b.reply(), "the queued client goes through")
}

// A client of the admin socket that locked and goes away while waiting for
// the drain (killed, say) leaves the proxy unlocked.
func TestAnAbandonedDrainUnlocks(t *testing.T) {
	s := newSetup(t)
	a := s.connect()
	assert.Equal(t, "Hello world!\r\n", a.hello())
	c, err := net.Dial("unix", s.admin)
	require.NoError(t, err)
	r := bufio.NewReader(c)
	fmt.Fprint(c, "lock\ndrain\n")
	for _, want := range []string{"locked\n", "active 1\n"} {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, want, line)
	}
	c.Close()
	s.waitStatus("locked=false active=1 queued=0")
}

func TestAdminProtocolErrors(t *testing.T) {
	s := newSetup(t)
	got, err := s.query("drain")
	require.NoError(t, err)
	assert.Equal(t, "error the proxy is not locked: lock it first", got)
	got, err = s.query("reboot")
	require.NoError(t, err)
	assert.Equal(t, `error unknown command "reboot" (status, count, lock, unlock or drain)`, got)
	st, err := os.Stat(s.admin)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSocket, st.Mode()&os.ModeType)
	assert.Zero(t, st.Mode()&0o077, "only its owner may lock it")
}

// With no proxy running there is nothing to drain: lock and unlock
// succeed, saying so; status fails.
func TestLockAndUnlockWithoutAProxy(t *testing.T) {
	admin := filepath.Join(t.TempDir(), "none.sock")
	for _, cmd := range []string{"lock", "unlock"} {
		out, err := exec.Command(proxyBin, cmd, "-admin", admin).CombinedOutput()
		require.NoError(t, err, "%s: %s", cmd, out)
		assert.Contains(t, string(out), "no proxy answers on "+admin)
	}
	out, err := exec.Command(proxyBin, "status", "-admin", admin).CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(out), "tcp-proxy: cannot reach the proxy: ")
}

func TestAdminSocketStartupChecks(t *testing.T) {
	s := newSetup(t)
	port := backendtest.FreePorts(t, 1)[0]
	serve := func(admin string) (string, error) {
		out, err := exec.Command(proxyBin, "serve", "-listen", strconv.Itoa(port), "-to", "127.0.0.1:1", "-admin", admin).CombinedOutput()
		return string(out), err
	}
	out, err := serve(s.admin)
	assert.Error(t, err)
	assert.Equal(t, "tcp-proxy: another proxy answers on the admin socket "+s.admin+"\n", out)

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("keep me"), 0o644))
	out, err = serve(file)
	assert.Error(t, err)
	assert.Equal(t, "tcp-proxy: "+file+" exists and is not a socket: not replacing it with the admin socket\n", out)

	long := "/tmp/" + strings.Repeat("x", 110)
	out, err = serve(long)
	assert.Error(t, err)
	assert.Contains(t, out, "a unix socket path has at most 107")

	// A stale socket (its proxy was killed) is replaced.
	require.NoError(t, s.proxy.Process.Kill())
	s.proxy.Wait()
	_, err = os.Lstat(s.admin)
	require.NoError(t, err, "a killed proxy leaves its socket behind")
	s.startProxy()
	a := s.connect()
	assert.Equal(t, "Hello world!\r\n", a.hello())
}

func TestSIGTERMStopsTheProxyAndRemovesItsSocket(t *testing.T) {
	s := newSetup(t)
	a := s.connect()
	assert.Equal(t, "Hello world!\r\n", a.hello())
	require.NoError(t, s.proxy.Process.Signal(syscall.SIGTERM))
	require.NoError(t, s.proxy.Wait(), "exit status 0")
	_, err := os.Lstat(s.admin)
	assert.True(t, os.IsNotExist(err), "the admin socket is gone")
	_, err = a.r.ReadByte()
	assert.Error(t, err, "its connections are closed")
}

// The original proxy polled in a loop without sleeping (100% CPU). This one
// waits in the kernel: idle, and locked with a client queued and a lock
// waiting for a drain, it uses next to no CPU over a second.
func TestAnIdleProxyUsesNoCPU(t *testing.T) {
	s := newSetup(t)
	ticks := func() int {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.proxy.Process.Pid))
		require.NoError(t, err)
		fields := strings.Fields(string(stat)[strings.LastIndexByte(string(stat), ')')+2:])
		utime, _ := strconv.Atoi(fields[11])
		stime, _ := strconv.Atoi(fields[12])
		return utime + stime
	}
	idle := func(what string) {
		before := ticks()
		time.Sleep(time.Second)
		used := ticks() - before
		// clock ticks are 1/100 s: a spinning proxy would use about 100
		assert.LessOrEqual(t, used, 5, "%s: CPU ticks used in one idle second", what)
	}
	idle("unlocked")

	a := s.connect()
	assert.Equal(t, "Hello world!\r\n", a.hello())
	s.tool("lock")
	s.waitStatus("locked=true active=1 queued=0")
	b := s.connect()
	b.send("hello")
	s.waitStatus("locked=true active=1 queued=1")
	idle("locked, draining, a client queued")
}
