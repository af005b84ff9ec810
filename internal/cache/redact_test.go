package cache

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRedisErrorsNameNoAddress: the errors of a client from ParseRedisURL
// (a dial refused, a command that times out) do not name the server's
// address, and still match what they wrap.
func TestRedisErrorsNameNoAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: refused
	c, err := ParseRedisURL("redis://"+addr, RedisOptions{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Ping(context.Background()).Err()
	if err == nil || strings.Contains(err.Error(), addr) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("refused: %v; want ECONNREFUSED without %s", err, addr)
	}

	// A server that accepts and never answers: a timeout.
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	addr = ln.Addr().String()
	c2, _ := ParseRedisURL("redis://"+addr, RedisOptions{Timeout: 100 * time.Millisecond})
	defer c2.Close()
	err = c2.Ping(context.Background()).Err()
	if err == nil || strings.Contains(err.Error(), addr) || !isSlow(err) {
		t.Errorf("silent server: %v; want a timeout without %s", err, addr)
	}
}
