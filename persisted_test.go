package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/cache/cachetest"
	"customergraph/internal/persisted"
	"customergraph/resolvers"
)

// pqRequest is one GraphQL request as a persisted query client sends it.
type pqRequest struct {
	method     string // default POST
	query      string
	hash       string // extensions.persistedQuery.sha256Hash, if set
	documentID string // documentId, if set
	vars       map[string]any
	extensions map[string]any // sent as is, instead of one made from hash
}

// pq sends r to the stack with the test's client key and checks that no
// error message reveals anything internal.
func (s *stack) pq(r pqRequest) *response {
	s.t.Helper()
	fields := map[string]any{}
	if r.query != "" {
		fields["query"] = r.query
	}
	if r.vars != nil {
		fields["variables"] = r.vars
	}
	switch {
	case r.extensions != nil:
		fields["extensions"] = r.extensions
	case r.hash != "":
		fields["extensions"] = map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": r.hash}}
	}
	if r.documentID != "" {
		fields["documentId"] = r.documentID
	}
	var req *http.Request
	var err error
	if r.method == http.MethodGet {
		q := url.Values{}
		for k, v := range fields {
			if str, ok := v.(string); ok {
				q.Set(k, str)
				continue
			}
			b, _ := json.Marshal(v)
			q.Set(k, string(b))
		}
		req, err = http.NewRequest(http.MethodGet, s.url+"/graphql?"+q.Encode(), nil)
	} else {
		body, _ := json.Marshal(fields)
		req, err = http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &response{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, out); err != nil {
		s.t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	for _, e := range out.Errors {
		lower := strings.ToLower(e.Message)
		for _, bad := range []string{"cg:v", "redis", "lua", "script", "persisted.", "graphql.", "gqlerror", "*", ".go", "panic", "nil", "{" + s.cfg.CacheNamespace} {
			if strings.Contains(lower, bad) {
				s.t.Errorf("error message %q reveals %q", e.Message, bad)
			}
		}
		if c, _ := e.Extensions["code"].(string); c == "" || c == resolvers.CodeInternal {
			s.t.Errorf("error %q has code %q", e.Message, c)
		}
	}
	return out
}

// onlyCode fails unless r is refused with the one error code.
func onlyCode(t *testing.T, r *response, code string) {
	t.Helper()
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != code || (len(r.Data) > 0 && string(r.Data) != "null") {
		t.Fatalf("got status %d, data %s, errors %+v; want only %s", r.Status, r.Data, r.Errors, code)
	}
}

// served fails unless r has data and no error, and returns the data.
func served(t *testing.T, r *response) string {
	t.Helper()
	if len(r.Errors) > 0 || len(r.Data) == 0 || string(r.Data) == "null" {
		t.Fatalf("got status %d, data %s, errors %+v; want data", r.Status, r.Data, r.Errors)
	}
	return string(r.Data)
}

const pqCustomerQuery = `query Customer($n: String) { customer(customerNumber: $n) { customerNumber displayName } }`

var pqCustomerVars = map[string]any{"n": "CUST-000007"}

// pqKeys returns the Redis keys of the persisted queries of s's namespace.
func pqKeys(t *testing.T, s *stack) (docs []string, index string) {
	t.Helper()
	ks := cache.NewKeyspace(cache.Namespace("persisted-queries", s.cfg.CacheNamespace))
	return s.keys(ks.PersistedQuery("*")), ks.PersistedQueryIndex()
}

// TestAPQAcrossInstances registers a query's hash through one instance and
// runs it by hash alone through another sharing the Redis and namespace:
// the second never receives the text.
func TestAPQAcrossInstances(t *testing.T) { testAPQAcrossInstances(t, stackOptions{}) }

func testAPQAcrossInstances(t *testing.T, o stackOptions) {
	a := newStack(t, o)
	b := newStack(t, stackOptions{upstream: a})
	hash := persisted.Hash(pqCustomerQuery)

	// Unknown to both at first: the protocol's answer, HTTP 200.
	r := b.pq(pqRequest{hash: hash, vars: pqCustomerVars})
	onlyCode(t, r, persisted.CodeNotFound)
	if r.Status != http.StatusOK || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Errorf("unknown hash: status %d, message %q; want 200 and PersistedQueryNotFound, which Apollo clients retry", r.Status, r.Errors[0].Message)
	}

	want := served(t, a.pq(pqRequest{query: pqCustomerQuery, hash: hash, vars: pqCustomerVars}))
	if !strings.Contains(want, "CUST-000007") {
		t.Fatalf("registering request answered %s", want)
	}
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		got := served(t, b.pq(pqRequest{method: method, hash: hash, vars: pqCustomerVars}))
		if got != want {
			t.Errorf("%s by hash through the second instance: %s; want %s", method, got, want)
		}
	}
	// An uppercase hash and documentId name the same document.
	served(t, b.pq(pqRequest{hash: strings.ToUpper(hash), vars: pqCustomerVars}))
	served(t, b.pq(pqRequest{documentID: "sha256:" + hash, vars: pqCustomerVars}))

	docs, index := pqKeys(t, a)
	if len(docs) != 1 || !strings.HasSuffix(docs[0], ":"+hash) {
		t.Errorf("Redis holds %v; want the one document", docs)
	}
	if n := a.redis().ZCard(context.Background(), index).Val(); n != 1 {
		t.Errorf("index holds %d hashes; want 1", n)
	}
	if got := b.metric(`customergraph_persisted_queries_total{result="hit"}`); got != 4 {
		t.Errorf("second instance counted %v hits; want 4", got)
	}
	if got := b.metric(`customergraph_persisted_queries_total{result="miss"}`); got != 1 {
		t.Errorf("second instance counted %v misses; want 1", got)
	}
	if got := a.metric(`customergraph_persisted_queries_total{result="registered"}`); got != 1 {
		t.Errorf("first instance counted %v registrations; want 1", got)
	}
}

// TestAPQMemory: without Redis, a hash registered is served by the same
// instance and by no other.
func TestAPQMemory(t *testing.T) {
	a := newStack(t, stackOptions{redisAddr: "memory"})
	b := newStack(t, stackOptions{upstream: a, redisAddr: "memory"})
	hash := persisted.Hash(pqCustomerQuery)
	onlyCode(t, a.pq(pqRequest{hash: hash, vars: pqCustomerVars}), persisted.CodeNotFound)
	want := served(t, a.pq(pqRequest{query: pqCustomerQuery, hash: hash, vars: pqCustomerVars}))
	if got := served(t, a.pq(pqRequest{hash: hash, vars: pqCustomerVars})); got != want {
		t.Errorf("by hash: %s; want %s", got, want)
	}
	onlyCode(t, b.pq(pqRequest{hash: hash, vars: pqCustomerVars}), persisted.CodeNotFound)
}

// typenameQuery returns a distinct query of about size bytes that costs no
// upstream call.
func typenameQuery(name string, size int) string {
	q := "query " + name + " { __typename }"
	if pad := size - len(q) - 3; pad > 0 {
		q += "\n# " + strings.Repeat("x", pad)
	}
	return q
}

// TestAPQBound: past PERSISTED_QUERIES_MAX_ENTRIES the least recently used
// document goes, and a document over PERSISTED_QUERIES_MAX_BYTES is served
// but never stored; in Redis and in memory alike.
func TestAPQBound(t *testing.T) {
	env := map[string]string{"PERSISTED_QUERIES_MAX_ENTRIES": "3", "PERSISTED_QUERIES_MAX_BYTES": "400"}
	for _, tt := range []struct {
		name  string
		redis string
	}{{"redis", ""}, {"memory", "memory"}} {
		t.Run(tt.name, func(t *testing.T) {
			a := newStack(t, stackOptions{redisAddr: tt.redis, env: env})
			// reader is an instance that did not register the queries: a
			// fresh one sharing the Redis, or a itself without one.
			reader := func() *stack {
				if tt.redis == "memory" {
					return a
				}
				return newStack(t, stackOptions{upstream: a, env: env})
			}
			qs := []string{typenameQuery("Q1", 100), typenameQuery("Q2", 100), typenameQuery("Q3", 100), typenameQuery("Q4", 100)}
			for _, q := range qs[:3] {
				served(t, a.pq(pqRequest{query: q, hash: persisted.Hash(q)}))
			}
			// Q1 is used again, so Q2 is now the least recently used.
			served(t, reader().pq(pqRequest{hash: persisted.Hash(qs[0])}))
			served(t, a.pq(pqRequest{query: qs[3], hash: persisted.Hash(qs[3])}))

			r := reader()
			onlyCode(t, r.pq(pqRequest{hash: persisted.Hash(qs[1])}), persisted.CodeNotFound)
			for _, i := range []int{0, 2, 3} {
				served(t, r.pq(pqRequest{hash: persisted.Hash(qs[i])}))
			}

			big := typenameQuery("Big", 401)
			if len(big) != 401 {
				t.Fatalf("big query has %d bytes", len(big))
			}
			served(t, a.pq(pqRequest{query: big, hash: persisted.Hash(big)}))
			onlyCode(t, a.pq(pqRequest{hash: persisted.Hash(big)}), persisted.CodeNotFound)
			onlyCode(t, reader().pq(pqRequest{hash: persisted.Hash(big)}), persisted.CodeNotFound)
			if got := a.metric(`customergraph_persisted_queries_total{result="too_large"}`); got != 1 {
				t.Errorf("counted %v documents too large; want 1", got)
			}
			// The large document evicted nothing.
			r = reader()
			for _, i := range []int{0, 2, 3} {
				served(t, r.pq(pqRequest{hash: persisted.Hash(qs[i])}))
			}
			if tt.redis == "" {
				docs, index := pqKeys(t, a)
				if len(docs) != 3 {
					t.Errorf("Redis holds %d documents; want 3", len(docs))
				}
				if n := cachetest.Client(t).ZCard(context.Background(), index).Val(); n != 3 {
					t.Errorf("index holds %d hashes; want 3", n)
				}
			}
		})
	}
}

// TestAPQTTL: a document lives PERSISTED_QUERIES_TTL after its last use.
func TestAPQTTL(t *testing.T) {
	env := map[string]string{"PERSISTED_QUERIES_TTL": "1s"}
	for _, tt := range []struct {
		name  string
		redis string
	}{{"redis", ""}, {"memory", "memory"}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newStack(t, stackOptions{redisAddr: tt.redis, env: env})
			reader := func() *stack {
				if tt.redis == "memory" {
					return a
				}
				return newStack(t, stackOptions{upstream: a, env: env})
			}
			q := typenameQuery("Short", 0)
			hash := persisted.Hash(q)
			readers := []*stack{reader(), reader(), reader()}
			start := time.Now()
			served(t, a.pq(pqRequest{query: q, hash: hash}))
			at := func(d time.Duration) { time.Sleep(time.Until(start.Add(d))) }

			at(500 * time.Millisecond)
			served(t, readers[0].pq(pqRequest{hash: hash})) // refreshes it
			at(1200 * time.Millisecond)                     // past the TTL from registration
			served(t, readers[1].pq(pqRequest{hash: hash}))
			if time.Since(start) > 1400*time.Millisecond {
				t.Skip("the machine is too slow to time a 1-second TTL")
			}
			at(2600 * time.Millisecond) // past the TTL from the last use
			onlyCode(t, readers[2].pq(pqRequest{hash: hash}), persisted.CodeNotFound)
		})
	}
}

// TestAPQRedisFails: a Redis that stops answering, refuses connections or
// is gone turns lookups into PERSISTED_QUERY_NOT_FOUND within
// REDIS_TIMEOUT, never an error; the text is then served, and the
// instance that received it serves the hash from its own memory.
func TestAPQRedisFails(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(*cachetest.Server, *cachetest.Proxy)
	}{
		{"blackhole", func(_ *cachetest.Server, p *cachetest.Proxy) { p.Set(cachetest.Blackhole) }},
		{"refused", func(_ *cachetest.Server, p *cachetest.Proxy) { p.Set(cachetest.Refuse) }},
		{"killed", func(s *cachetest.Server, _ *cachetest.Proxy) { s.Stop() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := cachetest.StartServer(t, 0)
			proxy := cachetest.StartProxy(t, srv.Addr)
			env := map[string]string{"REDIS_TIMEOUT": "100ms"}
			a := newStack(t, stackOptions{redisAddr: proxy.Addr, env: env})
			b := newStack(t, stackOptions{upstream: a, redisAddr: proxy.Addr, env: env})
			other := typenameQuery("Other", 0)
			served(t, a.pq(pqRequest{query: other, hash: persisted.Hash(other)}))
			served(t, b.pq(pqRequest{hash: persisted.Hash(other)})) // Redis works

			tt.fault(srv, proxy)
			hash := persisted.Hash(pqCustomerQuery)
			for i := range 6 { // enough for the cache to start skipping Redis
				began := time.Now()
				onlyCode(t, b.pq(pqRequest{hash: hash, vars: pqCustomerVars}), persisted.CodeNotFound)
				if d := time.Since(began); d > time.Second {
					t.Errorf("lookup %d took %v with REDIS_TIMEOUT=100ms", i, d)
				}
			}
			// The client sends the text: served, from the upstream.
			data := served(t, b.pq(pqRequest{query: pqCustomerQuery, hash: hash, vars: pqCustomerVars}))
			if !strings.Contains(data, "CUST-000007") {
				t.Errorf("full query answered %s", data)
			}
			// b keeps it in memory; a, which never saw it, does not have it.
			if got := served(t, b.pq(pqRequest{hash: hash, vars: pqCustomerVars})); got != data {
				t.Errorf("by hash after the text: %s; want %s", got, data)
			}
			onlyCode(t, a.pq(pqRequest{hash: hash, vars: pqCustomerVars}), persisted.CodeNotFound)
		})
	}
}

// TestAPQRefusals: a hash that is not its text's is refused and poisons
// nothing, a document in Redis that does not match its hash is never
// served, and malformed extensions are refused; none costs an upstream
// call.
func TestAPQRefusals(t *testing.T) {
	a := newStack(t, stackOptions{})
	b := newStack(t, stackOptions{upstream: a})
	hash := persisted.Hash(pqCustomerQuery)
	evil := `query Customer($n: String) { customer(customerNumber: $n) { customerNumber email phone } }`

	onlyCode(t, a.pq(pqRequest{query: evil, hash: hash, vars: pqCustomerVars}), persisted.CodeBadRequest)
	onlyCode(t, a.pq(pqRequest{hash: hash, vars: pqCustomerVars}), persisted.CodeNotFound)
	onlyCode(t, b.pq(pqRequest{hash: hash, vars: pqCustomerVars}), persisted.CodeNotFound)

	// Someone with access to Redis writes another document under the hash.
	docs, _ := pqKeys(t, a)
	if len(docs) != 0 {
		t.Fatalf("a refused registration stored %v", docs)
	}
	ks := cache.NewKeyspace(cache.Namespace("persisted-queries", a.cfg.CacheNamespace))
	if err := cachetest.Client(t).Set(context.Background(), ks.PersistedQuery(hash), evil, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	onlyCode(t, b.pq(pqRequest{hash: hash, vars: pqCustomerVars}), persisted.CodeNotFound)
	// The client's retry with the text replaces it.
	served(t, b.pq(pqRequest{query: pqCustomerQuery, hash: hash, vars: pqCustomerVars}))
	c := newStack(t, stackOptions{upstream: a})
	if data := served(t, c.pq(pqRequest{hash: hash, vars: pqCustomerVars})); strings.Contains(data, "email") {
		t.Errorf("served the poisoned document: %s", data)
	}

	mutation := `mutation Touch { updateCustomer(id: "k1234567890abcdef", input: {notes: "x"}) { userErrors { code } } }`
	registered := persisted.Hash(mutation)
	a.pq(pqRequest{query: mutation, hash: registered}) // may fail upstream; it is stored
	a.resetStats()
	for _, tt := range []struct {
		name string
		req  pqRequest
		code string
	}{
		{"version 2", pqRequest{extensions: map[string]any{"persistedQuery": map[string]any{"version": 2, "sha256Hash": hash}}}, persisted.CodeBadRequest},
		{"no version", pqRequest{extensions: map[string]any{"persistedQuery": map[string]any{"sha256Hash": hash}}}, persisted.CodeBadRequest},
		{"no hash", pqRequest{extensions: map[string]any{"persistedQuery": map[string]any{"version": 1}}}, persisted.CodeBadRequest},
		{"hash not a string", pqRequest{extensions: map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": 12}}}, persisted.CodeBadRequest},
		{"not an object", pqRequest{extensions: map[string]any{"persistedQuery": "yes"}}, persisted.CodeBadRequest},
		{"not hex", pqRequest{hash: "abc"}, persisted.CodeBadRequest},
		{"not hex with its text", pqRequest{hash: "abc", query: pqCustomerQuery, vars: pqCustomerVars}, persisted.CodeBadRequest},
		{"hash and documentId differ", pqRequest{hash: hash, documentID: "sha256:" + persisted.Hash("x")}, persisted.CodeBadRequest},
		{"GET of a mutation", pqRequest{method: http.MethodGet, hash: registered}, persisted.CodeMethodNotAllowed},
		{"GET of an unknown hash", pqRequest{method: http.MethodGet, hash: persisted.Hash("y")}, persisted.CodeNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := a.pq(tt.req)
			onlyCode(t, r, tt.code)
			if st := a.stats(); st.Total != 0 {
				t.Errorf("cost %d upstream calls", st.Total)
			}
			want := http.StatusUnprocessableEntity
			if tt.code == persisted.CodeNotFound {
				want = http.StatusOK // the protocol's: a client retries with the text
			}
			if r.Status != want {
				t.Errorf("status %d; want %d", r.Status, want)
			}
		})
	}
}

// writeManifest writes a manifest of ops (id, name, type, body) and
// returns its path.
func writeManifest(t *testing.T, ops ...[4]string) string {
	t.Helper()
	var list []map[string]string
	for _, op := range ops {
		list = append(list, map[string]string{"id": op[0], "name": op[1], "type": op[2], "body": op[3]})
	}
	b, _ := json.Marshal(map[string]any{"format": "apollo-persisted-query-manifest", "version": 1, "operations": list})
	return writeFile(t, string(b))
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTrustedMode: only the manifest's operations run, by id, by hash or
// by their exact text, on POST and GET; anything else is refused before
// it is parsed, at no upstream cost, and nothing is registered. Listed
// operations still meet every limit.
func TestTrustedMode(t *testing.T) {
	const (
		typename = `query Typename { __typename }`
		deep     = `query Deep { customers(first: 1) { edges { node { customerNumber } } } }`
		mutation = `mutation Touch($id: ID!) { updateCustomer(id: $id, input: {notes: "x"}) { userErrors { code } } }`
	)
	manifest := writeManifest(t,
		[4]string{"customer-by-number", "Customer", "query", pqCustomerQuery},
		[4]string{persisted.Hash(typename), "Typename", "query", typename},
		[4]string{"deep", "Deep", "query", deep},
		[4]string{"touch", "Touch", "mutation", mutation},
	)
	s := newStack(t, stackOptions{env: map[string]string{
		"PERSISTED_QUERIES": "trusted", "PERSISTED_QUERIES_MANIFEST": manifest, "MAX_DEPTH": "3",
	}})
	unlisted := `query Customer($n: String) { customer(customerNumber: $n) { customerNumber email } }`
	for _, tt := range []struct {
		name string
		req  pqRequest
		code string // "": served
	}{
		{"by id", pqRequest{hash: "customer-by-number", vars: pqCustomerVars}, ""},
		{"by the body's hash", pqRequest{hash: persisted.Hash(pqCustomerQuery), vars: pqCustomerVars}, ""},
		{"by exact text", pqRequest{query: pqCustomerQuery, vars: pqCustomerVars}, ""},
		{"by text and hash", pqRequest{query: pqCustomerQuery, hash: persisted.Hash(pqCustomerQuery), vars: pqCustomerVars}, ""},
		{"by documentId", pqRequest{documentID: "customer-by-number", vars: pqCustomerVars}, ""},
		{"by documentId sha256:", pqRequest{documentID: "sha256:" + persisted.Hash(pqCustomerQuery), vars: pqCustomerVars}, ""},
		{"by id equal to the hash", pqRequest{hash: persisted.Hash(typename)}, ""},
		{"GET by id", pqRequest{method: http.MethodGet, hash: "customer-by-number", vars: pqCustomerVars}, ""},
		{"GET by documentId", pqRequest{method: http.MethodGet, documentID: "customer-by-number", vars: pqCustomerVars}, ""},
		{"GET by exact text", pqRequest{method: http.MethodGet, query: typename}, ""},

		{"unlisted text", pqRequest{query: unlisted, vars: pqCustomerVars}, persisted.CodeNotInList},
		{"listed text, other spacing", pqRequest{query: strings.Replace(pqCustomerQuery, "{ ", "{", 1), vars: pqCustomerVars}, persisted.CodeNotInList},
		{"unlisted text with its hash", pqRequest{query: unlisted, hash: persisted.Hash(unlisted), vars: pqCustomerVars}, persisted.CodeNotInList},
		{"unlisted hash", pqRequest{hash: persisted.Hash(unlisted), vars: pqCustomerVars}, persisted.CodeNotInList},
		{"unknown id", pqRequest{hash: "customer-by-email", vars: pqCustomerVars}, persisted.CodeNotInList},
		{"listed id, other text", pqRequest{hash: "customer-by-number", query: unlisted, vars: pqCustomerVars}, persisted.CodeNotInList},
		{"unknown documentId", pqRequest{documentID: "nope"}, persisted.CodeNotInList},
		{"no document", pqRequest{vars: pqCustomerVars}, persisted.CodeNotInList},
		{"introspection", pqRequest{query: `{ __schema { types { name } } }`}, persisted.CodeNotInList},
		{"not even GraphQL", pqRequest{query: `{{{`}, persisted.CodeNotInList},
		{"GET unlisted text", pqRequest{method: http.MethodGet, query: unlisted, vars: pqCustomerVars}, persisted.CodeNotInList},
		{"GET unknown id", pqRequest{method: http.MethodGet, hash: "nope"}, persisted.CodeNotInList},
		{"GET of a listed mutation", pqRequest{method: http.MethodGet, hash: "touch", vars: map[string]any{"id": "k1234567890abcdef"}}, persisted.CodeMethodNotAllowed},
		{"bad version", pqRequest{extensions: map[string]any{"persistedQuery": map[string]any{"version": 3, "sha256Hash": "customer-by-number"}}}, persisted.CodeBadRequest},
		{"listed, too deep", pqRequest{hash: "deep"}, resolvers.CodeDepthLimit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.resetStats()
			r := s.pq(tt.req)
			if tt.code == "" {
				served(t, r)
				return
			}
			onlyCode(t, r, tt.code)
			if st := s.stats(); st.Total != 0 {
				t.Errorf("cost %d upstream calls", st.Total)
			}
			if tt.code == persisted.CodeNotInList && r.Status != http.StatusUnprocessableEntity {
				t.Errorf("status %d; want 422", r.Status)
			}
		})
	}
	if docs, _ := pqKeys(t, s); len(docs) != 0 {
		t.Errorf("trusted mode stored %v", docs)
	}
	if got := s.metric(`customergraph_persisted_queries_total{result="not_in_list"}`); got != 12 {
		t.Errorf("counted %v refusals; want 12", got)
	}
	// A listed mutation runs with POST.
	served(t, s.pq(pqRequest{hash: "touch", vars: map[string]any{"id": "k1234567890abcdef"}}))
}

// TestPersistedQueriesOff: a request naming a persisted query is refused
// with its own code, however it names it; full queries are served.
func TestPersistedQueriesOff(t *testing.T) {
	s := newStack(t, stackOptions{env: map[string]string{"PERSISTED_QUERIES": "off"}})
	hash := persisted.Hash(pqCustomerQuery)
	for _, tt := range []struct {
		name string
		req  pqRequest
	}{
		{"hash", pqRequest{hash: hash, vars: pqCustomerVars}},
		{"hash and text", pqRequest{hash: hash, query: pqCustomerQuery, vars: pqCustomerVars}},
		{"documentId", pqRequest{documentID: "sha256:" + hash, vars: pqCustomerVars}},
		{"malformed extension", pqRequest{extensions: map[string]any{"persistedQuery": "x"}, query: pqCustomerQuery}},
		{"GET hash", pqRequest{method: http.MethodGet, hash: hash, vars: pqCustomerVars}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.resetStats()
			r := s.pq(tt.req)
			onlyCode(t, r, persisted.CodeNotSupported)
			if r.Errors[0].Message != "PersistedQueryNotSupported" {
				t.Errorf("message %q; want PersistedQueryNotSupported, which Apollo clients act on", r.Errors[0].Message)
			}
			if st := s.stats(); st.Total != 0 {
				t.Errorf("cost %d upstream calls", st.Total)
			}
		})
	}
	if data := served(t, s.pq(pqRequest{query: pqCustomerQuery, vars: pqCustomerVars})); !strings.Contains(data, "CUST-000007") {
		t.Errorf("full query answered %s", data)
	}
}

// TestPersistedQueriesConfig: every wrong setting, and every fault of a
// manifest, is a startup error that says what is wrong and where.
func TestPersistedQueriesConfig(t *testing.T) {
	op := func(id, name, typ, body string) [4]string { return [4]string{id, name, typ, body} }
	good := op("a", "A", "query", "query A { __typename }")
	trusted := func(path string) map[string]string {
		return map[string]string{"PERSISTED_QUERIES": "trusted", "PERSISTED_QUERIES_MANIFEST": path}
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unknown mode", map[string]string{"PERSISTED_QUERIES": "on"}, `PERSISTED_QUERIES="on": want apq, trusted or off`},
		{"trusted without manifest", map[string]string{"PERSISTED_QUERIES": "trusted"}, "PERSISTED_QUERIES=trusted needs PERSISTED_QUERIES_MANIFEST"},
		{"manifest without trusted", map[string]string{"PERSISTED_QUERIES_MANIFEST": writeManifest(t, good)}, "PERSISTED_QUERIES_MANIFEST is read with PERSISTED_QUERIES=trusted only"},
		{"max entries", map[string]string{"PERSISTED_QUERIES_MAX_ENTRIES": "0"}, `PERSISTED_QUERIES_MAX_ENTRIES="0": want an integer from 1`},
		{"max bytes", map[string]string{"PERSISTED_QUERIES_MAX_BYTES": "lots"}, `PERSISTED_QUERIES_MAX_BYTES="lots"`},
		{"ttl", map[string]string{"PERSISTED_QUERIES_TTL": "10ms"}, `PERSISTED_QUERIES_TTL="10ms": want a duration from 1s`},
		{"missing file", trusted(filepath.Join(t.TempDir(), "none.json")), "none.json: no such file"},
		{"not JSON", trusted(writeFile(t, "operations: []")), "not a persisted query manifest"},
		{"format", trusted(writeFile(t, `{"format":"relay","version":1,"operations":[]}`)), `format is "relay"; want "apollo-persisted-query-manifest"`},
		{"no format", trusted(writeFile(t, `{"version":1,"operations":[]}`)), `format is missing`},
		{"version", trusted(writeFile(t, `{"format":"apollo-persisted-query-manifest","version":2,"operations":[]}`)), "version is 2; want 1"},
		{"no operations", trusted(writeFile(t, `{"format":"apollo-persisted-query-manifest","version":1,"operations":[]}`)), "lists no operations"},
		{"duplicate id", trusted(writeManifest(t, good, op("a", "B", "query", "query B { __typename }"))), `operation 2 "B" (id "a"): id is also the id of operation 1 "A" (id "a")`},
		{"no id", trusted(writeManifest(t, good, op("", "B", "query", "query B { __typename }"))), `operation 2 "B": id is missing`},
		{"no body", trusted(writeManifest(t, op("b", "B", "query", " "))), `operation 1 "B" (id "b"): body is missing`},
		{"bad type", trusted(writeManifest(t, op("b", "B", "fragment", "query B { __typename }"))), `operation 1 "B" (id "b"): type is "fragment"`},
		{"does not parse", trusted(writeManifest(t, good, op("b", "Broken", "query", "query Broken { customer( }"))), `operation 2 "Broken" (id "b"): body does not parse`},
		{"does not validate", trusted(writeManifest(t, op("n", "Nope", "query", "query Nope { nope }"))), `operation 1 "Nope" (id "n"): body does not validate against the schema: Cannot query field "nope" on type "Query"`},
		{"two operations", trusted(writeManifest(t, op("t", "T", "query", "query T { __typename } query U { __typename }"))), `operation 1 "T" (id "t"): body defines 2 operations`},
		{"type mismatch", trusted(writeManifest(t, op("m", "M", "mutation", "query M { __typename }"))), `operation 1 "M" (id "m"): body is a query; type says mutation`},
		{"name mismatch", trusted(writeManifest(t, op("m", "M", "query", "query N { __typename }"))), `operation 1 "M" (id "m"): body's operation is named "N"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v; want one containing %q", err, tt.want)
			}
		})
	}

	// A good manifest loads, and the service starts with it.
	path := writeManifest(t, good, op("c", "Customer", "query", pqCustomerQuery))
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"PERSISTED_QUERIES": "trusted", "PERSISTED_QUERIES_MANIFEST": path}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Persisted.Manifest == nil || cfg.Persisted.Manifest.Len() != 2 {
		t.Fatalf("manifest loaded as %+v", cfg.Persisted)
	}
}

// The codes persisted refusals share with the rest of the facade.
func TestPersistedQueryCodes(t *testing.T) {
	if persisted.CodeBadRequest != resolvers.CodeBadRequest || persisted.CodeMethodNotAllowed != resolvers.CodeMethodNotAllowed {
		t.Error("persisted's codes differ from the facade's")
	}
}

// TestPersistedQueriesDocExample: the manifest in docs/persisted-queries.md
// is valid, and its first operation is served by id as the doc shows.
func TestPersistedQueriesDocExample(t *testing.T) {
	doc, err := os.ReadFile("docs/persisted-queries.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "### The manifest")
	_, rest, ok2 := strings.Cut(rest, "```json\n")
	example, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("no JSON example under \"### The manifest\"")
	}
	s := newStack(t, stackOptions{env: map[string]string{
		"PERSISTED_QUERIES": "trusted", "PERSISTED_QUERIES_MANIFEST": writeFile(t, example),
	}})
	if n := s.cfg.Persisted.Manifest.Len(); n != 2 {
		t.Errorf("example lists %d operations; want 2", n)
	}
	data := served(t, s.pq(pqRequest{hash: "customer-by-number", vars: pqCustomerVars}))
	if !strings.Contains(data, "displayName") {
		t.Errorf("example operation answered %s", data)
	}
	served(t, s.pq(pqRequest{method: http.MethodGet, documentID: "customer-by-number", vars: pqCustomerVars}))
}
