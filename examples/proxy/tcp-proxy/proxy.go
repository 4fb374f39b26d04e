package main

import (
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"time"
)

// maxQueued is how many clients a locked proxy holds; more wait in the
// kernel's listen backlog (still not refused) until it is unlocked.
const maxQueued = 1000

var errStopping = errors.New("the proxy is stopping")

// proxy is the relay and its lock. Everything waits on channels or
// blocking calls: an idle proxy uses no CPU.
type proxy struct {
	upstream       string
	connectTimeout time.Duration
	log            *log.Logger

	mu     sync.Mutex
	locked bool
	active int        // relayed connections, including those being connected
	queue  []net.Conn // clients that came while locked, oldest first
	// changed is closed and replaced whenever locked, active or queue
	// change, waking whoever waits for one of them.
	changed chan struct{}
	conns   map[net.Conn]bool // open client and server connections
	closing bool
	stop    chan struct{} // closed by shutdown
	relays  sync.WaitGroup
}

func newProxy(upstream string, connectTimeout time.Duration, logger *log.Logger) *proxy {
	return &proxy{upstream: upstream, connectTimeout: connectTimeout, log: logger,
		changed: make(chan struct{}), conns: map[net.Conn]bool{}, stop: make(chan struct{})}
}

// state is a consistent view of the proxy, and the channel that is closed
// when it changes next.
type state struct {
	locked         bool
	active, queued int
	changed        <-chan struct{}
}

func (p *proxy) state() state {
	p.mu.Lock()
	defer p.mu.Unlock()
	return state{locked: p.locked, active: p.active, queued: len(p.queue), changed: p.changed}
}

// notify wakes the waiters; p.mu is held.
func (p *proxy) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// lock stops forwarding new connections; false if it was locked already.
func (p *proxy) lock() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.locked {
		return false
	}
	p.locked = true
	p.notify()
	p.log.Printf("locked: new clients wait until unlocked (%d connection(s) open)", p.active)
	return true
}

// unlock resumes forwarding, first for the queued clients, in order.
func (p *proxy) unlock() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.locked {
		return
	}
	p.locked = false
	if len(p.queue) > 0 {
		p.log.Printf("unlocked: forwarding %d queued client(s)", len(p.queue))
	} else {
		p.log.Printf("unlocked")
	}
	for _, c := range p.queue {
		p.relayLocked(c)
	}
	p.queue = nil
	p.notify()
}

// serve accepts clients until shutdown.
func (p *proxy) serve(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-p.stop:
				return nil
			default:
			}
			// Out of descriptors and the like: wait a little rather than
			// spin, and try again.
			p.log.Printf("accepting a client: %v", err)
			select {
			case <-time.After(100 * time.Millisecond):
			case <-p.stop:
				return nil
			}
			continue
		}
		p.admit(c)
		if err := p.waitForRoom(); err != nil {
			return nil
		}
	}
}

// admit relays a new client, or queues it while locked.
func (p *proxy) admit(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closing:
		c.Close()
	case p.locked:
		p.queue = append(p.queue, c)
		p.conns[c] = true
		p.notify()
		p.log.Printf("locked: %s waits (%d queued)", c.RemoteAddr(), len(p.queue))
	default:
		p.relayLocked(c)
	}
}

// waitForRoom blocks while the queue is full.
func (p *proxy) waitForRoom() error {
	for {
		s := p.state()
		if !s.locked || s.queued < maxQueued {
			return nil
		}
		select {
		case <-s.changed:
		case <-p.stop:
			return errStopping
		}
	}
}

// relayLocked starts relaying a client; p.mu is held.
func (p *proxy) relayLocked(c net.Conn) {
	p.active++
	p.conns[c] = true
	p.relays.Add(1)
	p.notify()
	go p.relay(c)
}

// relay connects the client to the server and copies both ways. The end of
// the client's data is passed on (the server may still answer); the end of
// the server's closes the whole connection.
func (p *proxy) relay(client net.Conn) {
	defer p.relays.Done()
	var server net.Conn
	defer func() { p.finished(client, server) }()

	server, err := p.dial()
	if err != nil {
		if err != errStopping {
			p.log.Printf("cannot reach the server %s for %s: %v", p.upstream, client.RemoteAddr(), err)
		}
		return
	}
	if !p.track(server) {
		return
	}
	fromClient := make(chan struct{})
	go func() {
		defer close(fromClient)
		io.Copy(server, client)
		if tc, ok := server.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}()
	io.Copy(client, server)
	client.Close()
	server.Close()
	<-fromClient
}

// track registers a server connection for shutdown; false when stopping.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *proxy) finished(client, server net.Conn) {
	client.Close()
	if server != nil {
		server.Close()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.active--
	p.notify()
}

// dial connects to the server, trying again for up to connectTimeout: a
// server that is being restarted, or still starting, is worth waiting for.
func (p *proxy) dial() (net.Conn, error) {
	deadline := time.Now().Add(p.connectTimeout)
	wait := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		d := net.Dialer{Deadline: deadline}
		c, err := d.Dial("tcp", p.upstream)
		if err == nil {
			return c, nil
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, err
		}
		if attempt == 0 {
			p.log.Printf("the server %s does not answer (%v); trying again for up to %s", p.upstream, err, remaining.Round(time.Second))
		}
		t := time.NewTimer(min(wait, remaining))
		select {
		case <-t.C:
		case <-p.stop:
			t.Stop()
			return nil, errStopping
		}
		wait = min(2*wait, time.Second)
	}
}

// shutdown closes every connection, queued or relayed, and waits for the
// relays to end.
func (p *proxy) shutdown() {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return
	}
	p.closing = true
	close(p.stop)
	for c := range p.conns {
		c.Close()
	}
	p.queue = nil
	p.notify()
	p.mu.Unlock()
	p.relays.Wait()
}
