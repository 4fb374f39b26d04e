// Command hello-world-server is the server of the proxy example: a TCP
// server that answers the line "hello" with "Hello world!" and closes the
// connection on "quit". Lines may end in CRLF (telnet) or LF.
//
//	hello-world-server [-port N] [-pid-file PATH] [-greeting TEXT] [-exit-when-idle]
//
// Options fall back to the environment: PORT, PID_FILE, GREETING. It runs
// in the foreground; SIGTERM and SIGINT stop it (exit 0).
//
// Started by systemd socket activation (LISTEN_PID is this process and
// LISTEN_FDS is 1) it serves the inherited socket, file descriptor 3, and
// needs no port. With -exit-when-idle it exits once its last connection
// closes: systemd keeps the listening socket and starts it again on the next
// connection, so no client is lost in between.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

type config struct {
	port         int
	pidFile      string
	greeting     string
	exitWhenIdle bool
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fail(err)
	}
	ln, err := listen(cfg)
	if err != nil {
		fail(err)
	}
	if err := writePIDFile(cfg.pidFile); err != nil {
		ln.Close()
		fail(err)
	}
	defer removePIDFile(cfg.pidFile)

	logger := log.New(os.Stderr, "hello-world-server: ", 0)
	s := newServer(ln, cfg.greeting, cfg.exitWhenIdle, logger)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	go func() {
		sig := <-signals
		logger.Printf("%v: stopping", sig)
		s.shutdown()
	}()
	logger.Printf("listening on %s", ln.Addr())
	if err := s.serve(); err != nil {
		removePIDFile(cfg.pidFile)
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "hello-world-server: %v\n", err)
	os.Exit(1)
}

// parseConfig reads the options; getenv supplies the fallbacks.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("hello-world-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	port := fs.String("port", getenv("PORT"), "TCP port to listen on, on all interfaces [$PORT]")
	pidFile := fs.String("pid-file", getenv("PID_FILE"), "file to write the PID to once listening [$PID_FILE]")
	greeting := fs.String("greeting", getenv("GREETING"), "the answer to hello (default \"Hello world!\") [$GREETING]")
	exitWhenIdle := fs.Bool("exit-when-idle", false, "exit when the last connection closes (for socket activation)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q (the port is given with -port)", fs.Arg(0))
	}
	cfg := config{pidFile: *pidFile, greeting: *greeting, exitWhenIdle: *exitWhenIdle}
	if cfg.greeting == "" {
		cfg.greeting = "Hello world!"
	}
	if strings.ContainsAny(cfg.greeting, "\r\n") {
		return config{}, fmt.Errorf("the greeting must be one line")
	}
	if *port != "" {
		n, err := strconv.Atoi(*port)
		if err != nil || n < 1 || n > 65535 {
			return config{}, fmt.Errorf("the port must be a number between 1 and 65535, not %q", *port)
		}
		cfg.port = n
	}
	if cfg.pidFile != "" && !filepath.IsAbs(cfg.pidFile) {
		return config{}, fmt.Errorf("the PID file must be an absolute path, not %q", cfg.pidFile)
	}
	return cfg, nil
}

// listen takes the socket systemd passed, or binds the port.
func listen(cfg config) (net.Listener, error) {
	ln, err := activationListener()
	if err != nil || ln != nil {
		return ln, err
	}
	if cfg.port == 0 {
		return nil, fmt.Errorf("no port to listen on: give -port or PORT (or start it by socket activation)")
	}
	ln, err = net.Listen("tcp", fmt.Sprintf(":%d", cfg.port))
	if err != nil {
		return nil, fmt.Errorf("cannot listen on port %d: %w", cfg.port, errors.Unwrap(err))
	}
	return ln, nil
}

// activationListener implements the receiving side of systemd's socket
// activation protocol (sd_listen_fds): the sockets start at descriptor 3
// and the variables are for this process only, so they are removed.
func activationListener() (net.Listener, error) {
	pid, fds := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS")
	if pid == "" || fds == "" || pid != strconv.Itoa(os.Getpid()) {
		return nil, nil
	}
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	n, err := strconv.Atoi(fds)
	switch {
	case err != nil || n < 0:
		return nil, fmt.Errorf("LISTEN_FDS is not a number of descriptors: %q", fds)
	case n == 0:
		return nil, nil
	case n > 1:
		return nil, fmt.Errorf("socket activation passed %d sockets; this server listens on one", n)
	}
	f := os.NewFile(3, "activated socket")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("the socket passed by socket activation is not a listening socket: %w", err)
	}
	return ln, nil
}

// server answers its connections, one goroutine each.
type server struct {
	ln           net.Listener
	greeting     string
	exitWhenIdle bool
	log          *log.Logger

	mu      sync.Mutex
	conns   map[net.Conn]bool
	closing bool
	wg      sync.WaitGroup
}

func newServer(ln net.Listener, greeting string, exitWhenIdle bool, logger *log.Logger) *server {
	return &server{ln: ln, greeting: greeting, exitWhenIdle: exitWhenIdle, log: logger, conns: map[net.Conn]bool{}}
}

// serve accepts connections until shutdown (or, with exitWhenIdle, until
// the last connection closed), then waits for the open ones to finish.
func (s *server) serve() error {
	defer s.wg.Wait()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accepting connections: %w", err)
		}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			c.Close()
			return nil
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go s.handle(c)
	}
}

// shutdown stops accepting and closes every connection.
func (s *server) shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.closing = true
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
}

// handle speaks the protocol on one connection.
func (s *server) handle(c net.Conn) {
	defer s.wg.Done()
	defer s.closed(c)
	s.log.Printf("connection from %s", c.RemoteAddr())
	lines := bufio.NewScanner(c)
	for lines.Scan() {
		switch line := strings.TrimSpace(lines.Text()); line {
		case "hello":
			if _, err := io.WriteString(c, s.greeting+"\r\n"); err != nil {
				return
			}
		case "quit":
			return
		case "":
		default:
			if _, err := fmt.Fprintf(c, "Unknown command %q: say hello or quit\r\n", truncate(line, 40)); err != nil {
				return
			}
		}
	}
}

func (s *server) closed(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	idle := len(s.conns) == 0
	s.mu.Unlock()
	if idle && s.exitWhenIdle {
		s.log.Printf("no connection left: exiting")
		s.shutdown()
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
