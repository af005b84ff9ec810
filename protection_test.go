package main

// Tests of the upstream's protection: the request deadline, the circuit
// breaker, the pause a 429 asks for and the request budget. Upstream calls
// are counted by the simulator.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"customergraph/internal/cache/cachetest"
)

const byID = `query($id: ID) { customer(id: $id) { id } }`

// lookup asks for customer id with key and returns the response.
func (s *stack) lookup(key, id string) *response {
	s.t.Helper()
	return s.send(http.MethodPost, byID, map[string]any{"id": id}, key)
}

// found reports whether r answered the customer id without an error.
func found(r *response, id string) bool {
	var out struct{ Customer *struct{ ID string } }
	json.Unmarshal(r.Data, &out)
	return len(r.Errors) == 0 && out.Customer != nil && out.Customer.ID == id
}

// budgetOf returns r's extensions.budget, or nil.
func budgetOf(r *response) *struct {
	Limit, Remaining int
	ClientRemaining  *int
} {
	var ext struct {
		Budget *struct {
			Limit, Remaining int
			ClientRemaining  *int
		}
	}
	json.Unmarshal(r.Extensions, &ext)
	return ext.Budget
}

// retryAfter returns the extensions.retryAfterSeconds of r's first error.
func retryAfter(r *response) float64 {
	if len(r.Errors) == 0 {
		return -1
	}
	v, _ := r.Errors[0].Extensions["retryAfterSeconds"].(float64)
	return v
}

// metric returns the value of the sample named (with its labels) in
// /metrics, or -1.
func (s *stack) metric(sample string) float64 {
	s.t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if ok && name == sample {
			v, _ := strconv.ParseFloat(value, 64)
			return v
		}
	}
	return -1
}

// TestRequestDeadline: with an upstream that takes 10s, requests answer by
// their deadline with UPSTREAM_UNAVAILABLE, and every goroutine they
// started ends soon after.
func TestRequestDeadline(t *testing.T) {
	s := newStack(t, stackOptions{env: map[string]string{"REQUEST_TIMEOUT": "1s"}})
	cs := s.customers(11)
	if r := s.lookup(testKey, cs[0].ID); !found(r, cs[0].ID) {
		t.Fatalf("warm-up: %s %+v", r.Data, r.Errors)
	}
	time.Sleep(100 * time.Millisecond) // the warm-up's write-back
	http.DefaultClient.CloseIdleConnections()
	baseline := settledGoroutines(0)

	s.faults(`{"latency": "10s"}`)
	start := time.Now()
	r := s.lookup(testKey, cs[1].ID)
	elapsed := time.Since(start)
	t.Logf("one request: %v", elapsed)
	if r.code("customer") != "UPSTREAM_UNAVAILABLE" {
		t.Errorf("status %d, data %s, errors %+v; want UPSTREAM_UNAVAILABLE", r.Status, r.Data, r.Errors)
	}
	// 1s, plus whatever a loaded machine adds: far from the upstream's 10s.
	if elapsed > 2500*time.Millisecond {
		t.Errorf("the request took %v; want about its 1s deadline", elapsed)
	}

	// Ten at once, each its own customer, and one that joins a shared read.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	for _, c := range append(cs[1:], cs[1]) {
		wg.Go(func() {
			start := time.Now()
			r := s.lookup(testKey, c.ID)
			el := time.Since(start)
			mu.Lock()
			slowest = max(slowest, el)
			mu.Unlock()
			if r.code("customer") != "UPSTREAM_UNAVAILABLE" {
				t.Errorf("concurrent request: errors %+v; want UPSTREAM_UNAVAILABLE", r.Errors)
			}
		})
	}
	wg.Wait()
	t.Logf("slowest of 11 concurrent requests: %v", slowest)
	if slowest > 3*time.Second {
		t.Errorf("the slowest of 11 concurrent requests took %v; want about their 1s deadline", slowest)
	}

	// A page, and an update, are bounded alike.
	for _, q := range []string{
		`{ customers(first: 5) { nodes { id } } }`,
		`mutation { customers: updateCustomer(id: "` + cs[0].ID + `", input: {notes: "x"}) { customer { id } } }`,
	} {
		start := time.Now()
		r := s.post(q, nil)
		if el := time.Since(start); r.code("customers") != "UPSTREAM_UNAVAILABLE" || el > 2500*time.Millisecond {
			t.Errorf("%s: errors %+v after %v; want UPSTREAM_UNAVAILABLE after about 1s", q, r.Errors, el)
		}
	}

	http.DefaultClient.CloseIdleConnections()
	got := settledGoroutines(baseline + 2)
	t.Logf("goroutines: %d before, %d after", baseline, got)
	if got > baseline+2 {
		t.Errorf("%d goroutines 5s after the requests; want the %d of before", got, baseline)
	}
}

// settledGoroutines polls runtime.NumGoroutine for up to 5s until it is at
// most want (0: until it stops changing), and returns it.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(5 * time.Second)
	n := runtime.NumGoroutine()
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		m := runtime.NumGoroutine()
		if (want > 0 && m <= want) || (want == 0 && m == n) {
			return m
		}
		n = m
	}
	return n
}

// TestBreaker: an upstream failing every GET opens the circuit; while it is
// open no query reaches the upstream (a stale customer is still served),
// after the cool-down one probe does, and a successful probe closes it.
func TestBreaker(t *testing.T) {
	const coolDown = 2 * time.Second
	s := newStack(t, stackOptions{env: map[string]string{
		"BREAKER_FAILURES": "3", "BREAKER_COOLDOWN": coolDown.String(), "CACHE_TTL": "1s",
	}})
	cs := s.customers(12)
	if r := s.lookup(testKey, cs[0].ID); !found(r, cs[0].ID) {
		t.Fatalf("warm-up: %+v", r.Errors)
	}
	time.Sleep(1200 * time.Millisecond) // cs[0] is now stale
	s.faults(`{"status": 503, "routes": ["get"]}`)
	s.resetStats()

	// One lookup: the first attempt and its two retries fail; the third
	// failure opens the circuit.
	if r := s.lookup(testKey, cs[1].ID); r.code("customer") != "UPSTREAM_UNAVAILABLE" {
		t.Fatalf("errors %+v; want UPSTREAM_UNAVAILABLE", r.Errors)
	}
	opened := time.Now()
	if got := s.stats().Get; got != 3 {
		t.Fatalf("a failing lookup cost %d GETs; want 3 (two retries)", got)
	}
	// Open: answered at once, without an upstream call.
	for _, c := range cs[2:7] {
		start := time.Now()
		if r := s.lookup(testKey, c.ID); r.code("customer") != "UPSTREAM_UNAVAILABLE" {
			t.Errorf("open circuit: errors %+v; want UPSTREAM_UNAVAILABLE", r.Errors)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("open circuit: a lookup took %v; want an answer at once", el)
		}
	}
	// A stale customer is served: the open circuit counts as the upstream
	// failing.
	r := s.lookup(testKey, cs[0].ID)
	if !found(r, cs[0].ID) || !strings.Contains(string(r.Extensions), `"stale"`) {
		t.Errorf("stale customer with the circuit open: data %s, errors %+v, extensions %s; want it, marked stale", r.Data, r.Errors, r.Extensions)
	}
	if time.Since(opened) >= coolDown {
		t.Fatalf("the lookups with the circuit open took %v, longer than the cool-down: cannot tell", time.Since(opened))
	}
	if got := s.stats().Get; got != 3 {
		t.Errorf("6 lookups with the circuit open cost %d GETs; want none", got-3)
	}
	if got := s.metric(`customergraph_upstream_refused_total{reason="breaker"}`); got < 6 {
		t.Errorf("refused_total{reason=breaker} = %v; want at least 6", got)
	}
	if got := s.metric(`customergraph_upstream_circuit_open{tenant="default"}`); got != 1 {
		t.Errorf("circuit_open = %v; want 1", got)
	}

	// After the cool-down, five lookups at once: one probe reaches the
	// upstream, fails, and the circuit opens again.
	time.Sleep(time.Until(opened.Add(coolDown + 200*time.Millisecond)))
	var wg sync.WaitGroup
	for _, c := range cs[7:12] {
		wg.Go(func() { s.lookup(testKey, c.ID) })
	}
	wg.Wait()
	reopened := time.Now()
	if got := s.stats().Get; got != 4 {
		t.Errorf("5 lookups after the cool-down cost %d GETs; want 1 probe", got-3)
	}

	// The upstream recovers: the next probe closes the circuit.
	s.faults("")
	time.Sleep(time.Until(reopened.Add(coolDown + 200*time.Millisecond)))
	for _, c := range cs[7:12] {
		if r := s.lookup(testKey, c.ID); !found(r, c.ID) {
			t.Errorf("after recovery: data %s, errors %+v", r.Data, r.Errors)
		}
	}
	if got := s.stats().Get; got != 9 {
		t.Errorf("5 lookups after recovery cost %d GETs; want 5", got-4)
	}
	if got := s.metric(`customergraph_upstream_circuit_open{tenant="default"}`); got != 0 {
		t.Errorf("circuit_open = %v; want 0", got)
	}
}

// TestUpdateNeverRetried: a failing updateCustomer is sent once.
func TestUpdateNeverRetried(t *testing.T) {
	s := newStack(t, stackOptions{})
	c := s.customers(1)[0]
	s.faults(`{"status": 503, "routes": ["patch"]}`)
	r := s.post(`mutation($id: ID!) { updateCustomer(id: $id, input: {notes: "x"}) { customer { id } } }`, map[string]any{"id": c.ID})
	if r.code("updateCustomer") != "UPSTREAM_UNAVAILABLE" {
		t.Errorf("errors %+v; want UPSTREAM_UNAVAILABLE", r.Errors)
	}
	if got := s.stats(); got.Patch != 1 {
		t.Errorf("a failing update cost %d PATCHes; want exactly 1", got.Patch)
	}
}

// TestRetryAfterPause: after a 429 with Retry-After: 3, no request of any
// client, on this instance or another sharing its Redis, reaches the
// upstream for 3s; then calls resume.
func TestRetryAfterPause(t *testing.T) { testRetryAfterPause(t, stackOptions{}) }

func testRetryAfterPause(t *testing.T, o stackOptions) {
	a := newStack(t, o)
	b := newStack(t, stackOptions{upstream: a})
	cs := a.customers(12)
	a.faults(`{"status": 429, "retryAfter": 3, "routes": ["get"]}`)
	r := a.lookup(testKey, cs[0].ID)
	paused := time.Now()
	if r.code("customer") != "RATE_LIMITED" || retryAfter(r) != 3 {
		t.Fatalf("errors %+v; want RATE_LIMITED with retryAfterSeconds 3", r.Errors)
	}
	// The upstream would answer now: any call made is the facade's doing.
	a.faults("")
	if got := a.stats().Get; got != 1 {
		t.Fatalf("the 429 cost %d GETs; want 1, not retried", got)
	}

	// Both instances, both clients, a new customer each time, for 1.5s (a
	// second of margin before the pause ends, for a loaded machine).
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent int
	)
	for i, c := range cs[1:] {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 150 * time.Millisecond)
			if time.Since(paused) > 2*time.Second {
				return
			}
			s, key := a, testKey
			if i%2 == 1 {
				s, key = b, secondKey
			}
			r := s.lookup(key, c.ID)
			if r.code("customer") != "RATE_LIMITED" || retryAfter(r) < 1 || retryAfter(r) > 3 {
				t.Errorf("during the pause: errors %+v; want RATE_LIMITED with retryAfterSeconds 1..3", r.Errors)
			}
			mu.Lock()
			sent++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got := a.stats().Get; got != 1 || sent < 5 {
		t.Errorf("%d lookups during the pause cost %d GETs; want none", sent, got-1)
	}
	if got := a.metric(`customergraph_upstream_refused_total{reason="rate_limit"}`); got < 1 {
		t.Errorf("refused_total{reason=rate_limit} = %v; want some", got)
	}

	time.Sleep(time.Until(paused.Add(3300 * time.Millisecond)))
	if r := a.lookup(testKey, cs[1].ID); !found(r, cs[1].ID) {
		t.Errorf("after the pause: errors %+v", r.Errors)
	}
	if r := b.lookup(testKey, cs[2].ID); !found(r, cs[2].ID) {
		t.Errorf("after the pause, the other instance: errors %+v", r.Errors)
	}
	if got := a.stats().Get; got != 3 {
		t.Errorf("2 lookups after the pause cost %d GETs; want 2", got-1)
	}
}

// spend looks up n customers of cs, each new, with key and checks that each
// is answered with one upstream call; it returns the last response.
func spend(t *testing.T, s *stack, key string, cs []simCustomer) *response {
	t.Helper()
	var r *response
	for _, c := range cs {
		if r = s.lookup(key, c.ID); !found(r, c.ID) {
			t.Fatalf("lookup within the budget: data %s, errors %+v", r.Data, r.Errors)
		}
	}
	return r
}

// refused checks that a cold lookup of c is refused for the budget without
// an upstream call.
func refusedByBudget(t *testing.T, s *stack, key string, c simCustomer) *response {
	t.Helper()
	before := s.stats().Get
	r := s.lookup(key, c.ID)
	if r.code("customer") != "RATE_LIMITED" || retryAfter(r) < 1 {
		t.Errorf("lookup past the budget: data %s, errors %+v; want RATE_LIMITED with retryAfterSeconds", r.Data, r.Errors)
	}
	if got := s.stats().Get; got != before {
		t.Errorf("lookup past the budget cost %d GETs; want none", got-before)
	}
	return r
}

// TestBudget: with a budget of 5, the sixth cold lookup makes no upstream
// call and is RATE_LIMITED; cached customers are still served, stale ones
// too.
func TestBudget(t *testing.T) {
	s := newStack(t, stackOptions{env: map[string]string{
		"UPSTREAM_BUDGET": "5", "UPSTREAM_BUDGET_CLIENT_SHARE": "1", "CACHE_TTL": "1s",
	}})
	cs := s.customers(7)
	for i, c := range cs[:5] {
		r := s.lookup(testKey, c.ID)
		b := budgetOf(r)
		if !found(r, c.ID) || b == nil || b.Limit != 5 || b.Remaining != 4-i || b.ClientRemaining != nil {
			t.Fatalf("lookup %d: data %s, errors %+v, extensions %s; want the customer and budget {5, %d}", i+1, r.Data, r.Errors, r.Extensions, 4-i)
		}
	}
	if got := s.stats().Get; got != 5 {
		t.Fatalf("5 cold lookups cost %d GETs", got)
	}
	r := refusedByBudget(t, s, testKey, cs[5])
	if b := budgetOf(r); b == nil || b.Remaining != 0 {
		t.Errorf("refused lookup: extensions %s; want budget remaining 0", r.Extensions)
	}
	// A cached customer costs no token, and says nothing of the budget.
	r = s.lookup(testKey, cs[0].ID)
	if !found(r, cs[0].ID) || budgetOf(r) != nil {
		t.Errorf("cached lookup: data %s, errors %+v, extensions %s; want the customer, no budget figures", r.Data, r.Errors, r.Extensions)
	}
	if got := s.metric(`customergraph_upstream_refused_total{reason="budget"}`); got != 1 {
		t.Errorf("refused_total{reason=budget} = %v; want 1", got)
	}
	time.Sleep(1200 * time.Millisecond) // past the TTL: the budget refuses the refresh
	r = s.lookup(testKey, cs[1].ID)
	if !found(r, cs[1].ID) || !strings.Contains(string(r.Extensions), `"stale"`) {
		t.Errorf("stale lookup with the budget spent: data %s, errors %+v, extensions %s; want the customer, marked stale", r.Data, r.Errors, r.Extensions)
	}
	if got := s.metric(`customergraph_upstream_budget_remaining{tenant="default"}`); got != 0 {
		t.Errorf("budget_remaining = %v; want 0", got)
	}
}

// TestBudgetClientShare: one client spends its half of the budget and is
// refused; another is still served.
func TestBudgetClientShare(t *testing.T) {
	s := newStack(t, stackOptions{env: map[string]string{"UPSTREAM_BUDGET": "10", "UPSTREAM_BUDGET_CLIENT_SHARE": "0.5"}})
	cs := s.customers(12)
	r := spend(t, s, testKey, cs[:5])
	if b := budgetOf(r); b == nil || b.Remaining != 5 || b.ClientRemaining == nil || *b.ClientRemaining != 0 {
		t.Errorf("after client 1's fifth lookup: extensions %s; want remaining 5, clientRemaining 0", r.Extensions)
	}
	refusedByBudget(t, s, testKey, cs[5])
	r = spend(t, s, secondKey, cs[5:10])
	if b := budgetOf(r); b == nil || b.Remaining != 0 || b.ClientRemaining == nil || *b.ClientRemaining != 0 {
		t.Errorf("after client 2's fifth lookup: extensions %s; want remaining 0, clientRemaining 0", r.Extensions)
	}
	refusedByBudget(t, s, secondKey, cs[10])
}

// TestBudgetSharedByInstances: two instances sharing a Redis spend one
// budget.
func TestBudgetSharedByInstances(t *testing.T) { testBudgetSharedByInstances(t, stackOptions{}) }

func testBudgetSharedByInstances(t *testing.T, o stackOptions) {
	env := map[string]string{"UPSTREAM_BUDGET": "4", "UPSTREAM_BUDGET_CLIENT_SHARE": "1"}
	o.env = env
	a := newStack(t, o)
	b := newStack(t, stackOptions{upstream: a, env: env})
	cs := a.customers(6)
	spend(t, a, testKey, cs[:2])
	if r := spend(t, b, testKey, cs[2:4]); budgetOf(r) == nil || budgetOf(r).Remaining != 0 {
		t.Errorf("b's second lookup: extensions %s; want remaining 0", r.Extensions)
	}
	refusedByBudget(t, a, testKey, cs[4])
	refusedByBudget(t, b, testKey, cs[5])
}

// TestBudgetWithoutRedis: with Redis down, the instance's own bucket still
// limits.
func TestBudgetWithoutRedis(t *testing.T) {
	srv := cachetest.StartServer(t, 0)
	s := newStack(t, stackOptions{redisAddr: srv.Addr, env: map[string]string{"UPSTREAM_BUDGET": "4", "UPSTREAM_BUDGET_CLIENT_SHARE": "1"}})
	cs := s.customers(5)
	spend(t, s, testKey, cs[:1])
	srv.Stop()
	start := time.Now()
	r := spend(t, s, testKey, cs[1:4])
	if b := budgetOf(r); b == nil || b.Remaining != 0 {
		t.Errorf("last lookup within the budget: extensions %s; want remaining 0", r.Extensions)
	}
	refusedByBudget(t, s, testKey, cs[4])
	t.Logf("4 lookups with Redis down: %v", time.Since(start))
	if !strings.Contains(s.logs.String(), "budget: redis failed") {
		t.Error("the log does not say the budget went on without Redis")
	}
}

func TestBudgetConfig(t *testing.T) {
	for _, env := range []map[string]string{
		{"UPSTREAM_BUDGET": "-1"}, {"UPSTREAM_BUDGET_WINDOW": "0s"}, {"UPSTREAM_BUDGET_CLIENT_SHARE": "0"},
		{"UPSTREAM_BUDGET_CLIENT_SHARE": "1.5"}, {"UPSTREAM_BUDGET_CLIENT_SHARE": "half"}, {"BREAKER_FAILURES": "-1"},
		{"BREAKER_COOLDOWN": "0s"}, {"REQUEST_TIMEOUT": "1ms"},
	} {
		if _, err := loadConfig(func(k string) string { return env[k] }); err == nil {
			t.Errorf("loadConfig(%v) accepted it", env)
		}
	}
	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(c.RequestTimeout, c.UpstreamTimeout, c.BreakerFailures, c.BreakerCoolDown, c.UpstreamBudget, c.UpstreamBudgetWindow, c.UpstreamBudgetClientShare)
	if want := "8s 3s 5 30s 1000 1h0m0s 0.5"; got != want {
		t.Errorf("defaults %s; want %s", got, want)
	}
}
