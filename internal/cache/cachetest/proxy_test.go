package cachetest

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// rawConn is a client connection through a proxy that speaks RESP by hand.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawConn{t: t, conn: conn, rd: bufio.NewReader(conn)}
}

// ping sends PING and returns the first line of the answer, or the error
// reading it within wait.
func (c *rawConn) ping(wait time.Duration) (string, error) {
	c.t.Helper()
	c.conn.SetDeadline(time.Now().Add(wait))
	if _, err := c.conn.Write([]byte("PING\r\n")); err != nil {
		return "", err
	}
	line, err := c.rd.ReadString('\n')
	return strings.TrimSpace(line), err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestProxy(t *testing.T) {
	srv := StartServer(t, 0)
	p := StartProxy(t, srv.Addr)
	if p.Fault() != Pass {
		t.Fatalf("new proxy in mode %v, want pass", p.Fault())
	}
	old := dialRaw(t, p.Addr)
	if line, err := old.ping(time.Second); err != nil || line != "+PONG" {
		t.Fatalf("pass: PING = %q, %v; want +PONG", line, err)
	}

	t.Run("blackhole", func(t *testing.T) {
		p.Set(Blackhole)
		defer p.Set(Pass)
		if _, err := old.ping(200 * time.Millisecond); !isTimeout(err) {
			t.Errorf("open connection: PING error %v, want a timeout", err)
		}
		fresh := dialRaw(t, p.Addr) // accepted...
		if _, err := fresh.ping(200 * time.Millisecond); !isTimeout(err) {
			t.Errorf("new connection: PING error %v, want a timeout", err) // ...but never answered
		}
	})

	t.Run("pass again", func(t *testing.T) {
		// The black-holed connection's PING was dropped, not delayed.
		c := dialRaw(t, p.Addr)
		if line, err := c.ping(time.Second); err != nil || line != "+PONG" {
			t.Errorf("after blackhole: PING = %q, %v; want +PONG", line, err)
		}
	})

	t.Run("garbage", func(t *testing.T) {
		p.Set(Garbage)
		defer p.Set(Pass)
		c := dialRaw(t, p.Addr)
		line, err := c.ping(time.Second)
		if err != nil || !strings.HasPrefix(line, "HTTP/") {
			t.Errorf("garbage: PING = %q, %v; want an HTTP status line", line, err)
		}
		if strings.ContainsAny(line[:1], "+-:$*_,#!=(%~>|") {
			t.Errorf("garbage starts with a RESP type byte: %q", line)
		}
	})

	t.Run("refuse", func(t *testing.T) {
		c := dialRaw(t, p.Addr)
		if _, err := c.ping(time.Second); err != nil {
			t.Fatal(err)
		}
		p.Set(Refuse)
		if _, err := c.ping(time.Second); err == nil || isTimeout(err) {
			t.Errorf("open connection: PING error %v, want it reset", err)
		}
		if conn, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("dial while refusing succeeded")
		} else if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("dial while refusing: %v, want connection refused", err)
		}
		p.Set(Pass) // listens again, on the same address
		if line, err := dialRaw(t, p.Addr).ping(time.Second); err != nil || line != "+PONG" {
			t.Errorf("after refuse: PING = %q, %v; want +PONG", line, err)
		}
	})

	t.Run("target stopped", func(t *testing.T) {
		srv.Stop()
		// The proxy resets the connection, which the dial itself may
		// already report.
		conn, err := net.DialTimeout("tcp", p.Addr, time.Second)
		if err == nil {
			c := &rawConn{t: t, conn: conn, rd: bufio.NewReader(conn)}
			_, err = c.ping(time.Second)
			conn.Close()
		}
		if err == nil || isTimeout(err) {
			t.Errorf("PING through a proxy to a stopped server: %v, want the connection closed", err)
		}
		StartServer(t, srv.Port)
		if line, err := dialRaw(t, p.Addr).ping(time.Second); err != nil || line != "+PONG" {
			t.Errorf("after restart: PING = %q, %v; want +PONG", line, err)
		}
	})
}

// TestProxyClient checks the proxy with a go-redis client, whose pool keeps
// connections open across faults.
func TestProxyClient(t *testing.T) {
	srv := StartServer(t, 0)
	p := StartProxy(t, srv.Addr)
	c := redis.NewClient(&redis.Options{
		Addr:                     p.Addr,
		ReadTimeout:              100 * time.Millisecond,
		WriteTimeout:             100 * time.Millisecond,
		MaxRetries:               -1,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	defer c.Close()
	ctx := context.Background()
	for _, step := range []struct {
		fault Fault
		ok    bool
	}{{Pass, true}, {Blackhole, false}, {Pass, true}, {Garbage, false}, {Pass, true}, {Refuse, false}, {Pass, true}} {
		p.Set(step.fault)
		err := c.Ping(ctx).Err()
		if step.ok {
			// A connection broken by the previous fault may fail once.
			if err != nil {
				err = c.Ping(ctx).Err()
			}
			if err != nil {
				t.Errorf("%v: PING: %v", step.fault, err)
			}
		} else if err == nil {
			t.Errorf("%v: PING succeeded", step.fault)
		}
	}
	if n := p.Conns(); n > 10 {
		t.Errorf("%d connections open through the proxy; want the broken ones closed", n)
	}
}

// TestProxyLatency: SetLatency slows every reply by its delay, and 0 ends
// it.
func TestProxyLatency(t *testing.T) {
	srv := StartServer(t, 0)
	p := StartProxy(t, srv.Addr)
	c := NewClient(p.Addr)
	defer c.Close()
	ctx := context.Background()
	ping := func() time.Duration {
		t.Helper()
		start := time.Now()
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("PING: %v", err)
		}
		return time.Since(start)
	}
	ping() // connect
	p.SetLatency(80 * time.Millisecond)
	if d := ping(); d < 80*time.Millisecond {
		t.Errorf("PING with 80ms latency took %v", d)
	}
	p.SetLatency(0)
	if d := ping(); d >= 80*time.Millisecond {
		t.Errorf("PING without latency took %v", d)
	}
}
