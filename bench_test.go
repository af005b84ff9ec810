package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"customergraph/internal/cache/cachetest"
	"customergraph/internal/sim/tiquosim"
)

// benchApp is the facade's handler over a loopback simulator and the test
// Redis, called in-process so the figures are the facade's own work.
func benchApp(b *testing.B, redis bool) http.Handler {
	return benchAppN(b, redis, 1000)
}

func benchAppN(b *testing.B, redis bool, customers int) http.Handler {
	b.Helper()
	sim := httptest.NewServer(tiquosim.New(tiquosim.Options{Customers: customers}))
	b.Cleanup(sim.Close)
	env := map[string]string{
		"UPSTREAM_URL": sim.URL, "UPSTREAM_API_KEY": tiquosim.DefaultAPIKey,
		"FACADE_API_KEYS": testKey, "CACHE_NAMESPACE": cachetest.Namespace(b), "LOG_LEVEL": "error",
		"UPSTREAM_BUDGET": "0", // cold benchmarks call the upstream far more than an hour's budget
	}
	if redis {
		env["REDIS_URL"] = "redis://" + cachetest.Redis(b)
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	a, err := newApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	return a
}

func benchQuery(b *testing.B, h http.Handler, query string, vars map[string]any) {
	b.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	do := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+testKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := do(); w.Code != 200 || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
		b.Fatalf("warm-up: %d %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		do()
	}
}

const w1Query = `query($e: String) { customer(email: $e) { id customerNumber displayName email phone status } }`

const w5Query = `{ customers(first: 100) { nodes {
  id customerNumber firstName lastName displayName email emails { address isPrimary } phone phones { number isPrimary }
  profilePhoto status source marketingOptIn smsOptIn dateOfBirth address { line1 line2 city state postalCode country }
  tags notes preferredLocationId companyId loyaltyPoints totalOrders totalSpent averageOrderValue lifetimeValue
  lastOrderAt lastActivityAt createdAt updatedAt } } }`

// BenchmarkW1Warm is one customer looked up by email, found in Redis.
func BenchmarkW1Warm(b *testing.B) {
	benchQuery(b, benchApp(b, true), w1Query, map[string]any{"e": "john@example.com"})
}

// BenchmarkW1WarmMemory is W1 with the in-memory cache: the facade alone.
func BenchmarkW1WarmMemory(b *testing.B) {
	benchQuery(b, benchApp(b, false), w1Query, map[string]any{"e": "john@example.com"})
}

// BenchmarkW5 is a page of 100 customers with every field, details cached.
func BenchmarkW5(b *testing.B) {
	benchQuery(b, benchApp(b, true), w5Query, nil)
}

// BenchmarkTypename is the framework floor: { __typename }.
func BenchmarkTypename(b *testing.B) {
	benchQuery(b, benchApp(b, false), `{ __typename }`, nil)
}

// BenchmarkW1Cold looks up a different customer every iteration (run it
// with -benchtime Nx, N at most 20000, so every lookup misses the cache).
func BenchmarkW1Cold(b *testing.B) {
	a := benchAppN(b, true, 20000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := fmt.Sprintf(`{"query":"query($n: String) { customer(customerNumber: $n) { id customerNumber displayName email phone status } }","variables":{"n":"CUST-%06d"}}`, i%20000+1)
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+testKey)
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}
