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
	"strconv"
	"strings"
	"syscall"
	"time"
)

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("tcp-proxy "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func serveCmd(args []string) error {
	fs := newFlags("serve")
	listen := fs.String("listen", "", "[HOST:]PORT to accept clients on (a bare port: all interfaces)")
	to := fs.String("to", "", "HOST:PORT of the server")
	admin := fs.String("admin", "", "path of the admin socket")
	connectTimeout := fs.Duration("connect-timeout", 30*time.Second, "how long to keep trying to reach the server for a client")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *listen == "":
		return fmt.Errorf("serve: -listen [HOST:]PORT is required")
	case *to == "":
		return fmt.Errorf("serve: -to HOST:PORT is required")
	case *admin == "":
		return fmt.Errorf("serve: -admin SOCKET is required")
	case *connectTimeout <= 0:
		return fmt.Errorf("serve: -connect-timeout must be positive")
	}
	if _, err := strconv.Atoi(*listen); err == nil {
		*listen = ":" + *listen
	}
	if _, _, err := net.SplitHostPort(*to); err != nil {
		return fmt.Errorf("serve: -to must be HOST:PORT, not %q", *to)
	}

	logger := log.New(os.Stderr, "tcp-proxy: ", 0)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", *listen, errors.Unwrap(err))
	}
	adminLn, err := listenAdmin(*admin)
	if err != nil {
		ln.Close()
		return err
	}
	p := newProxy(*to, *connectTimeout, logger)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	go func() {
		sig := <-signals
		logger.Printf("%v: stopping", sig)
		p.shutdown()
		ln.Close()
		adminLn.Close() // removes the socket file
	}()
	go p.serveAdmin(adminLn)
	logger.Printf("relaying %s to %s; admin socket %s", ln.Addr(), *to, *admin)
	err = p.serve(ln)
	p.shutdown()
	adminLn.Close()
	return err
}

// lockCmd locks the proxy and waits until its connections have closed.
func lockCmd(args []string) error {
	fs := newFlags("lock")
	admin := fs.String("admin", "", "path of the proxy's admin socket")
	timeout := fs.Duration("timeout", 0, "give up (and unlock) after this long; 0 waits as long as it takes")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *admin == "" {
		return fmt.Errorf("lock: -admin SOCKET is required")
	}
	// Signals that end the wait unlock the proxy first.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)

	c, err := dialAdmin(*admin)
	if notRunning(err) {
		fmt.Fprintf(os.Stderr, "tcp-proxy: no proxy answers on %s: nothing to drain\n", *admin)
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot reach the proxy: %w", err)
	}
	defer c.Close()
	lines := bufio.NewReader(c)
	if reply, err := request(c, lines, "lock"); err != nil {
		return err
	} else if reply != "locked" {
		return fmt.Errorf("%s", strings.TrimPrefix(reply, "error "))
	}
	if _, err := io.WriteString(c, "drain\n"); err != nil {
		unlockQuietly(*admin)
		return fmt.Errorf("the proxy went away while locking: %w", err)
	}
	replies := make(chan string)
	go func() {
		defer close(replies)
		for {
			line, err := lines.ReadString('\n')
			if err != nil {
				return
			}
			replies <- strings.TrimSpace(line)
		}
	}()
	var deadline <-chan time.Time
	if *timeout > 0 {
		deadline = time.After(*timeout)
	}
	for {
		select {
		case reply, ok := <-replies:
			switch {
			case !ok:
				return fmt.Errorf("the proxy closed the admin connection before its connections closed")
			case reply == "drained":
				fmt.Fprintln(os.Stderr, "tcp-proxy: locked; no connection open")
				return nil
			case strings.HasPrefix(reply, "active "):
				fmt.Fprintf(os.Stderr, "tcp-proxy: locked; waiting for %s open connection(s) to close\n", strings.TrimPrefix(reply, "active "))
			default:
				return fmt.Errorf("%s", strings.TrimPrefix(reply, "error "))
			}
		case sig := <-signals:
			c.Close()
			unlockQuietly(*admin)
			return fmt.Errorf("interrupted (%v) while connections were open; unlocked the proxy again", sig)
		case <-deadline:
			c.Close()
			unlockQuietly(*admin)
			return fmt.Errorf("connections still open after %s; unlocked the proxy again", *timeout)
		}
	}
}

func unlockCmd(args []string) error {
	fs := newFlags("unlock")
	admin := fs.String("admin", "", "path of the proxy's admin socket")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *admin == "" {
		return fmt.Errorf("unlock: -admin SOCKET is required")
	}
	c, err := dialAdmin(*admin)
	if notRunning(err) {
		fmt.Fprintf(os.Stderr, "tcp-proxy: no proxy answers on %s: nothing to unlock\n", *admin)
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot reach the proxy: %w", err)
	}
	defer c.Close()
	reply, err := request(c, bufio.NewReader(c), "unlock")
	if err != nil {
		return err
	}
	if reply != "unlocked" {
		return fmt.Errorf("%s", strings.TrimPrefix(reply, "error "))
	}
	return nil
}

func queryCmd(args []string, what string) error {
	fs := newFlags(what)
	admin := fs.String("admin", "", "path of the proxy's admin socket")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *admin == "" {
		return fmt.Errorf("%s: -admin SOCKET is required", what)
	}
	c, err := dialAdmin(*admin)
	if err != nil {
		return fmt.Errorf("cannot reach the proxy: %w", err)
	}
	defer c.Close()
	reply, err := request(c, bufio.NewReader(c), what)
	if err != nil {
		return err
	}
	fmt.Println(reply)
	return nil
}

// request sends one command and reads its one-line reply.
func request(c net.Conn, r *bufio.Reader, cmd string) (string, error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", fmt.Errorf("cannot talk to the proxy: %w", err)
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("no answer from the proxy to %s: %w", cmd, err)
	}
	return strings.TrimSpace(line), nil
}

// unlockQuietly unlocks after a failed lock; the proxy also unlocks itself
// when the locking client goes away, so a failure here changes nothing.
func unlockQuietly(admin string) {
	if c, err := dialAdmin(admin); err == nil {
		request(c, bufio.NewReader(c), "unlock")
		c.Close()
	}
}
