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
	h, _ := benchAppSim(b, redis, customers)
	return h
}

// benchAppSim is benchAppN that also returns the simulator's URL.
func benchAppSim(b *testing.B, redis bool, customers int) (http.Handler, string) {
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
	return a, sim.URL
}

func benchQuery(b *testing.B, h http.Handler, query string, vars map[string]any) {
	b.Helper()
	benchQueryCheck(b, h, query, vars, nil)
}

// benchQueryCheck is benchQuery that also hands the warm-up response's body
// to check, which fails the benchmark if the workload is not what it claims.
func benchQueryCheck(b *testing.B, h http.Handler, query string, vars map[string]any, check func(body []byte)) {
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
	} else if check != nil {
		check(w.Body.Bytes())
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

const w2Query = `{ customers(first: 50) { nodes { id displayName email marketingOptIn } } }`

// BenchmarkW2 is a page of 50 customers with a detail field, repeated: one
// list call, the details from Redis.
func BenchmarkW2(b *testing.B) {
	benchQueryCheck(b, benchApp(b, true), w2Query, nil, func(body []byte) {
		var r struct {
			Data struct {
				Customers struct{ Nodes []json.RawMessage }
			}
		}
		if err := json.Unmarshal(body, &r); err != nil || len(r.Data.Customers.Nodes) != 50 {
			b.Fatalf("want 50 nodes: %v %.200s", err, body)
		}
	})
}

// BenchmarkW3 is one query of 100 aliased customerByIdentifier lookups of
// 50 customers, two spellings each (upper-case and padded lower-case email,
// "+1 (555) 123-4567" and 00-prefixed phone, lower- and upper-case customer
// number), repeated: every lookup is found in Redis.
func BenchmarkW3(b *testing.B) {
	h, simURL := benchAppSim(b, true, 1000)
	benchQueryCheck(b, h, w3BenchQuery(b, simURL, 50), nil, func(body []byte) {
		var r struct {
			Data map[string]*struct{ ID string }
		}
		if err := json.Unmarshal(body, &r); err != nil {
			b.Fatal(err)
		}
		for i := range 50 {
			x, y := r.Data[fmt.Sprint("a", 2*i)], r.Data[fmt.Sprint("a", 2*i+1)]
			if x == nil || y == nil || x.ID != y.ID {
				b.Fatalf("lookups a%d and a%d: %+v and %+v; want one customer", 2*i, 2*i+1, x, y)
			}
		}
	})
}

// w3BenchQuery returns W3's document for the first n customers of the
// simulator at simURL.
func w3BenchQuery(b *testing.B, simURL string, n int) string {
	b.Helper()
	resp, err := http.Get(simURL + "/__sim/customers")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var cs []struct {
		Email, Phone, CustomerNumber *string
	}
	if err := json.NewDecoder(resp.Body).Decode(&cs); err != nil {
		b.Fatal(err)
	}
	if len(cs) < n {
		b.Fatalf("the simulator has %d customers; want %d", len(cs), n)
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	var q strings.Builder
	q.WriteString("{")
	for i, c := range cs[:n] {
		email, phone, number := deref(c.Email), deref(c.Phone), deref(c.CustomerNumber)
		x, y := strings.ToLower(number), strings.ToUpper(number)
		switch d, _ := strings.CutPrefix(phone, "+1"); {
		case i%3 == 0 && email != "":
			x, y = strings.ToUpper(email), "  "+strings.ToLower(email)+" "
		case i%3 == 1 && strings.HasPrefix(phone, "+1") && len(d) == 10:
			x, y = fmt.Sprintf("+1 (%s) %s-%s", d[:3], d[3:6], d[6:]), "001"+d
		}
		for j, v := range []string{x, y} {
			lit, _ := json.Marshal(v)
			fmt.Fprintf(&q, " a%d: customerByIdentifier(identifier: %s) { id customerNumber displayName email phone status }", 2*i+j, lit)
		}
	}
	q.WriteString(" }")
	return q.String()
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
