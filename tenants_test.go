package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/cache/cachetest"
	"customergraph/internal/customer"
	"customergraph/internal/sim/komerzasim"
	"customergraph/internal/sim/tiquosim"
)

func TestTenantTableConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tenants.json")
	if err := os.WriteFile(file, []byte(`{"tenants":[{"name":"acme","upstreamUrl":"https://a.example/api/v1","upstreamApiKeyEnv":"ACME_UP","clientKeysEnv":"ACME_CLIENTS"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const upSecret, clientSecret = "up-secret-0123456789", "client-secret-0123456789"
	tests := []struct {
		name    string
		env     map[string]string
		want    []tenantConfig
		wantErr string // substring; "" = valid
	}{
		{
			name: "default tenant from the single-upstream variables",
			env:  map[string]string{"UPSTREAM_URL": "https://u.example", "UPSTREAM_API_KEY": upSecret, "FACADE_API_KEYS": clientSecret + ", k2"},
			want: []tenantConfig{{Name: "default", Vendor: customer.Tiquo, UpstreamURL: "https://u.example", UpstreamAPIKey: upSecret, ClientKeys: []secret{clientSecret, "k2"}}},
		},
		{
			name: "inline table",
			env: map[string]string{"TENANTS": `{"tenants":[
				{"name":"a","upstreamUrl":"https://a.example","upstreamApiKey":"` + upSecret + `","clientKeys":["ka1","ka2"]},
				{"name":"b","upstreamUrl":"https://a.example","upstreamApiKey":"other","clientKeys":["kb"]}]}`},
			want: []tenantConfig{
				{Name: "a", Vendor: customer.Tiquo, UpstreamURL: "https://a.example", UpstreamAPIKey: upSecret, ClientKeys: []secret{"ka1", "ka2"}},
				{Name: "b", Vendor: customer.Tiquo, UpstreamURL: "https://a.example", UpstreamAPIKey: "other", ClientKeys: []secret{"kb"}},
			},
		},
		{
			name: "file with secrets from the environment",
			env:  map[string]string{"TENANTS_FILE": file, "ACME_UP": upSecret, "ACME_CLIENTS": clientSecret + ",k2"},
			want: []tenantConfig{{Name: "acme", Vendor: customer.Tiquo, UpstreamURL: "https://a.example/api/v1", UpstreamAPIKey: upSecret, ClientKeys: []secret{clientSecret, "k2"}}},
		},
		{
			name: "simulator tenant",
			env:  map[string]string{"TENANTS": `{"tenants":[{"name":"demo","clientKeys":["k"]}]}`},
			want: []tenantConfig{{Name: "demo", Vendor: customer.Tiquo, ClientKeys: []secret{"k"}}},
		},
		{
			name: "vendors",
			env: map[string]string{"TENANTS": `{"tenants":[
				{"name":"shop","vendor":"Komerza","upstreamUrl":"https://k.example","upstreamApiKey":"` + upSecret + `","storeId":" 3C90C3CC-0D44-4B50-8888-8DD25736052A ","clientKeys":["ks"]},
				{"name":"demo","vendor":"komerza","clientKeys":["kd"]},
				{"name":"t","vendor":"tiquo","clientKeys":["kt"]}]}`},
			want: []tenantConfig{
				{Name: "shop", Vendor: customer.Komerza, UpstreamURL: "https://k.example", UpstreamAPIKey: upSecret, StoreID: "3c90c3cc-0d44-4b50-8888-8dd25736052a", ClientKeys: []secret{"ks"}},
				{Name: "demo", Vendor: customer.Komerza, StoreID: komerzasim.DefaultStore, ClientKeys: []secret{"kd"}},
				{Name: "t", Vendor: customer.Tiquo, ClientKeys: []secret{"kt"}},
			},
		},
		{
			name: "one Komerza tenant from the environment",
			env:  map[string]string{"UPSTREAM_VENDOR": "komerza", "KOMERZA_STORE_ID": "3c90c3cc-0d44-4b50-8888-8dd25736052a"},
			want: []tenantConfig{{Name: "default", Vendor: customer.Komerza, StoreID: "3c90c3cc-0d44-4b50-8888-8dd25736052a"}},
		},
		{name: "passthrough", env: map[string]string{"AUTH_MODE": "passthrough", "UPSTREAM_URL": "https://u.example"}},
		{name: "file env unset", env: map[string]string{"TENANTS_FILE": file}, wantErr: "upstreamApiKeyEnv names ACME_UP, which is not set"},
		{name: "both forms", env: map[string]string{"TENANTS": "{}", "TENANTS_FILE": file}, wantErr: "not both"},
		{name: "table and single upstream", env: map[string]string{"TENANTS_FILE": file, "UPSTREAM_URL": "https://u.example"}, wantErr: "go in the table"},
		{name: "missing file", env: map[string]string{"TENANTS_FILE": filepath.Join(dir, "none.json")}, wantErr: "TENANTS_FILE cannot be read: no such file"},
		{name: "not JSON", env: map[string]string{"TENANTS": `{"tenants":[` + upSecret}, wantErr: "not valid JSON"},
		{name: "unknown field", env: map[string]string{"TENANTS": `{"tenants":[{"name":"a","clientKeys":["k"],"upstreamKey":"` + upSecret + `"}]}`}, wantErr: `unknown field "upstreamKey"`},
		{name: "empty", env: map[string]string{"TENANTS": `{"tenants":[]}`}, wantErr: "lists no tenants"},
		{name: "bad name", env: map[string]string{"TENANTS": `{"tenants":[{"name":"Acme Inc","clientKeys":["k"]}]}`}, wantErr: "tenant 1: name must be"},
		{name: "no client keys", env: map[string]string{"TENANTS": `{"tenants":[{"name":"a"}]}`}, wantErr: `tenant "a": no client keys`},
		{name: "url without key", env: map[string]string{"TENANTS": `{"tenants":[{"name":"a","upstreamUrl":"https://a.example","clientKeys":["k"]}]}`}, wantErr: "needs an upstream API key"},
		{name: "bad url", env: map[string]string{"TENANTS": `{"tenants":[{"name":"a","upstreamUrl":"ftp://a.example","upstreamApiKey":"x","clientKeys":["k"]}]}`}, wantErr: "must be an http or https URL"},
		{name: "duplicate name", env: map[string]string{"TENANTS": `{"tenants":[{"name":"a","clientKeys":["k1"]},{"name":"a","upstreamApiKey":"x","clientKeys":["k2"]}]}`}, wantErr: `tenant "a" is listed twice`},
		{
			name:    "shared client key",
			env:     map[string]string{"TENANTS": `{"tenants":[{"name":"a","clientKeys":["` + clientSecret + `"]},{"name":"b","upstreamApiKey":"x","clientKeys":["` + clientSecret + `"]}]}`},
			wantErr: `tenants "a" and "b" share a client key`,
		},
		{
			name:    "shared upstream account",
			env:     map[string]string{"TENANTS": `{"tenants":[{"name":"a","upstreamUrl":"https://a.example","upstreamApiKey":"` + upSecret + `","clientKeys":["k1"]},{"name":"b","upstreamUrl":"https://a.example","upstreamApiKey":"` + upSecret + `","clientKeys":["k2"]}]}`},
			wantErr: "use the same upstream URL and key",
		},
		{name: "passthrough with table", env: map[string]string{"AUTH_MODE": "passthrough", "TENANTS_FILE": file}, wantErr: "has no tenant table"},
		{name: "passthrough with keys", env: map[string]string{"AUTH_MODE": "passthrough", "FACADE_API_KEYS": clientSecret}, wantErr: "unset UPSTREAM_API_KEY and FACADE_API_KEYS"},
		{name: "bad mode", env: map[string]string{"AUTH_MODE": "open"}, wantErr: "AUTH_MODE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error: got %v; want one containing %q", err, tt.wantErr)
				}
				for _, s := range []string{upSecret, clientSecret} {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error %q quotes a secret", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprintf("%#v", c.Tenants), fmt.Sprintf("%#v", tt.want); got != want {
				t.Errorf("tenants:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// tenantQueries is a suite covering every root field and shape, with the
// identifiers of customers of both tenants.
func tenantQueries(cs []simCustomer) []string {
	const fields = `id customerNumber firstName lastName email phone status marketingOptIn tags address { city } emails { address }`
	qs := []string{
		`{ customers(first: 5) { edges { cursor node { ` + fields + ` } } pageInfo { hasNextPage endCursor } } }`,
		`{ customers(first: 3, status: ACTIVE) { nodes { id firstName loyaltyPoints } } }`,
		`{ customer(email: "nobody-at-all@example.com") { id } }`,
		`{ customerByIdentifier(identifier: "CUST-999999") { id } }`,
	}
	for _, c := range cs {
		qs = append(qs,
			fmt.Sprintf(`{ customer(email: %q) { %s } }`, *c.Email, fields),
			fmt.Sprintf(`{ customer(phone: %q) { %s } }`, *c.Phone, fields),
			fmt.Sprintf(`{ customer(customerNumber: %q) { %s } }`, c.CustomerNumber, fields),
			fmt.Sprintf(`{ customer(id: %q) { %s } }`, c.ID, fields),
			fmt.Sprintf(`{ customerByIdentifier(identifier: %q) { %s } }`, *c.Email, fields),
			fmt.Sprintf(`{ node(id: %q) { id ... on Customer { %s } } }`, c.ID, fields),
		)
	}
	return qs
}

// canonical is a response without its extensions and with its cursors
// blanked (they are signed with a key of each namespace), for comparison.
func canonical(r *response) string {
	b, _ := json.Marshal(struct {
		Data   json.RawMessage
		Errors []gqlError
	}{r.Data, r.Errors})
	return cursorValue.ReplaceAllString(string(b), `"$1":"…"`)
}

var cursorValue = regexp.MustCompile(`"(cursor|endCursor)":"[^"]*"`)

func TestTenantsNeverShareCache(t *testing.T) {
	redisSrv := cachetest.StartServer(t, 0) // a Redis of the test's own, to SCAN
	// Two upstream accounts with different data, and each one's answers
	// from a facade of its own (no shared cache): the truth.
	truthA := newStack(t, stackOptions{customers: 200, seed: 1, redisAddr: "memory"})
	truthB := newStack(t, stackOptions{customers: 200, seed: 2, redisAddr: "memory"})
	table := fmt.Sprintf(`{"tenants":[
		{"name":"a","upstreamUrl":%q,"upstreamApiKey":%q,"clientKeys":["client-a-7f3e"]},
		{"name":"b","upstreamUrl":%q,"upstreamApiKey":%q,"clientKeys":["client-b-91c2"]}]}`,
		truthA.simURL, tiquosim.DefaultAPIKey, truthB.simURL, tiquosim.DefaultAPIKey)
	s := newStack(t, stackOptions{redisAddr: redisSrv.Addr, env: map[string]string{
		"TENANTS": table, "UPSTREAM_URL": "", "UPSTREAM_API_KEY": "", "FACADE_API_KEYS": "",
	}})
	as := func(key, q string) *response { return s.send(http.MethodPost, q, nil, key) }

	queries := tenantQueries(append(truthA.customers(3), truthB.customers(3)...))
	differ := 0
	for _, q := range queries {
		for _, order := range [][2]string{{"client-a-7f3e", "client-b-91c2"}, {"client-b-91c2", "client-a-7f3e"}} {
			first, second := order[0], order[1]
			truth := map[string]*stack{"client-a-7f3e": truthA, "client-b-91c2": truthB}
			// The first tenant fills the cache; the second must still see
			// only its own upstream's data, cold and then warm.
			got1 := as(first, q)
			if want := truth[first].post(q, nil); canonical(got1) != canonical(want) {
				t.Errorf("%s, %s first:\n got %s\nwant %s", q, first, canonical(got1), canonical(want))
			}
			want2 := truth[second].post(q, nil)
			for _, pass := range []string{"cold", "warm"} {
				if got2 := as(second, q); canonical(got2) != canonical(want2) {
					t.Errorf("%s, %s after %s (%s):\n got %s\nwant %s", q, second, first, pass, canonical(got2), canonical(want2))
				}
			}
			if canonical(got1) != canonical(want2) {
				differ++
			}
		}
	}
	// The check means something only if the two accounts' answers differ.
	t.Logf("%d of %d answers differ between the tenants", differ, 2*len(queries))
	if differ < len(queries) {
		t.Errorf("only %d of %d answers differ between the tenants; the data sets should differ", differ, 2*len(queries))
	}

	// A cursor of one tenant is not valid for the other.
	var page struct {
		Customers struct{ PageInfo struct{ EndCursor string } }
	}
	if err := json.Unmarshal(as("client-a-7f3e", `{ customers(first: 2) { pageInfo { endCursor } } }`).Data, &page); err != nil {
		t.Fatal(err)
	}
	r := s.send(http.MethodPost, `query($c: String) { customers(first: 2, after: $c) { nodes { id } } }`,
		map[string]any{"c": page.Customers.PageInfo.EndCursor}, "client-b-91c2")
	if got := r.code("customers"); got != "BAD_USER_INPUT" {
		t.Errorf("tenant a's cursor used by tenant b: code %q; want BAD_USER_INPUT", got)
	}

	// An update by one tenant changes nothing the other sees.
	ca := truthA.customers(1)[0]
	r = as("client-a-7f3e", fmt.Sprintf(`mutation { updateCustomer(id: %q, input: {email: "moved-a@example.com"}) { customer { email } userErrors { message } } }`, ca.ID))
	if !strings.Contains(string(r.Data), "moved-a@example.com") {
		t.Fatalf("update as a: %s %+v", r.Data, r.Errors)
	}
	q := `{ customer(email: "moved-a@example.com") { id } }`
	if got, want := canonical(as("client-b-91c2", q)), canonical(truthB.post(q, nil)); got != want {
		t.Errorf("b after a's update: got %s; want %s", got, want)
	}

	// Every key written carries one of the two tenants' namespaces.
	assertKeysOwned(t, redisSrv.Addr, []cache.Keyspace{
		cache.NewKeyspace(cache.Namespace(truthA.simURL, tiquosim.DefaultAPIKey, s.cfg.CacheNamespace)),
		cache.NewKeyspace(cache.Namespace(truthB.simURL, tiquosim.DefaultAPIKey, s.cfg.CacheNamespace)),
	})
}

// assertKeysOwned SCANs the whole Redis at addr and fails for any key
// that is none of keyspaces', or if one of them has no key at all.
func assertKeysOwned(t *testing.T, addr string, keyspaces []cache.Keyspace) {
	t.Helper()
	rc := cachetest.NewClient(addr)
	defer rc.Close()
	ctx := context.Background()
	n := map[int]int{}
	iter := rc.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		found := false
		for i, ks := range keyspaces {
			if ks.Owns(key) {
				n[i]++
				found = true
			}
		}
		if !found {
			t.Errorf("key %q carries no tenant's namespace", key)
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	for i := range keyspaces {
		if n[i] == 0 {
			t.Errorf("no keys of tenant %d: the check saw nothing", i)
		}
	}
}

func TestTenantClientKeys(t *testing.T) {
	truthA := newStack(t, stackOptions{customers: 50, seed: 1, redisAddr: "memory"})
	truthB := newStack(t, stackOptions{customers: 50, seed: 2, redisAddr: "memory"})
	table := fmt.Sprintf(`{"tenants":[
		{"name":"a","upstreamUrl":%q,"upstreamApiKey":%q,"clientKeys":["ka-1","ka-2"]},
		{"name":"b","upstreamUrl":%q,"upstreamApiKey":%q,"clientKeys":["kb-1"]}]}`,
		truthA.simURL, tiquosim.DefaultAPIKey, truthB.simURL, tiquosim.DefaultAPIKey)
	s := newStack(t, stackOptions{redisAddr: "memory", env: map[string]string{
		"TENANTS": table, "UPSTREAM_URL": "", "UPSTREAM_API_KEY": "", "FACADE_API_KEYS": "",
	}})
	const q = `{ customer(customerNumber: "CUST-000002") { firstName lastName } }`
	want := map[string]string{"ka-1": canonical(truthA.post(q, nil)), "ka-2": canonical(truthA.post(q, nil)), "kb-1": canonical(truthB.post(q, nil))}
	for key, w := range want {
		if got := canonical(s.send(http.MethodPost, q, nil, key)); got != w {
			t.Errorf("key %s: got %s; want %s", key, got, w)
		}
	}
	for _, key := range []string{"", "ka-3", "ka-1x", "KA-1", "ka-"} {
		r := s.send(http.MethodPost, q, nil, key)
		if r.Status != http.StatusUnauthorized || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
			t.Errorf("key %q: status %d, errors %+v; want 401 UNAUTHENTICATED", key, r.Status, r.Errors)
		}
	}
}

func TestPassthrough(t *testing.T) {
	sim := newStack(t, stackOptions{customers: 50, redisAddr: "memory"})
	sim.sim.SetAPIKeys("pass-key-alpha-5d1", "pass-key-beta-e07")
	redisSrv := cachetest.StartServer(t, 0)
	s := newStack(t, stackOptions{upstream: sim, redisAddr: redisSrv.Addr, env: map[string]string{
		"AUTH_MODE": "passthrough", "UPSTREAM_API_KEY": "", "FACADE_API_KEYS": "", "AUTH_VERIFY_TTL": "1h",
	}})
	const q = `{ customer(customerNumber: "CUST-000003") { id firstName } }`
	ask := func(key string) *response { return s.send(http.MethodPost, q, nil, key) }

	// The first request of a key verifies it with one upstream call (a
	// one-customer list), then reads the customer: 2 calls. Warm: none.
	sim.resetStats()
	if r := ask("pass-key-alpha-5d1"); len(r.Errors) > 0 || !bytes.Contains(r.Data, []byte(`"id":"k`)) {
		t.Fatalf("alpha: %s %+v", r.Data, r.Errors)
	}
	if st := sim.stats(); st.List != 1 || st.Get != 1 {
		t.Errorf("first request of a key: got %d lists, %d gets; want 1 and 1", st.List, st.Get)
	}
	sim.resetStats()
	ask("pass-key-alpha-5d1")
	if st := sim.stats(); st.Total != 0 {
		t.Errorf("warm request of a verified key: got %d upstream calls; want 0", st.Total)
	}

	// Another key has its own namespace: its first read is not a hit on
	// alpha's entry.
	sim.resetStats()
	ask("pass-key-beta-e07")
	if st := sim.stats(); st.Get != 1 {
		t.Errorf("beta after alpha: got %d gets; want 1 (namespaces are per key)", st.Get)
	}

	// A malformed request of an unknown key costs nothing: the key is
	// verified only for an operation that passed validation.
	sim.resetStats()
	for _, bad := range []string{`{ customer(email: "not an email") { id } }`, `{ customer(email: `, `{ nosuchfield }`} {
		r := s.send(http.MethodPost, bad, nil, "pass-key-unknown-000")
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] == "UNAUTHENTICATED" {
			t.Errorf("%s with an unknown key: errors %+v; want the query's own error", bad, r.Errors)
		}
	}
	if st := sim.stats(); st.Total != 0 {
		t.Errorf("malformed requests of an unknown key: got %d upstream calls; want 0", st.Total)
	}
	// A valid one costs one call, answered UNAUTHENTICATED; then the
	// rejection is remembered: 401 and no call.
	for i := range 3 {
		r := ask("pass-key-unknown-000")
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || bytes.Contains(r.Data, []byte(`"id"`)) {
			t.Fatalf("unknown key, request %d: status %d, data %s, errors %+v; want UNAUTHENTICATED and no data", i, r.Status, r.Data, r.Errors)
		}
		if i > 0 && r.Status != http.StatusUnauthorized {
			t.Errorf("unknown key, request %d: status %d; want 401 once the rejection is known", i, r.Status)
		}
	}
	if st := sim.stats(); st.Total != 1 {
		t.Errorf("three requests of an unknown key: got %d upstream calls; want 1", st.Total)
	}

	// Revoke alpha. Its cached customer is still served (verified an hour
	// ago at most) until the upstream rejects the key once; from then on
	// nothing is served from the cache either.
	sim.sim.SetAPIKeys("pass-key-beta-e07")
	r := s.send(http.MethodPost, `{ customer(customerNumber: "CUST-000004") { id } }`, nil, "pass-key-alpha-5d1")
	if got := r.code("customer"); got != "UNAUTHENTICATED" {
		t.Fatalf("cold read with a revoked key: code %q (%+v); want UNAUTHENTICATED", got, r.Errors)
	}
	sim.resetStats()
	if r := ask("pass-key-alpha-5d1"); r.Status != http.StatusUnauthorized || len(r.Data) > 0 && string(r.Data) != "null" {
		t.Errorf("cached read after the upstream rejected the key: status %d, data %s; want 401 and no data", r.Status, r.Data)
	}
	if st := sim.stats(); st.Total != 0 {
		t.Errorf("refusing a rejected key: got %d upstream calls; want 0", st.Total)
	}
	// Beta is unaffected.
	if r := ask("pass-key-beta-e07"); len(r.Errors) > 0 {
		t.Errorf("beta after alpha's revocation: %+v", r.Errors)
	}

	// Every key written carries one of the keys' namespaces (the unknown
	// key's verification took a token from its own budget).
	assertKeysOwned(t, redisSrv.Addr, []cache.Keyspace{
		cache.NewKeyspace(cache.Namespace(sim.simURL, "pass-key-alpha-5d1", s.cfg.CacheNamespace)),
		cache.NewKeyspace(cache.Namespace(sim.simURL, "pass-key-beta-e07", s.cfg.CacheNamespace)),
		cache.NewKeyspace(cache.Namespace(sim.simURL, "pass-key-unknown-000", s.cfg.CacheNamespace)),
	})
}

func TestPassthroughVerifyTTL(t *testing.T) {
	sim := newStack(t, stackOptions{customers: 20, redisAddr: "memory"})
	sim.sim.SetAPIKeys("pass-key-gamma-71a")
	s := newStack(t, stackOptions{upstream: sim, redisAddr: "memory", env: map[string]string{
		"AUTH_MODE": "passthrough", "UPSTREAM_API_KEY": "", "FACADE_API_KEYS": "", "AUTH_VERIFY_TTL": "1s",
	}})
	const q = `{ customer(customerNumber: "CUST-000001") { id } }`
	if r := s.send(http.MethodPost, q, nil, "pass-key-gamma-71a"); len(r.Errors) > 0 {
		t.Fatalf("%+v", r.Errors)
	}
	// Revoked without the facade noticing: once the acceptance is older
	// than AUTH_VERIFY_TTL, the next request asks again and is refused,
	// although the customer is cached.
	sim.sim.SetAPIKeys("someone-else")
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := s.send(http.MethodPost, q, nil, "pass-key-gamma-71a")
		if len(r.Errors) > 0 && r.Errors[0].Extensions["code"] == "UNAUTHENTICATED" {
			if bytes.Contains(r.Data, []byte(`"id"`)) {
				t.Fatalf("refused key answered with data %s", r.Data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a revoked key was still served from the cache 5s after it was revoked with AUTH_VERIFY_TTL=1s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPassthroughVerifyRate(t *testing.T) {
	sim := newStack(t, stackOptions{customers: 20, redisAddr: "memory"})
	s := newStack(t, stackOptions{upstream: sim, redisAddr: "memory", env: map[string]string{
		"AUTH_MODE": "passthrough", "UPSTREAM_API_KEY": "", "FACADE_API_KEYS": "", "PASSTHROUGH_VERIFY_RATE": "3",
	}})
	sim.resetStats()
	limited := 0
	for i := range 20 {
		r := s.send(http.MethodPost, `{ customer(customerNumber: "CUST-000001") { id } }`, nil, fmt.Sprintf("made-up-key-%03d", i))
		code := ""
		if len(r.Errors) == 1 {
			code, _ = r.Errors[0].Extensions["code"].(string)
		}
		switch code {
		case "RATE_LIMITED":
			limited++
		case "UNAUTHENTICATED":
		default:
			t.Fatalf("made-up key %d: status %d, errors %+v; want UNAUTHENTICATED or RATE_LIMITED", i, r.Status, r.Errors)
		}
	}
	// 20 keys within well under a second: the burst of 3 (and perhaps one
	// more refilled) reach the upstream; the rest are refused here.
	if st := sim.stats(); st.Total > 4 || st.Total < 3 {
		t.Errorf("20 made-up keys: got %d upstream calls; want 3 or 4 (PASSTHROUGH_VERIFY_RATE=3)", st.Total)
	}
	if limited < 16 {
		t.Errorf("got %d answers RATE_LIMITED; want at least 16", limited)
	}
	// A known key is not held up by the flood once a token is back.
	time.Sleep(time.Second)
	if r := s.send(http.MethodPost, `{ customer(customerNumber: "CUST-000001") { id } }`, nil, tiquosim.DefaultAPIKey); len(r.Errors) > 0 {
		t.Errorf("known key after the flood: %+v", r.Errors)
	}
}

// Passthrough keys share their upstream, and so its circuit breaker: once
// one key's calls have opened it, another key's request makes no call.
func TestPassthroughKeysShareABreaker(t *testing.T) {
	sim := newStack(t, stackOptions{customers: 50, redisAddr: "memory"})
	sim.sim.SetAPIKeys("pass-key-one-4b2c", "pass-key-two-9c1d")
	s := newStack(t, stackOptions{upstream: sim, redisAddr: "memory", env: map[string]string{
		"AUTH_MODE": "passthrough", "UPSTREAM_API_KEY": "", "FACADE_API_KEYS": "", "BREAKER_COOLDOWN": "1m",
	}})
	lookup := func(key, number string) *response {
		return s.send(http.MethodPost, fmt.Sprintf(`{ customer(customerNumber: %q) { id } }`, number), nil, key)
	}
	sim.faults(`{"status": 503, "rate": 1.0, "routes": ["get"]}`)
	for i := 1; i <= 3; i++ {
		if got := lookup("pass-key-one-4b2c", fmt.Sprintf("CUST-%06d", i)).code("customer"); got != "UPSTREAM_UNAVAILABLE" {
			t.Fatalf("key one, lookup %d: code %q; want UPSTREAM_UNAVAILABLE", i, got)
		}
	}
	sim.resetStats()
	if got := lookup("pass-key-two-9c1d", "CUST-000010").code("customer"); got != "UPSTREAM_UNAVAILABLE" {
		t.Errorf("key two after key one opened the circuit: code %q; want UPSTREAM_UNAVAILABLE", got)
	}
	if st := sim.stats(); st.Total != 0 {
		t.Errorf("key two's lookup with the circuit open: got %d upstream calls; want 0", st.Total)
	}
}

// /readyz dials every tenant's upstream and names the unreachable ones by
// tenant, never by address.
func TestReadyNamesTenants(t *testing.T) {
	up := newStack(t, stackOptions{customers: 10, redisAddr: "memory"})
	dead := "http://127.0.0.1:" + strconv.Itoa(cachetest.FreePort(t))
	table := fmt.Sprintf(`{"tenants":[
		{"name":"alive","upstreamUrl":%q,"upstreamApiKey":%q,"clientKeys":["k-alive-1a2b"]},
		{"name":"gone","upstreamUrl":%q,"upstreamApiKey":"k-gone-up-3c4d","clientKeys":["k-gone-5e6f"]}]}`,
		up.simURL, tiquosim.DefaultAPIKey, dead)
	s := newStack(t, stackOptions{redisAddr: "memory", env: map[string]string{
		"TENANTS": table, "UPSTREAM_URL": "", "UPSTREAM_API_KEY": "", "FACADE_API_KEYS": "",
	}})
	resp, err := http.Get(s.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || body["upstream"] != "unreachable for gone" {
		t.Errorf("/readyz = %d %v; want 503 with the upstream unreachable for gone", resp.StatusCode, body)
	}
}
