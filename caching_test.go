package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/cache/cachetest"
	"customergraph/internal/sim/tiquosim"
)

// TestCoalescing: simultaneous misses for one customer from different
// requests share one upstream call.
func TestCoalescing(t *testing.T) {
	s := newStack(t, stackOptions{})
	c := s.customers(1)[0]
	// The GET takes 300ms, so every request arrives while it is under way.
	s.sim.SetFaults(tiquosim.Faults{Latency: 300 * time.Millisecond, Routes: []string{"get"}})
	const n = 200
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		bad   = make(chan string, n)
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := s.post(`query($e: String) { customer(email: $e) { id } }`, map[string]any{"e": *c.Email})
			var out struct{ Customer *struct{ ID string } }
			json.Unmarshal(r.Data, &out)
			if len(r.Errors) > 0 || out.Customer == nil || out.Customer.ID != c.ID {
				bad <- string(r.Data)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(bad)
	for b := range bad {
		t.Errorf("a coalesced request got %s; want %s", b, c.ID)
	}
	if got := s.stats(); got.Get != 1 || got.Total != 1 {
		t.Errorf("%d simultaneous requests for one uncached customer cost %+v; want 1 GET", n, got)
	}
}

func TestNegativeCaching(t *testing.T) {
	s := newStack(t, stackOptions{env: map[string]string{"NEGATIVE_CACHE_TTL": "1s"}})
	const ghost = "ghost@example.com"
	lookup := func() *struct{ ID string } {
		t.Helper()
		var out struct{ Customer *struct{ ID string } }
		s.query(`query($e: String) { customer(email: $e) { id } }`, map[string]any{"e": ghost}, &out)
		return out.Customer
	}
	for range 5 {
		if c := lookup(); c != nil {
			t.Fatalf("lookup of a missing email = %+v; want null", c)
		}
	}
	if got := s.stats(); got.Get != 1 {
		t.Errorf("5 lookups of a missing email cost %d GETs; want 1", got.Get)
	}
	// Once the negative TTL is over, the upstream is asked again, once.
	time.Sleep(1100 * time.Millisecond)
	s.resetStats()
	lookup()
	lookup()
	if got := s.stats(); got.Get != 1 {
		t.Errorf("2 lookups after the negative TTL cost %d GETs; want 1", got.Get)
	}

	// An update that gives a customer that email clears the negative entry.
	c := s.customers(1)[0]
	s.query(`mutation($id: ID!, $e: String) { updateCustomer(id: $id, input: {email: $e}) { customer { id } } }`,
		map[string]any{"id": c.ID, "e": ghost}, nil)
	s.resetStats()
	if got := lookup(); got == nil || got.ID != c.ID {
		t.Errorf("lookup after the update gave the email away = %+v; want %s", got, c.ID)
	}
	if got := s.stats(); got.Total != 0 {
		t.Errorf("lookup after the update cost %d upstream calls; want 0", got.Total)
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	// Without a circuit breaker, which would stop asking after failures.
	s := newStack(t, stackOptions{env: map[string]string{"BREAKER_FAILURES": "0"}})
	c := s.customers(1)[0]
	for _, status := range []int{503, 429} {
		s.sim.SetFaults(tiquosim.Faults{Status: status, RetryAfter: 1, Routes: []string{"get"}})
		s.resetStats()
		for range 2 {
			if r := s.post(`query($e: String) { customer(email: $e) { id } }`, map[string]any{"e": *c.Email}); len(r.Errors) == 0 {
				t.Fatalf("status %d: lookup succeeded; want an error", status)
			}
			if status == 429 {
				time.Sleep(1100 * time.Millisecond) // the pause the 429 asked for
			}
		}
		if got := s.stats(); got.Get < 2 {
			t.Errorf("status %d: two failing lookups cost %d GETs; want each to ask the upstream", status, got.Get)
		}
	}
	s.sim.ClearFaults()
	var out struct{ Customer *struct{ ID string } }
	s.query(`query($e: String) { customer(email: $e) { id } }`, map[string]any{"e": *c.Email}, &out)
	if out.Customer == nil {
		t.Error("lookup after the upstream recovered is null: a failure was remembered")
	}
}

func TestStaleIfError(t *testing.T) {
	// Without a circuit breaker, so that the upstream answers as soon as it
	// recovers (TestBreaker serves stale while the circuit is open).
	s := newStack(t, stackOptions{env: map[string]string{"CACHE_TTL": "1s", "STALE_IF_ERROR": "1h", "BREAKER_FAILURES": "0"}})
	cs := s.customers(2)
	q := `query($a: ID, $b: ID) { a: customer(id: $a) { id displayName } b: customer(id: $b) { id marketingOptIn } }`
	vars := map[string]any{"a": cs[0].ID, "b": cs[1].ID}
	s.query(q, vars, nil)
	time.Sleep(1200 * time.Millisecond) // past the TTL and its jitter

	for _, status := range []int{503, 429} {
		s.sim.SetFaults(tiquosim.Faults{Status: status, RetryAfter: 1, Routes: []string{"get"}})
		r := s.post(q, vars)
		if len(r.Errors) != 0 {
			t.Fatalf("status %d: errors %+v; want the stale customers", status, r.Errors)
		}
		var out struct{ A, B *struct{ ID string } }
		json.Unmarshal(r.Data, &out)
		if out.A == nil || out.B == nil || out.A.ID != cs[0].ID || out.B.ID != cs[1].ID {
			t.Errorf("status %d: data %s; want both customers", status, r.Data)
		}
		stale := staleExtension(t, s, q, vars)
		if len(stale) != 2 {
			t.Errorf("status %d: extensions.stale = %+v; want entries for a and b", status, stale)
		}
		for _, e := range stale {
			if e.AgeSeconds < 1 {
				t.Errorf("status %d: stale entry %+v; want an age of at least 1s", status, e)
			}
		}
	}
	// When the upstream answers again (and the pause the 429 asked for is
	// over), the answer is fresh and says nothing about staleness.
	s.sim.ClearFaults()
	time.Sleep(1100 * time.Millisecond)
	if stale := staleExtension(t, s, q, vars); len(stale) != 0 {
		t.Errorf("after recovery extensions.stale = %+v; want none", stale)
	}
}

func staleExtension(t *testing.T, s *stack, q string, vars map[string]any) []struct {
	Path       []any
	AgeSeconds int
} {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytesReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Extensions struct {
			Stale []struct {
				Path       []any
				AgeSeconds int
			}
		}
	}
	json.NewDecoder(resp.Body).Decode(&out)
	return out.Extensions.Stale
}

func TestStaleIfErrorOff(t *testing.T) {
	s := newStack(t, stackOptions{env: map[string]string{"CACHE_TTL": "1s", "STALE_IF_ERROR": "0s"}})
	c := s.customers(1)[0]
	q := `query($a: ID) { a: customer(id: $a) { id } }`
	s.query(q, map[string]any{"a": c.ID}, nil)
	time.Sleep(1200 * time.Millisecond)
	s.sim.SetFaults(tiquosim.Faults{Status: 503, Routes: []string{"get"}})
	if r := s.post(q, map[string]any{"a": c.ID}); r.code("a") != "UPSTREAM_UNAVAILABLE" {
		t.Errorf("with STALE_IF_ERROR=0: errors %+v; want UPSTREAM_UNAVAILABLE", r.Errors)
	}
}

func TestTTLJitter(t *testing.T) {
	s := newStack(t, stackOptions{env: map[string]string{"CACHE_TTL": "100s", "STALE_IF_ERROR": "0s"}})
	s.query(`{ customers(first: 50) { nodes { id } } }`, nil, nil)
	rdb := cachetest.Client(t)
	ctx := t.Context()
	ns := cache.Namespace(s.simURL, string(s.cfg.UpstreamAPIKey), s.cfg.CacheNamespace)
	keys, err := rdb.Keys(ctx, cache.NewKeyspace(ns).Customer("*")).Result()
	if err != nil {
		t.Fatal(err)
	}
	ttls := map[time.Duration]bool{}
	n := 0
	for _, k := range keys {
		ttl := rdb.PTTL(ctx, k).Val()
		if ttl <= 0 {
			continue
		}
		if ttl > 110*time.Second {
			t.Errorf("TTL of %s = %v; want at most 100s + 10%%", k, ttl)
		}
		ttls[ttl.Round(10*time.Millisecond)] = true
		n++
	}
	if n < 50 {
		t.Fatalf("found %d customer keys; want at least 50", n)
	}
	if len(ttls) < 10 {
		t.Errorf("50 entries written together have %d distinct TTLs; want them spread", len(ttls))
	}
}

// TestRedisRoundTripsPerBatch counts the commands a private Redis receives:
// 100 aliased lookups cost one cache read when warm, and one read plus one
// write-back when cold.
func TestRedisRoundTripsPerBatch(t *testing.T) {
	srv := cachetest.StartServer(t, 0)
	// The cache's commands alone: the upstream budget takes a token with a
	// script of its own for every upstream call.
	s := newStack(t, stackOptions{redisAddr: srv.Addr, env: map[string]string{"UPSTREAM_BUDGET": "0"}})
	cs := s.customers(50)
	var b strings.Builder
	b.WriteString("{")
	for i, c := range cs {
		fmt.Fprintf(&b, "a%d: customerByIdentifier(identifier: %q) { id } b%d: customerByIdentifier(identifier: %q) { id }\n",
			i, strings.ToUpper(*c.Email), i, *c.Email)
	}
	b.WriteString("}")
	rdb := cachetest.NewClient(srv.Addr)
	defer rdb.Close()
	calls := func() (reads, writes int) {
		t.Helper()
		info, err := rdb.Info(t.Context(), "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\n") {
			name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
			if !ok {
				continue
			}
			n, _ := strconv.Atoi(strings.SplitN(rest, ",", 2)[0])
			switch name {
			case "cmdstat_evalsha", "cmdstat_eval":
				reads += n // the read script, and the versioned write script
			case "cmdstat_set":
				writes += n
			}
		}
		return reads, writes
	}
	// The write-back lands after the answer: wait until the script count
	// reaches want (at most 5s), then a little more for anything extra.
	settle := func(from, want int) int {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			r, _ := calls()
			if r-from >= want || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		r, _ := calls()
		return r - from
	}

	// Load both scripts into this fresh server first (EVALSHA, then EVAL
	// on NOSCRIPT), with a customer outside the batch.
	r, _ := calls()
	s.query(`{ customer(customerNumber: "CUST-000200") { id } }`, nil, nil)
	settle(r, 4) // EVALSHA+EVAL to read, EVALSHA+EVAL to write

	// Cold: one read script for the batch, one write script for the 50
	// customers found.
	r0, _ := calls()
	s.query(b.String(), nil, nil)
	if got := settle(r0, 2); got != 2 {
		t.Errorf("100 cold lookups: %d scripts run; want 2 (one read, one write-back)", got)
	}
	r1, _ := calls()
	s.query(b.String(), nil, nil)
	if got := settle(r1, 1); got != 1 {
		t.Errorf("100 warm lookups: %d scripts run; want 1 read", got)
	}
}
