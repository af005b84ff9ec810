package cachetest

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is how a Proxy treats the connections through it.
type Fault int32

const (
	// Pass forwards bytes both ways: a healthy network.
	Pass Fault = iota
	// Blackhole accepts connections and reads what clients send, but never
	// answers: connections already open stop forwarding in both directions,
	// new ones are accepted and then hang, as behind a dead link or a
	// server stuck in a long command.
	Blackhole
	// Refuse closes the listener, so new connections are refused, and
	// resets every open connection.
	Refuse
	// Garbage answers anything a client sends with bytes that are not the
	// Redis protocol (an HTTP error page), as a wrong server would.
	Garbage
)

func (f Fault) String() string {
	switch f {
	case Pass:
		return "pass"
	case Blackhole:
		return "blackhole"
	case Refuse:
		return "refuse"
	case Garbage:
		return "garbage"
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// garbageReply is what Garbage answers: an HTTP server's reply, whose first
// byte is no Redis reply type.
const garbageReply = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nnot redis\r\n"

// Proxy is a TCP proxy in front of a Redis (or any TCP server) that injects
// network faults, for tests of how clients survive them. Create one with
// StartProxy; it is closed when its test ends. When its target does not
// accept a connection (a stopped server), the proxy resets the client's.
type Proxy struct {
	// Addr is the proxy's address, 127.0.0.1:port. It stays the same
	// across faults, Refuse included.
	Addr string

	t      testing.TB
	target string

	latency atomic.Int64 // nanoseconds added to every chunk of replies

	mu     sync.Mutex
	fault  Fault
	ln     net.Listener // nil while refusing or closed
	conns  map[*proxyConn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// proxyConn is one client connection and, when it was accepted while
// passing, its connection to the target.
type proxyConn struct {
	client, server net.Conn // server is nil for a connection that never passed
}

// StartProxy starts a proxy to target (host:port) on a free loopback port,
// in Pass mode. It is closed, with every connection through it, when t ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cachetest: proxy: %v", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), t: t, target: target, conns: map[*proxyConn]struct{}{}}
	p.serve(ln)
	t.Cleanup(p.close)
	return p
}

// Fault returns the fault in force.
func (p *Proxy) Fault() Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fault
}

// SetLatency delays every chunk the target sends back by d (0: none), as a
// slow but answering server, or a loaded network, would.
func (p *Proxy) SetLatency(d time.Duration) {
	p.latency.Store(int64(d))
}

// Set switches the proxy to fault f, at once for new connections and for
// those already open. Leaving Refuse listens on Addr again. Entering Pass
// closes the connections that were accepted while not passing: they were
// never connected to the target.
func (p *Proxy) Set(f Fault) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || f == p.fault {
		p.fault = f
		return
	}
	p.fault = f
	switch f {
	case Refuse:
		if p.ln != nil {
			p.ln.Close()
			p.ln = nil
		}
		for c := range p.conns {
			c.reset()
			delete(p.conns, c)
		}
		return
	case Pass:
		for c := range p.conns {
			if c.server == nil {
				c.reset()
				delete(p.conns, c)
			}
		}
	}
	if p.ln == nil {
		ln, err := listenAgain(p.Addr)
		if err != nil {
			p.t.Errorf("cachetest: proxy: listen again on %s: %v", p.Addr, err)
			return
		}
		p.serve(ln)
	}
}

// listenAgain listens on addr, retrying for a moment in case the port is
// still being released.
func listenAgain(addr string) (net.Listener, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil || time.Now().After(deadline) {
			return ln, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serve accepts connections on ln until it is closed. Called with p.mu
// held, or before p is shared.
func (p *Proxy) serve(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			p.accept(client)
		}
	}()
}

// accept sets up a new client connection according to the fault in force.
func (p *Proxy) accept(client net.Conn) {
	var server net.Conn
	if p.Fault() == Pass {
		var err error
		server, err = net.DialTimeout("tcp", p.target, time.Second)
		if err != nil {
			resetConn(client) // what a client of a stopped server sees
			return
		}
	}
	c := &proxyConn{client: client, server: server}
	p.mu.Lock()
	if p.closed || p.fault == Refuse || (server != nil && p.fault != Pass) {
		// The fault changed while dialing.
		p.mu.Unlock()
		c.reset()
		return
	}
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	if server != nil {
		p.wg.Add(1)
		go p.pump(c, server, client, false)
	}
	p.mu.Unlock()
	go p.pump(c, client, server, true)
}

// pump reads from src until it fails and treats each chunk according to the
// fault in force: forwarded to dst when passing, dropped in a black hole,
// and, from the client, answered with garbage in Garbage mode. dst is nil
// for a connection without a target. When src fails, the whole connection
// is closed.
func (p *Proxy) pump(c *proxyConn, src, dst net.Conn, fromClient bool) {
	defer p.wg.Done()
	defer p.drop(c)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			switch p.Fault() {
			case Pass:
				if dst == nil {
					return
				}
				if d := time.Duration(p.latency.Load()); d > 0 && !fromClient {
					time.Sleep(d)
				}
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			case Garbage:
				if fromClient {
					if _, werr := c.client.Write([]byte(garbageReply)); werr != nil {
						return
					}
				}
			case Refuse:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// drop closes c and forgets it.
func (p *Proxy) drop(c *proxyConn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.close()
}

func (c *proxyConn) close() {
	c.client.Close()
	if c.server != nil {
		c.server.Close()
	}
}

// reset closes c's client side with a TCP reset, and its server side.
func (c *proxyConn) reset() {
	resetConn(c.client)
	if c.server != nil {
		c.server.Close()
	}
}

// resetConn closes conn so that its peer gets a reset rather than an
// orderly end of stream.
func resetConn(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// close stops the proxy and every connection through it, and waits for
// its goroutines.
func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Conns returns how many client connections are open through the proxy.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}
