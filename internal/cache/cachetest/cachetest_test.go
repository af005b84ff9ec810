package cachetest

import (
	"context"
	"net"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestRedis(t *testing.T) {
	addr := Redis(t)
	if err := ping(addr, startTimeout); err != nil {
		t.Fatalf("Redis(t) = %s, which does not answer: %v", addr, err)
	}
	if got := Redis(t); got != addr {
		t.Errorf("second Redis(t) = %s, want the same %s", got, addr)
	}
	if err := Client(t).Ping(context.Background()).Err(); err != nil {
		t.Errorf("Client(t).Ping: %v", err)
	}
}

func TestStartServer(t *testing.T) {
	srv := StartServer(t, 0)
	c := NewClient(srv.Addr)
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Ping %s: %v", srv.Addr, err)
	}
	srv.Stop()
	srv.Stop()
	if err := ping(srv.Addr, startTimeout); err == nil {
		t.Fatal("server answers after Stop")
	}
	again := StartServer(t, srv.Port)
	if again.Addr != srv.Addr {
		t.Errorf("restarted on %s, want %s", again.Addr, srv.Addr)
	}
	if err := ping(again.Addr, startTimeout); err != nil {
		t.Errorf("restarted server: %v", err)
	}
}

func TestNamespace(t *testing.T) {
	a, b := Namespace(t), Namespace(t)
	if a == b {
		t.Errorf("Namespace returned %q twice", a)
	}
	t.Run("sub/{test} with:odd chars", func(t *testing.T) {
		ns := Namespace(t)
		if strings.ContainsAny(ns, "{}/: ") {
			t.Errorf("Namespace = %q, want no braces, slashes, colons or spaces", ns)
		}
		if !strings.HasPrefix(ns, "TestNamespace_sub__test__with_odd_chars-") {
			t.Errorf("Namespace = %q, want it to start with the test's name", ns)
		}
	})
}

func TestPingRejectsNonRedis(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Write([]byte("-NOAUTH Authentication required.\r\n"))
	}()
	if err := ping(l.Addr().String(), startTimeout); err == nil {
		t.Error("ping accepted -NOAUTH")
	}
	if err := ping("127.0.0.1:1", startTimeout); err == nil {
		t.Error("ping of a closed port succeeded")
	}
}
