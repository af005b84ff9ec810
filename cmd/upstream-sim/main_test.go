package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	got, err := parseFlags(nil)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	want := config{vendor: "tiquo", addr: "127.0.0.1:8081", customers: 1000, seed: 1, apiKeys: "sim-key", store: "11111111-1111-4111-8111-111111111111"}
	if got != want {
		t.Errorf("defaults: got %+v; want %+v", got, want)
	}

	tests := []struct {
		args []string
		want config
	}{
		{
			[]string{"-addr", ":0", "-customers", "50", "-seed", "9", "-latency", "20ms", "-api-keys", "a,b:read", "-rate-limit", "1000"},
			config{vendor: "tiquo", addr: ":0", customers: 50, seed: 9, latency: 20 * time.Millisecond, apiKeys: "a,b:read", rateLimit: 1000, store: "11111111-1111-4111-8111-111111111111"},
		},
		{
			[]string{"-vendor", "komerza", "-store", "ABCDEF01-2345-4678-89AB-CDEF01234567", "-customers", "1000000"},
			config{vendor: "komerza", addr: "127.0.0.1:8081", customers: 1_000_000, seed: 1, apiKeys: "sim-key", store: "abcdef01-2345-4678-89ab-cdef01234567"},
		},
		{
			[]string{"-vendor", "Xtrakit"},
			config{vendor: "xtrakit", addr: "127.0.0.1:8081", customers: 1000, seed: 1, apiKeys: "sim-key", store: "11111111-1111-4111-8111-111111111111"},
		},
	}
	for _, tt := range tests {
		got, err := parseFlags(tt.args)
		if err != nil {
			t.Errorf("parseFlags(%q): %v", tt.args, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseFlags(%q): got %+v; want %+v", tt.args, got, tt.want)
		}
	}

	for _, args := range [][]string{
		{"-customers", "0"},
		{"-customers", "2000000"},
		{"-vendor", "komerza", "-customers", "2000000"},
		{"-vendor", "xtrakit", "-customers", "2000000"},
		{"-latency", "-1s"},
		{"-rate-limit", "-5"},
		{"-vendor", "shopify"},
		{"-vendor", ""},
		{"-vendor", "komerza", "-store", "store-1"},
		{"-vendor", "komerza", "-store", ""},
		{"-store", "11111111-1111-4111-8111-111111111111"}, // tiquo has no stores
		{"-vendor", "xtrakit", "-store", "11111111-1111-4111-8111-111111111111"},
		{"-nope"},
		{"extra"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q): got nil error; want an error", args)
		}
	}
}

func TestNewSimulator(t *testing.T) {
	tests := []struct {
		args []string
		path string
	}{
		{nil, "/customers/CUST-000001"},
		{[]string{"-vendor", "tiquo"}, "/customers?limit=1"},
		{[]string{"-vendor", "komerza"}, "/stores/11111111-1111-4111-8111-111111111111/customers/3c90c3cc-0d44-4b50-8888-8dd25736052a"},
		{[]string{"-vendor", "komerza", "-store", "22222222-2222-4222-8222-222222222222"}, "/stores/22222222-2222-4222-8222-222222222222/customers?PageSize=1"},
		{[]string{"-vendor", "xtrakit"}, "/customers/1"},
		{[]string{"-vendor", "xtrakit"}, "/customer-groups"},
	}
	for _, tt := range tests {
		cfg, err := parseFlags(append(tt.args, "-customers", "20"))
		if err != nil {
			t.Fatal(err)
		}
		sim, err := newSimulator(cfg, []string{"k"})
		if err != nil {
			t.Fatalf("newSimulator(%q): %v", tt.args, err)
		}
		if sim.Len() != 20 {
			t.Errorf("%q: Len got %d; want 20", tt.args, sim.Len())
		}
		req := httptest.NewRequest(http.MethodGet, tt.path, nil)
		req.Header.Set("Authorization", "Bearer k")
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("%q: GET %s: got %d %s; want 200", tt.args, tt.path, rec.Code, rec.Body)
		}
	}
}

func TestRunRejectsEmptyKeys(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := run(context.Background(), []string{"-api-keys", " , "}, logger); err == nil {
		t.Errorf("run with no keys: got nil error; want an error")
	}
}

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestRunServesUntilCancelled(t *testing.T) {
	var out syncBuffer
	logger := slog.New(slog.NewTextHandler(&out, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-vendor", "komerza", "-addr", "127.0.0.1:0", "-customers", "5", "-api-keys", "k"}, logger)
	}()

	addrRE := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("no listening line in the log: %s", out.String())
	}
	for _, want := range []string{"vendor=komerza", "store=11111111-1111-4111-8111-111111111111", "customers=5"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log: got %s; want %s", out.String(), want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/stores/11111111-1111-4111-8111-111111111111/customers", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("list: got %d; want 200", resp.StatusCode)
	}
	// -healthcheck asks the running simulator, and fails where none runs.
	if err := run(t.Context(), []string{"-healthcheck", "-addr", addr}, logger); err != nil {
		t.Errorf("-healthcheck of the running simulator: %v; want nil", err)
	}
	if err := run(t.Context(), []string{"-healthcheck", "-addr", freeAddr(t)}, logger); err == nil {
		t.Error("-healthcheck where nothing listens: nil; want an error")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: got %v; want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
