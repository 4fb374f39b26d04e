package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// The client is tested against the real server, built from its folder.
var client, server string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hello-world-client-test-")
	if err != nil {
		panic(err)
	}
	client, server = filepath.Join(dir, "hello-world-client"), filepath.Join(dir, "hello-world-server")
	for out, pkg := range map[string]string{client: ".", server: "../hello-world-server"} {
		if msg, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, msg)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func startServer(t *testing.T) int {
	port := backendtest.FreePorts(t, 1)[0]
	cmd := exec.Command(server, "-port", fmt.Sprint(port))
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	backendtest.WaitFor(t, 10*time.Second, "the server", func() error {
		if !backendtest.Listening(port) {
			return fmt.Errorf("not listening on %d", port)
		}
		return nil
	})
	return port
}

func runClient(t *testing.T, stdin string, args ...string) (string, string, error) {
	cmd := exec.Command(client, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func TestHelloAndQuit(t *testing.T) {
	port := startServer(t)
	out, errOut, err := runClient(t, "hello\nquit\nhello\n", fmt.Sprint(port))
	require.NoError(t, err, errOut)
	assert.Equal(t, "Hello world!\n", out, "replies without the CR; nothing after quit")
}

// At the end of its input the client still prints what the server says.
func TestEndOfInputWaitsForTheReplies(t *testing.T) {
	port := startServer(t)
	t.Setenv("HELLO_WORLD_SERVER", fmt.Sprintf("127.0.0.1:%d", port))
	out, errOut, err := runClient(t, "hello\r\nhello")
	require.NoError(t, err, errOut)
	assert.Equal(t, "Hello world!\nHello world!\n", out)
}

// The client is interactive: a reply comes before the next line is typed.
func TestInteractive(t *testing.T) {
	port := startServer(t)
	cmd := exec.Command(client, fmt.Sprint(port))
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	outPipe, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	out := bufio.NewReader(outPipe)
	for i := 0; i < 2; i++ {
		fmt.Fprintln(in, "hello")
		line, err := out.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "Hello world!\n", line)
	}
	fmt.Fprintln(in, "quit")
	require.NoError(t, cmd.Wait(), "the server closing the connection ends the client, stdin still open")
}

func TestNoServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	_, errOut, err := runClient(t, "hello\n", addr)
	assert.Error(t, err)
	assert.Regexp(t, `^hello-world-client: cannot connect to `+addr+`: .*connection refused\n$`, errOut)

	t.Setenv("HELLO_WORLD_SERVER", "")
	_, errOut, err = runClient(t, "")
	assert.Error(t, err)
	assert.Equal(t, "hello-world-client: no server: give [HOST:]PORT or set HELLO_WORLD_SERVER\n", errOut)
}
