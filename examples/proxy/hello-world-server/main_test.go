package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hello-world-server-test-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "hello-world-server")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building hello-world-server: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// start runs the server and stops it when the test ends.
func start(t *testing.T, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	})
	return cmd
}

func dial(t *testing.T, port int) (net.Conn, *bufio.Reader) {
	t.Helper()
	var c net.Conn
	backendtest.WaitFor(t, 10*time.Second, fmt.Sprintf("the server on port %d", port), func() (err error) {
		c, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		return err
	})
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return c, bufio.NewReader(c)
}

func say(t *testing.T, c net.Conn, r *bufio.Reader, line string) string {
	t.Helper()
	_, err := c.Write([]byte(line))
	require.NoError(t, err)
	reply, err := r.ReadString('\n')
	require.NoError(t, err)
	return reply
}

func TestProtocol(t *testing.T) {
	port := backendtest.FreePorts(t, 1)[0]
	start(t, exec.Command(binary, "-port", fmt.Sprint(port)))
	c, r := dial(t, port)
	assert.Equal(t, "Hello world!\r\n", say(t, c, r, "hello\r\n"), "telnet's CRLF")
	assert.Equal(t, "Hello world!\r\n", say(t, c, r, "hello\n"), "a bare LF")
	assert.Equal(t, "Unknown command \"hi\": say hello or quit\r\n", say(t, c, r, "hi\n"))
	_, err := c.Write([]byte("quit\r\n"))
	require.NoError(t, err)
	_, err = r.ReadByte()
	assert.Error(t, err, "quit closes the connection")

	// Lines that arrive in one packet are answered one by one.
	c2, r2 := dial(t, port)
	_, err = c2.Write([]byte("hello\nhello\nquit\n"))
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		line, err := r2.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "Hello world!\r\n", line)
	}
}

func TestEnvironmentGreetingAndPIDFile(t *testing.T) {
	port := backendtest.FreePorts(t, 1)[0]
	pidFile := filepath.Join(t.TempDir(), "server.pid")
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "PID_FILE="+pidFile, "GREETING=Hello again!")
	start(t, cmd)
	c, r := dial(t, port)
	assert.Equal(t, "Hello again!\r\n", say(t, c, r, "hello\n"))
	pid, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d\n", cmd.Process.Pid), string(pid))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "SIGTERM stops it with status 0")
	_, err = os.Stat(pidFile)
	assert.True(t, os.IsNotExist(err), "the PID file is removed")
	assert.False(t, backendtest.Listening(port))
}

func TestBadConfigurationIsOneLine(t *testing.T) {
	port := backendtest.FreePorts(t, 1)[0]
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	require.NoError(t, err)
	defer ln.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-port", fmt.Sprint(port)}, fmt.Sprintf("hello-world-server: cannot listen on port %d: bind: address already in use\n", port)},
		{nil, "hello-world-server: no port to listen on: give -port or PORT (or start it by socket activation)\n"},
		{[]string{"-port", "http"}, "hello-world-server: the port must be a number between 1 and 65535, not \"http\"\n"},
		{[]string{"-port", "1", "-pid-file", "x.pid"}, "hello-world-server: the PID file must be an absolute path, not \"x.pid\"\n"},
		{[]string{"4000"}, "hello-world-server: unexpected argument \"4000\" (the port is given with -port)\n"},
	} {
		cmd := exec.Command(binary, tc.args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		assert.Error(t, err, "%v", tc.args)
		assert.Equal(t, tc.want, string(out), "%v", tc.args)
	}
}

// Socket activation as systemd does it: the listening socket is descriptor
// 3, LISTEN_PID names the server's own PID. With -exit-when-idle the server
// exits when its last client leaves; the socket stays with its owner (here
// the test, under systemd systemd itself), so a client that connects
// meanwhile waits in its backlog and is served by the next start.
func TestSocketActivationAndExitWhenIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	f, err := ln.(*net.TCPListener).File()
	require.NoError(t, err)
	defer f.Close()

	activate := func() *exec.Cmd {
		// exec keeps the shell's PID, which is what LISTEN_PID must name.
		cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -exit-when-idle`, binary)
		cmd.ExtraFiles = []*os.File{f}
		return start(t, cmd)
	}
	server := activate()
	c, r := dial(t, port)
	assert.Equal(t, "Hello world!\r\n", say(t, c, r, "hello\n"))
	_, err = c.Write([]byte("quit\n"))
	require.NoError(t, err)
	require.NoError(t, server.Wait(), "it exits 0 once idle")

	waiting, wr := dial(t, port) // accepted by the kernel, into the backlog
	_, err = waiting.Write([]byte("hello\n"))
	require.NoError(t, err)
	server = activate()
	line, err := wr.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "Hello world!\r\n", line, "the client that came while it was down is served")
	waiting.Close()
	require.NoError(t, server.Wait())
}

func TestSocketActivationForAnotherProcessIsIgnored(t *testing.T) {
	port := backendtest.FreePorts(t, 1)[0]
	cmd := exec.Command(binary, "-port", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), "LISTEN_PID=1", "LISTEN_FDS=1")
	start(t, cmd)
	c, r := dial(t, port)
	assert.True(t, strings.HasPrefix(say(t, c, r, "hello\n"), "Hello world!"))
}
