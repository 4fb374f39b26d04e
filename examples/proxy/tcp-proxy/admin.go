package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// The admin protocol: a client sends one command per line and gets one
// line back per command:
//
//	status   locked=BOOL active=N queued=N
//	count    N (the relayed connections)
//	lock     "locked", or "error ..." if it is locked already
//	unlock   "unlocked" (also if it was not locked)
//	drain    "active N" whenever the number of relayed connections
//	         changes, then "drained" once it is 0; then the proxy closes
//	         the connection. "error ..." if the proxy is not locked, or
//	         gets unlocked meanwhile.
//
// A client that locked the proxy and goes away while its drain waits
// unlocks it: an abandoned upgrade leaves no proxy holding its clients.

// adminPathMax is the longest path a unix socket address holds on Linux.
const adminPathMax = 107

// listenAdmin creates the admin socket, replacing a stale one that nothing
// answers on, but nothing else.
func listenAdmin(path string) (net.Listener, error) {
	if len(path) > adminPathMax {
		return nil, fmt.Errorf("the admin socket path %s is %d bytes long; a unix socket path has at most %d", path, len(path), adminPathMax)
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket: not replacing it with the admin socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("another proxy answers on the admin socket %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("cannot remove the stale admin socket %s: %w", path, err)
		}
	}
	old := syscall.Umask(0o077) // the socket is created 0600
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("cannot create the admin socket: %w", err)
	}
	return ln, nil
}

// serveAdmin answers admin clients until the listener is closed.
func (p *proxy) serveAdmin(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-p.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			p.log.Printf("accepting an admin client: %v", err)
			continue
		}
		go p.handleAdmin(c)
	}
}

func (p *proxy) handleAdmin(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(io.LimitReader(c, 1<<16))
	ownsLock := false
	reply := func(format string, args ...any) bool {
		_, err := fmt.Fprintf(c, format+"\n", args...)
		return err == nil
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		ok := true
		switch cmd := strings.TrimSpace(line); cmd {
		case "status":
			s := p.state()
			ok = reply("locked=%t active=%d queued=%d", s.locked, s.active, s.queued)
		case "count":
			ok = reply("%d", p.state().active)
		case "lock":
			if p.lock() {
				ownsLock = true
				ok = reply("locked")
			} else {
				ok = reply("error the proxy is locked already (by another upgrade, or one that was interrupted: tcp-proxy unlock resumes it)")
			}
		case "unlock":
			p.unlock()
			ownsLock = false
			ok = reply("unlocked")
		case "drain":
			p.drain(c, r, ownsLock)
			return
		case "":
		default:
			ok = reply("error unknown command %q (status, count, lock, unlock or drain)", cmd)
		}
		if !ok {
			return
		}
	}
}

// drain reports the relayed connections until none is left.
func (p *proxy) drain(c net.Conn, r io.Reader, ownsLock bool) {
	gone := make(chan struct{})
	go func() {
		io.Copy(io.Discard, r) // ends when the client closes (or c is closed)
		close(gone)
	}()
	last := -1
	for {
		s := p.state()
		switch {
		case !s.locked && last < 0:
			fmt.Fprintln(c, "error the proxy is not locked: lock it first")
			return
		case !s.locked:
			fmt.Fprintln(c, "error the proxy was unlocked while draining")
			return
		case s.active == 0:
			fmt.Fprintln(c, "drained")
			return
		case s.active != last:
			if _, err := fmt.Fprintf(c, "active %d\n", s.active); err != nil {
				p.abandoned(ownsLock)
				return
			}
			last = s.active
		}
		select {
		case <-s.changed:
		case <-gone:
			p.abandoned(ownsLock)
			return
		case <-p.stop:
			return
		}
	}
}

func (p *proxy) abandoned(ownsLock bool) {
	if ownsLock {
		p.log.Printf("the client that locked the proxy went away before the connections closed")
		p.unlock()
	}
}

// dialAdmin connects to a proxy's admin socket.
func dialAdmin(path string) (net.Conn, error) {
	return net.DialTimeout("unix", path, 5*time.Second)
}

// notRunning tells whether dialing the admin socket failed because no
// proxy runs there (no socket, or a stale one).
func notRunning(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)
}
