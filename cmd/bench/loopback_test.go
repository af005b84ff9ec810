package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestCheckLoopbackAddr(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:6379", "127.1.2.3:80", "localhost:8080", "LocalHost:1", "[::1]:6379"} {
		if err := checkLoopbackAddr(ok); err != nil {
			t.Errorf("checkLoopbackAddr(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{
		"10.0.0.1:6379", "0.0.0.0:6379", "[::]:6379", "192.168.1.2:1", "redis.example.com:6379",
		"localhost.example.com:1", "128.0.0.1:1", "[::ffff:8.8.8.8]:53", "127.0.0.1", "",
	} {
		if err := checkLoopbackAddr(bad); err == nil {
			t.Errorf("checkLoopbackAddr(%q) accepted", bad)
		}
	}
}

func TestCheckLoopbackURL(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:8080/", "http://[::1]:1"} {
		if err := checkLoopbackURL(ok); err != nil {
			t.Errorf("checkLoopbackURL(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{
		"http://example.com", "https://127.0.0.1:1", "127.0.0.1:8080", "http://10.1.1.1:80",
		"http://127.0.0.1.nip.io:80", "ftp://localhost/", "http://0.0.0.0:8080",
	} {
		if err := checkLoopbackURL(bad); err == nil {
			t.Errorf("checkLoopbackURL(%q) accepted", bad)
		}
	}
}

func TestDialLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:80", "[::1]:80"} {
		if err := dialLoopbackOnly("tcp", addr, nil); err != nil {
			t.Errorf("dialLoopbackOnly(%q) = %v", addr, err)
		}
	}
	for _, addr := range []string{"8.8.8.8:53", "[2001:db8::1]:80", "0.0.0.0:80"} {
		if err := dialLoopbackOnly("tcp", addr, nil); err == nil {
			t.Errorf("dialLoopbackOnly(%q) accepted", addr)
		}
	}
	// The client's dialer refuses before any packet leaves: 192.0.2.1 is
	// TEST-NET-1 and would otherwise time out.
	d := &net.Dialer{Control: dialLoopbackOnly, Timeout: time.Second}
	if _, err := d.DialContext(context.Background(), "tcp", "192.0.2.1:80"); err == nil || !strings.Contains(err.Error(), "not a loopback") {
		t.Errorf("dial 192.0.2.1 = %v, want a refusal", err)
	}
}
