package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Go cannot fork without exec, so -D re-executes this program as the
// daemon: in a new session, in /, with its standard streams on /dev/null,
// the same arguments (so it looks the same in ps and pgrep) and this
// variable set. The daemon reports over a pipe on file descriptor 3.
const (
	daemonChildEnv  = "NIXPROC_WEBAPP_DAEMON_CHILD"
	readinessFD     = 3
	readyMessage    = "ready"
	readinessWindow = 30 * time.Second
)

func isDaemonChild() bool { return os.Getenv(daemonChildEnv) == "1" }

// daemonize starts the daemon and waits until it serves (then returns nil
// and the daemon keeps running) or fails (then returns its error).
func daemonize() error {
	executable, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find my own executable to start the daemon: %w", err)
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer devNull.Close()
	readiness, readinessWriter, err := os.Pipe()
	if err != nil {
		return err
	}
	defer readiness.Close()

	child := exec.Command(executable, os.Args[1:]...)
	child.Args[0] = os.Args[0]
	child.Env = append(os.Environ(), daemonChildEnv+"=1")
	child.Dir = "/"
	child.Stdin, child.Stdout, child.Stderr = devNull, devNull, devNull
	child.ExtraFiles = []*os.File{readinessWriter} // becomes readinessFD
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = child.Start()
	readinessWriter.Close()
	if err != nil {
		return fmt.Errorf("cannot start the daemon: %w", err)
	}

	report := make(chan string, 1)
	go func() {
		message, _ := io.ReadAll(readiness)
		report <- strings.TrimSpace(string(message))
	}()

	select {
	case message := <-report:
		if message == readyMessage {
			return child.Process.Release()
		}
		waitErr := child.Wait()
		if message == "" {
			return fmt.Errorf("the daemon exited before it was ready: %v", waitErr)
		}
		return fmt.Errorf("%s", message)
	case <-time.After(readinessWindow):
		child.Process.Kill()
		child.Wait()
		return fmt.Errorf("the daemon did not become ready within %v", readinessWindow)
	}
}

// runDaemonChild is the daemon itself: it listens, writes the PID file,
// tells the starting process it is ready and serves until told to stop.
func runDaemonChild(cfg config) error {
	os.Unsetenv(daemonChildEnv)
	signals := notifySignals()
	readiness := os.NewFile(readinessFD, "readiness")
	if readiness == nil {
		return fmt.Errorf("started as a daemon without a readiness pipe")
	}

	listener, err := listen(cfg)
	if err == nil {
		if err = writePIDFile(cfg.pidFile); err != nil {
			listener.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(readiness, err)
		readiness.Close()
		return err
	}
	fmt.Fprintln(readiness, readyMessage)
	readiness.Close()

	// Standard error is /dev/null here: log nowhere, as a classic daemon.
	return serve(cfg, listener, signals, log.New(io.Discard, "", 0))
}
