package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"customergraph/internal/cache/cachetest"
)

// TestSlowRedisCostsNoUpstreamCall: a Redis that answers, but slower than
// REDIS_TIMEOUT, is waited for: warm lookups, a 100-alias query and a page
// of listed customers with detail fields, sent concurrently, are all
// answered from the cache, at no upstream cost beyond the page's own list
// call. Only an unavailable Redis may turn into upstream calls.
func TestSlowRedisCostsNoUpstreamCall(t *testing.T) {
	srv := cachetest.StartServer(t, 0)
	proxy := cachetest.StartProxy(t, srv.Addr)
	s := newStack(t, stackOptions{customers: 300, redisAddr: proxy.Addr, env: map[string]string{
		"REDIS_TIMEOUT": "20ms", "UPSTREAM_BUDGET": "0",
	}})
	cs := s.customers(50)
	if len(cs) < 50 {
		t.Fatalf("%d customers with an email and a phone; want 50", len(cs))
	}
	const w1 = `query($e: String!) { customer(email: $e) { id email } }`
	const w2 = `{ customers(first: 50) { nodes { id marketingOptIn } } }`
	var w3 strings.Builder
	w3.WriteString("{")
	for i, c := range cs {
		fmt.Fprintf(&w3, " e%d: customer(email: %q) { id } p%d: customer(phone: %q) { id }", i, strings.ToUpper(*c.Email), i, spaced(*c.Phone))
	}
	w3.WriteString(" }")

	type load struct {
		query string
		vars  map[string]any
		check func(json.RawMessage) error
	}
	loads := []load{
		{w2, nil, func(d json.RawMessage) error {
			var out struct {
				Customers struct {
					Nodes []struct{ MarketingOptIn *bool }
				}
			}
			json.Unmarshal(d, &out)
			if len(out.Customers.Nodes) != 50 || out.Customers.Nodes[0].MarketingOptIn == nil {
				return fmt.Errorf("page %s", d)
			}
			return nil
		}},
		{w3.String(), nil, func(d json.RawMessage) error {
			var out map[string]*struct{ ID string }
			json.Unmarshal(d, &out)
			for i, c := range cs {
				if e, p := out[fmt.Sprint("e", i)], out[fmt.Sprint("p", i)]; e == nil || p == nil || e.ID != c.ID || p.ID != c.ID {
					return fmt.Errorf("alias %d: %v %v; want %s", i, e, p, c.ID)
				}
			}
			return nil
		}},
	}
	for _, c := range cs[:20] {
		want := c.ID
		loads = append(loads, load{w1, map[string]any{"e": *c.Email}, func(d json.RawMessage) error {
			var out struct{ Customer *struct{ ID string } }
			json.Unmarshal(d, &out)
			if out.Customer == nil || out.Customer.ID != want {
				return fmt.Errorf("lookup %s", d)
			}
			return nil
		}})
	}
	run := func(rounds int) []string {
		var (
			mu       sync.Mutex
			failures []string
			wg       sync.WaitGroup
		)
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					l := loads[(w+r)%len(loads)]
					resp := s.post(l.query, l.vars)
					err := l.check(resp.Data)
					if len(resp.Errors) > 0 {
						err = fmt.Errorf("errors %+v", resp.Errors)
					}
					if err != nil {
						mu.Lock()
						failures = append(failures, err.Error())
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		return failures
	}

	// Warm: every customer cached with its details (the write-backs land
	// after the answers).
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.resetStats()
		if f := run(2); len(f) > 0 {
			t.Fatalf("warming: %v", f[0])
		}
		if st := s.stats(); st.Get == 0 || time.Now().After(deadline) {
			break
		}
	}

	// Slow: every reply three times REDIS_TIMEOUT late.
	proxy.SetLatency(60 * time.Millisecond)
	before := s.cacheMetrics()
	s.resetStats()
	start := time.Now()
	failures := run(6)
	took := time.Since(start)
	st := s.stats()
	after := s.cacheMetrics()
	proxy.SetLatency(0)
	if len(failures) > 0 {
		t.Errorf("%d of %d queries failed with a slow Redis; first: %s", len(failures), 16*6, failures[0])
	}
	if st.Get != 0 {
		t.Errorf("with a slow but answering Redis: %d upstream GETs; want 0", st.Get)
	}
	lists := 0
	for w := range 16 {
		for r := range 6 {
			if (w+r)%len(loads) == 0 {
				lists++
			}
		}
	}
	if st.List != int64(lists) {
		t.Errorf("with a slow Redis: %d list calls; want %d, one per page asked", st.List, lists)
	}
	// The test means something only if Redis was too slow for the
	// timeout, and was never skipped.
	if after["errors"] == before["errors"] {
		t.Errorf("no cache operation timed out (errors %v → %v): Redis was not slow enough to test", before["errors"], after["errors"])
	}
	if after["skipped"] != before["skipped"] {
		t.Errorf("the slow Redis was skipped %v times; want never", after["skipped"]-before["skipped"])
	}
	t.Logf("96 queries with a 60 ms Redis (timeout 20 ms): %v; cache errors %v", took.Round(time.Millisecond), after["errors"]-before["errors"])
}
