package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/cache/cachetest"
	"customergraph/internal/sim/komerzasim"
	"customergraph/internal/sim/simkit"
	"customergraph/internal/sim/tiquosim"
	"customergraph/internal/sim/xtrakitsim"
)

// testStore is the Komerza store of the suite's Komerza tenants.
const testStore = "5b7e1c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b"

// vendorSim is one tenant's simulator in a multiStack.
type vendorSim struct {
	t           *testing.T
	vendor      string
	url         string
	upstreamKey string
	clientKey   string
}

// multiStack is one facade with one tenant per vendor, each over its own
// simulator, all on one real Redis and on loopback, through the real
// handler.
type multiStack struct {
	t       *testing.T
	url     string
	cfg     config
	tenants map[string]*vendorSim // by vendor name
	logs    *syncBuffer
	table   string             // the TENANTS of the facade
	redis   string             // its Redis address
	cluster *cachetest.Cluster // or its Redis Cluster
	env     map[string]string
}

func (m *multiStack) redisClient() redis.UniversalClient {
	if m.cluster != nil {
		return m.cluster.Client(m.t)
	}
	return cachetest.Client(m.t)
}

// newMultiStack starts a simulator of customers customers for each vendor
// named and a facade with a tenant for each, named after its vendor.
func newMultiStack(t *testing.T, customers int, vendors ...string) *multiStack {
	t.Helper()
	return newMultiStackWith(t, multiOptions{customers: customers, vendors: vendors})
}

// multiOptions configure newMultiStackWith.
type multiOptions struct {
	customers int
	vendors   []string
	// wrap, if set, wraps each vendor's simulator: to delay or watch its
	// requests.
	wrap func(vendor string, sim http.Handler) http.Handler
	// env is added to the facade's environment.
	env map[string]string
	// reuse, if set, serves the simulators of that stack (with a cache
	// namespace of this stack's own) instead of starting new ones.
	reuse *multiStack
	// cluster, if set, is the facade's Redis (REDIS_MODE=cluster).
	cluster *cachetest.Cluster
}

// newMultiStackWith is newMultiStack with options.
func newMultiStackWith(t *testing.T, o multiOptions) *multiStack {
	t.Helper()
	customers, vendors := o.customers, o.vendors
	m := &multiStack{t: t, tenants: map[string]*vendorSim{}, logs: &syncBuffer{}}
	var rows []map[string]any
	for i, v := range vendors {
		if o.reuse != nil {
			vs := o.reuse.tenants[v]
			m.tenants[v] = vs
			row := map[string]any{"name": v, "vendor": v, "upstreamUrl": vs.url, "upstreamApiKey": vs.upstreamKey, "clientKeys": []string{vs.clientKey}}
			if v == "komerza" {
				row["storeId"] = testStore
			}
			rows = append(rows, row)
			continue
		}
		upKey := fmt.Sprintf("%s-up-%d-%s", testUpstreamKey, i, v)
		var h http.Handler
		switch v {
		case "komerza":
			h = komerzasim.New(komerzasim.Options{Customers: customers, Store: testStore, APIKeys: []string{upKey}})
		case "xtrakit":
			h = xtrakitsim.New(xtrakitsim.Options{Customers: customers, APIKeys: []string{upKey}})
		default:
			h = tiquosim.New(tiquosim.Options{Customers: customers, APIKeys: []string{upKey}})
		}
		if o.wrap != nil {
			h = o.wrap(v, h)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		suiteLeaks.owner(srv.URL, t.Name()+"'s "+v+" simulator")
		vs := &vendorSim{t: t, vendor: v, url: srv.URL, upstreamKey: upKey, clientKey: fmt.Sprintf("%s-%d-%s", testKey, i, v)}
		m.tenants[v] = vs
		row := map[string]any{"name": v, "vendor": v, "upstreamUrl": srv.URL, "upstreamApiKey": upKey, "clientKeys": []string{vs.clientKey}}
		if v == "komerza" {
			row["storeId"] = strings.ToUpper(testStore) // canonicalised by the facade
		}
		rows = append(rows, row)
	}
	table, _ := json.Marshal(map[string]any{"tenants": rows})
	m.table = string(table)
	env := map[string]string{
		"TENANTS":         string(table),
		"CACHE_NAMESPACE": cachetest.Namespace(t),
		"LOG_LEVEL":       "debug",
	}
	if m.cluster = o.cluster; m.cluster != nil {
		env["REDIS_URL"], env["REDIS_MODE"] = m.cluster.URL(), "cluster"
	} else {
		m.redis = cachetest.Redis(t)
		env["REDIS_URL"] = "redis://" + m.redis
	}
	for k, v := range o.env {
		env[k] = v
	}
	m.env = env
	suiteLeaks.secretsOf(env, t.Name())
	for _, vs := range m.tenants {
		suiteLeaks.secret("upstream key of "+t.Name(), vs.upstreamKey)
		suiteLeaks.secret("client key of "+t.Name(), vs.clientKey)
	}
	m.start()
	return m
}

// twin returns a second facade over m's simulators, Redis and cache
// namespace, with env added to m's environment: another instance of the
// same deployment.
func (m *multiStack) twin(env map[string]string) *multiStack {
	m.t.Helper()
	w := &multiStack{t: m.t, tenants: m.tenants, logs: &syncBuffer{}, table: m.table, redis: m.redis, cluster: m.cluster, env: map[string]string{}}
	for k, v := range m.env {
		w.env[k] = v
	}
	for k, v := range env {
		w.env[k] = v
	}
	w.start()
	return w
}

// start serves a facade configured by m.env.
func (m *multiStack) start() {
	t, env := m.t, m.env
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	m.cfg = cfg
	logs := io.MultiWriter(m.logs, suiteLeaks.writer("the log of "+t.Name()))
	a, err := newApp(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	m.url = srv.URL
	suiteLeaks.owner(srv.URL, t.Name())
}

// post sends a GraphQL request as the client of vendor's tenant.
func (m *multiStack) post(vendor, query string, vars map[string]any) *response {
	m.t.Helper()
	s := &stack{t: m.t, url: m.url}
	return s.send(http.MethodPost, query, vars, m.tenants[vendor].clientKey)
}

// query posts query as vendor's client and decodes data into out, failing
// on any error.
func (m *multiStack) query(vendor, query string, vars map[string]any, out any) {
	m.t.Helper()
	r := m.post(vendor, query, vars)
	if len(r.Errors) > 0 {
		m.t.Fatalf("%s: query %q: errors %+v", vendor, query, r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			m.t.Fatalf("decode data %s: %v", r.Data, err)
		}
	}
}

func (v *vendorSim) get(path string, out any) {
	v.t.Helper()
	resp, err := http.Get(v.url + path)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		v.t.Fatal(err)
	}
}

// stats reads the simulator's counters over HTTP.
func (v *vendorSim) stats() simkit.Stats {
	v.t.Helper()
	var st simkit.Stats
	v.get("/__sim/stats", &st)
	return st
}

func (v *vendorSim) reset() {
	v.t.Helper()
	resp, err := http.Post(v.url+"/__sim/reset", "", nil)
	if err != nil {
		v.t.Fatal(err)
	}
	resp.Body.Close()
}

// faults sets the simulator's injected faults (JSON, as POST /__sim/faults
// takes them); "" clears them.
func (v *vendorSim) faults(f string) {
	v.t.Helper()
	method := http.MethodPost
	if f == "" {
		method = http.MethodDelete
	}
	req, _ := http.NewRequest(method, v.url+"/__sim/faults", strings.NewReader(f))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		v.t.Fatalf("set faults %s: status %d", f, resp.StatusCode)
	}
}

func (v *vendorSim) requests() []simkit.Request {
	v.t.Helper()
	var rs []simkit.Request
	v.get("/__sim/requests", &rs)
	return rs
}

// simListed is one entry of GET /__sim/customers.
type simListed struct {
	ID             string  `json:"id"`
	Email          *string `json:"email"`
	Phone          *string `json:"phone"`
	CustomerNumber *string `json:"customerNumber"`
	Name           *string `json:"name"`
}

// customers returns every customer of the simulator, in data-set order.
func (v *vendorSim) customers() []simListed {
	v.t.Helper()
	var out []simListed
	v.get("/__sim/customers", &out)
	return out
}

// raw reads path from the vendor's REST API with the upstream key, as
// the facade would, and returns the envelope's data; the counters are
// reset after, so the read costs the test nothing.
func (v *vendorSim) raw(path string) json.RawMessage {
	v.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, v.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+v.upstreamKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct{ Data json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		v.t.Fatal(err)
	}
	v.reset()
	return env.Data
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}
