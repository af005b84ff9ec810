package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"customergraph/internal/cache/cachetest"
)

const testAdminKey = "test-admin-key-5150"

// adminResponse is an answer of the admin endpoints.
type adminResponse struct {
	status  int
	Tenant  string     `json:"tenant"`
	Records int        `json:"records"`
	Keys    int        `json:"keys"`
	Errors  []gqlError `json:"errors"`
}

func (r *adminResponse) code() string {
	if len(r.Errors) != 1 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// invalidate posts body to url's invalidation endpoint with key ("" for
// none).
func invalidate(t *testing.T, url, key, body string) *adminResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/admin/cache/invalidate", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		suiteLeaks.secret("key sent to the admin endpoint by "+t.Name(), key)
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &adminResponse{status: resp.StatusCode}
	if err := json.Unmarshal(raw, r); err != nil && resp.StatusCode != http.StatusNotFound {
		t.Fatalf("admin response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return r
}

// changeOutside changes customer id's email in the Tiquo simulator
// through its own API, as the vendor's admin screens would: the facade
// knows nothing of it.
func (s *stack) changeOutside(id, email string) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email})
	req, _ := http.NewRequest(http.MethodPatch, s.simURL+"/customers/"+id, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testUpstreamKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("PATCH %s in the simulator: status %d", id, resp.StatusCode)
	}
	s.resetStats()
}

// TestCacheInvalidation: a change made outside the facade is served from
// the cache until an operator invalidates it; then every instance sharing
// the cache answers from the upstream at once, by ID and by every alias,
// and a remembered miss is forgotten too.
func TestCacheInvalidation(t *testing.T) { testCacheInvalidation(t, stackOptions{}) }

func testCacheInvalidation(t *testing.T, o stackOptions) {
	env := map[string]string{"ADMIN_API_KEYS": testAdminKey}
	o.env = env
	a := newStack(t, o)
	b := newStack(t, stackOptions{upstream: a, env: env})
	c := a.customers(2)
	first, second := c[0], c[1]
	const byID = `query($id: ID!) { customer(id: $id) { id email } }`
	const byEmail = `query($e: String!) { customer(email: $e) { id email } }`
	type answer struct {
		Customer *struct{ ID, Email string }
	}
	ask := func(s *stack, q string, vars map[string]any) *struct{ ID, Email string } {
		t.Helper()
		var out answer
		s.query(q, vars, &out)
		return out.Customer
	}
	// Cached through a, by ID and by email (the write-backs land after the
	// answers).
	ask(a, byID, map[string]any{"id": first.ID})
	ask(a, byEmail, map[string]any{"e": *first.Email})
	rdb := a.redis()
	for _, k := range []string{a.keyspace().Customer(first.ID), a.keyspace().Alias("email", *first.Email)} {
		for deadline := time.Now().Add(5 * time.Second); rdb.Exists(t.Context(), k).Val() == 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the customer was never written to the cache")
			}
		}
	}
	const changed = "changed.outside@example.com"
	a.changeOutside(first.ID, changed)

	if got := ask(b, byID, map[string]any{"id": first.ID}); got == nil || got.Email != *first.Email {
		t.Fatalf("before invalidation, b serves %+v; want the cached record with %s", got, *first.Email)
	}
	if st := a.stats(); st.Total != 0 {
		t.Fatalf("cached reads cost %d upstream calls", st.Total)
	}

	r := invalidate(t, a.url, testAdminKey, fmt.Sprintf(`{"tenant":"default","ids":[%q]}`, first.ID))
	if r.status != http.StatusOK || r.Tenant != "default" || r.Records != 1 || r.Keys < 3 {
		t.Fatalf("invalidate = %d %+v; want 200 with 1 record and its ID, customer number and email keys", r.status, r)
	}
	if got := ask(b, byID, map[string]any{"id": first.ID}); got == nil || got.Email != changed {
		t.Errorf("after invalidation, b serves %+v; want the upstream's %s", got, changed)
	}
	if got := ask(b, byEmail, map[string]any{"e": *first.Email}); got != nil {
		t.Errorf("after invalidation, the old email finds %+v; want nothing", got)
	}
	if st := a.stats(); st.Get != 2 {
		t.Errorf("after invalidation: %d upstream reads; want 2 (the ID and the old email)", st.Get)
	}

	// A remembered miss: an email nobody has, then someone has it.
	const later = "later@example.com"
	if got := ask(b, byEmail, map[string]any{"e": later}); got != nil {
		t.Fatalf("unknown email finds %+v", got)
	}
	// The miss is remembered once its write-back lands, after the answer.
	missKey := a.keyspace().Alias("email", later)
	for deadline := time.Now().Add(5 * time.Second); rdb.Exists(t.Context(), missKey).Val() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the miss was never written to the cache")
		}
	}
	a.changeOutside(second.ID, later)
	if got := ask(b, byEmail, map[string]any{"e": later}); got != nil {
		t.Fatalf("the miss is not remembered: %+v", got)
	}
	if st := a.stats(); st.Total != 0 {
		t.Fatalf("a remembered miss cost %d upstream calls", st.Total)
	}
	// Identifiers are normalised as queries' are.
	r = invalidate(t, b.url, testAdminKey, `{"tenant":"default","identifiers":["Later@Example.COM"]}`)
	if r.status != http.StatusOK || r.Records != 0 || r.Keys != 1 {
		t.Fatalf("invalidate the miss = %d %+v; want 200, 0 records, 1 key", r.status, r)
	}
	if got := ask(a, byEmail, map[string]any{"e": later}); got == nil || got.ID != second.ID {
		t.Errorf("after invalidating the miss, a finds %+v; want %s", got, second.ID)
	}
	// Nothing internal in the log line, and the identifiers not at all.
	for _, s := range []*stack{a, b} {
		if strings.Contains(s.logs.String(), later) || strings.Contains(s.logs.String(), first.ID) {
			t.Errorf("the log names an invalidated identifier")
		}
	}
}

// TestCacheInvalidationRefusals: the endpoint is off without admin keys;
// with them, it takes admin keys only, never client keys, and refuses a
// bad request with a code, at no upstream cost; admin keys open nothing
// else.
func TestCacheInvalidationRefusals(t *testing.T) {
	off := newStack(t, stackOptions{redisAddr: "memory"})
	if r := invalidate(t, off.url, testAdminKey, `{"tenant":"default","ids":["cus_1"]}`); r.status != http.StatusNotFound {
		t.Errorf("without ADMIN_API_KEYS: status %d; want 404", r.status)
	}
	s := newStack(t, stackOptions{redisAddr: "memory", env: map[string]string{"ADMIN_API_KEYS": "other-admin-key-1," + testAdminKey}})
	tests := []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"no key", "", `{"tenant":"default","ids":["cus_1"]}`, 401, "UNAUTHENTICATED"},
		{"client key", testKey, `{"tenant":"default","ids":["cus_1"]}`, 401, "UNAUTHENTICATED"},
		{"wrong key", "nope", `{"tenant":"default","ids":["cus_1"]}`, 401, "UNAUTHENTICATED"},
		{"not JSON", testAdminKey, `tenant=default`, 400, "BAD_REQUEST"},
		{"array", testAdminKey, `[{"tenant":"default"}]`, 400, "BAD_REQUEST"},
		{"unknown field", testAdminKey, `{"tenant":"default","id":["cus_1"]}`, 400, "BAD_REQUEST"},
		{"no tenant", testAdminKey, `{"ids":["cus_1"]}`, 400, "BAD_REQUEST"},
		{"nothing named", testAdminKey, `{"tenant":"default","ids":[]}`, 400, "BAD_REQUEST"},
		{"too many", testAdminKey, `{"tenant":"default","ids":[` + strings.TrimSuffix(strings.Repeat(`"cus_1",`, 1001), ",") + `]}`, 400, "BAD_REQUEST"},
		{"unknown tenant", testAdminKey, `{"tenant":"nobody","ids":["cus_1"]}`, 404, "NOT_FOUND"},
		{"bad ID", testAdminKey, `{"tenant":"default","ids":["cus/1"]}`, 400, "BAD_USER_INPUT"},
		{"email as an ID", testAdminKey, `{"tenant":"default","ids":["a@example.com"]}`, 400, "BAD_USER_INPUT"},
		{"bad identifier", testAdminKey, `{"tenant":"default","identifiers":["cus_1","a@@b"]}`, 400, "BAD_USER_INPUT"},
		{"the second key", "other-admin-key-1", `{"tenant":"default","ids":["cus_1"]}`, 200, ""},
	}
	for _, tt := range tests {
		r := invalidate(t, s.url, tt.key, tt.body)
		if r.status != tt.status || r.code() != tt.code {
			t.Errorf("%s: got %d %q %+v; want %d %q", tt.name, r.status, r.code(), r.Errors, tt.status, tt.code)
		}
		for _, e := range r.Errors {
			for _, internal := range []string{"Go ", "loaders.", "cg:v", s.simURL} {
				if strings.Contains(e.Message, internal) {
					t.Errorf("%s: message %q names %q", tt.name, e.Message, internal)
				}
			}
		}
	}
	if r := invalidate(t, s.url, testAdminKey, `{"tenant":"default","identifiers":["a@@b"]}`); len(r.Errors) == 1 && !strings.Contains(r.Errors[0].Message, "identifiers[0]") {
		t.Errorf("bad identifier: message %q; want it to say which", r.Errors[0].Message)
	}
	if got := s.stats(); got.Total != 0 {
		t.Errorf("refused invalidations cost %d upstream calls; want 0", got.Total)
	}
	// An admin key is not a client key.
	if r := s.send(http.MethodPost, `{ __typename }`, nil, testAdminKey); r.Status != http.StatusUnauthorized {
		t.Errorf("/graphql with an admin key: status %d; want 401", r.Status)
	}
}

// TestCacheInvalidationCacheDown: with the cache unreachable, an
// invalidation says it did not happen, with a code to retry on.
func TestCacheInvalidationCacheDown(t *testing.T) {
	s := newStack(t, stackOptions{redisAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), env: map[string]string{"ADMIN_API_KEYS": testAdminKey}})
	r := invalidate(t, s.url, testAdminKey, `{"tenant":"default","ids":["cus_1"]}`)
	if r.status != http.StatusServiceUnavailable || r.code() != "CACHE_UNAVAILABLE" {
		t.Errorf("cache down: got %d %+v; want 503 CACHE_UNAVAILABLE", r.status, r.Errors)
	}
}

// TestCacheInvalidationReachesEveryInstance: for a vendor whose lists the
// facade keeps in memory (Xtrakit: one unpaginated list), an invalidation
// made through one instance drops the other's list too, over Redis pub/sub.
func TestCacheInvalidationReachesEveryInstance(t *testing.T) {
	testCacheInvalidationReachesEveryInstance(t, nil)
}

// testCacheInvalidationReachesEveryInstance is
// TestCacheInvalidationReachesEveryInstance on one Redis, or on cluster
// unless it is nil.
func testCacheInvalidationReachesEveryInstance(t *testing.T, cluster *cachetest.Cluster) {
	env := map[string]string{"ADMIN_API_KEYS": testAdminKey}
	a := newMultiStackWith(t, multiOptions{customers: 30, vendors: []string{"xtrakit"}, env: env, cluster: cluster})
	b := a.twin(env)
	x := a.tenants["xtrakit"]
	const page = `{ customers(first: 3) { nodes { id email } } }`
	type nodes struct {
		Customers struct{ Nodes []struct{ ID, Email string } }
	}
	var before nodes
	b.query("xtrakit", page, nil, &before) // b keeps the list in memory
	first := before.Customers.Nodes[0]

	// Changed outside: through a facade with a cache of its own.
	outside := newMultiStackWith(t, multiOptions{vendors: []string{"xtrakit"}, reuse: a})
	outside.query("xtrakit", `mutation($id: ID!) { updateCustomer(id: $id, input: {email: "moved@example.com"}) { customer { email } } }`,
		map[string]any{"id": first.ID}, nil)
	var stale nodes
	b.query("xtrakit", page, nil, &stale)
	if stale.Customers.Nodes[0].Email != first.Email {
		t.Fatalf("b's list before invalidation: %+v; want its snapshot's %s", stale.Customers.Nodes[0], first.Email)
	}
	x.reset()

	if r := invalidate(t, a.url, testAdminKey, fmt.Sprintf(`{"tenant":"xtrakit","ids":[%q]}`, first.ID)); r.status != http.StatusOK {
		t.Fatalf("invalidate = %d %+v", r.status, r.Errors)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var now nodes
		b.query("xtrakit", page, nil, &now)
		if now.Customers.Nodes[0].Email == "moved@example.com" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("5s after the invalidation, b still lists %+v", now.Customers.Nodes[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := x.stats(); st.List != 1 {
		t.Errorf("b's next page cost %d list calls; want 1", st.List)
	}
}
