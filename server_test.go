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
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/cache"
	"customergraph/internal/cache/cachetest"
	"customergraph/internal/sim/tiquosim"
)

// TestMain runs the suite, then searches everything the suite's facades
// logged or answered for the secrets they were configured with: finding
// one fails the run, naming the kind of secret and where it was found.
func TestMain(m *testing.M) {
	http.DefaultClient.Transport = suiteLeaks.transport(http.DefaultTransport)
	suiteLeaks.secret("upstream key of the in-process simulator (tiquosim.DefaultAPIKey)", tiquosim.DefaultAPIKey)
	code := cachetest.Run(m)
	if !suiteLeaks.report(os.Stderr) && code == 0 {
		code = 1
	}
	os.Exit(code)
}

// stack is one facade over a simulator and a real Redis, all on loopback,
// served through the real HTTP handler.
type stack struct {
	t      *testing.T
	sim    *tiquosim.Server
	simURL string
	url    string
	logs   *syncBuffer
	cfg    config
	opts   stackOptions // as completed by newStack
}

type stackOptions struct {
	customers int
	seed      int64              // the simulator's data set; default 1
	latency   time.Duration      // added to each of the simulator's API requests
	redisAddr string             // default: the shared test Redis; "memory" for none
	cluster   *cachetest.Cluster // a Redis Cluster instead (REDIS_MODE=cluster)
	namespace string             // default: unique to the test
	upstream  *stack             // share this stack's simulator (and namespace)
	env       map[string]string
	// onUpstream, if set, sees every request the simulator receives
	// before it is served.
	onUpstream func(*http.Request)
}

func newStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	s := &stack{t: t, logs: &syncBuffer{}}
	defer func() { s.opts = o }()
	if o.upstream != nil {
		s.sim, s.simURL = o.upstream.sim, o.upstream.simURL
		if o.cluster == nil && o.redisAddr == "" {
			o.cluster = o.upstream.opts.cluster // the same Redis Cluster
		}
		if o.namespace == "" {
			o.namespace = o.upstream.cfg.CacheNamespace
		}
	} else {
		if o.customers == 0 {
			o.customers = 250
		}
		s.sim = tiquosim.New(tiquosim.Options{Customers: o.customers, Seed: o.seed, Latency: o.latency, APIKeys: []string{testUpstreamKey, tiquosim.DefaultAPIKey}})
		var h http.Handler = s.sim
		if o.onUpstream != nil {
			h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				o.onUpstream(r)
				s.sim.ServeHTTP(w, r)
			})
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		s.simURL = srv.URL
		suiteLeaks.owner(srv.URL, t.Name()+"'s simulator")
	}
	if o.namespace == "" {
		o.namespace = cachetest.Namespace(t)
	}
	env := map[string]string{
		"UPSTREAM_URL":     s.simURL,
		"UPSTREAM_API_KEY": testUpstreamKey,
		"FACADE_API_KEYS":  testKey + "," + secondKey,
		"CACHE_NAMESPACE":  o.namespace,
		"LOG_LEVEL":        "debug",
	}
	switch {
	case o.cluster != nil:
		env["REDIS_URL"] = o.cluster.URL()
		env["REDIS_MODE"] = "cluster"
	case o.redisAddr == "memory":
	case o.redisAddr == "":
		env["REDIS_URL"] = "redis://" + cachetest.Redis(t)
	default:
		env["REDIS_URL"] = "redis://" + o.redisAddr
	}
	for k, v := range o.env {
		env[k] = v
	}
	suiteLeaks.secretsOf(env, t.Name())
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	s.cfg = cfg
	logs := io.MultiWriter(s.logs, suiteLeaks.writer("the log of "+t.Name()))
	a, err := newApp(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	suiteLeaks.owner(srv.URL, t.Name())
	return s
}

// redis returns a client of the stack's Redis, or of its Redis Cluster,
// closed when the test ends: for setting up and inspecting keys.
func (s *stack) redis() redis.UniversalClient {
	if s.opts.cluster != nil {
		return s.opts.cluster.Client(s.t)
	}
	if s.opts.redisAddr == "" || s.opts.redisAddr == "memory" {
		return cachetest.Client(s.t)
	}
	c := cachetest.NewClient(s.opts.redisAddr)
	s.t.Cleanup(func() { c.Close() })
	return c
}

// keys returns the keys of the stack's Redis matching pattern: on a
// cluster, those of every master.
func (s *stack) keys(pattern string) []string {
	s.t.Helper()
	c := s.redis()
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		keys, err := c.Keys(s.t.Context(), pattern).Result()
		if err != nil {
			s.t.Fatal(err)
		}
		return keys
	}
	var (
		mu   sync.Mutex
		keys []string
	)
	err := cc.ForEachMaster(s.t.Context(), func(ctx context.Context, m *redis.Client) error {
		ks, err := m.Keys(ctx, pattern).Result()
		mu.Lock()
		keys = append(keys, ks...)
		mu.Unlock()
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return keys
}

// keyspace returns the stack's cache keyspace.
func (s *stack) keyspace() cache.Keyspace {
	return cache.NewKeyspace(cache.Namespace(s.simURL, string(s.cfg.UpstreamAPIKey), s.cfg.CacheNamespace))
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Status     int
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions json.RawMessage `json:"extensions"`
}

// code returns the extensions.code of the error at path (e.g. "b"), or "".
func (r *response) code(path string) string {
	for _, e := range r.Errors {
		if len(e.Path) > 0 && fmt.Sprint(e.Path[0]) == path {
			c, _ := e.Extensions["code"].(string)
			return c
		}
	}
	return ""
}

// post sends a GraphQL request with the test's client key.
func (s *stack) post(query string, vars map[string]any) *response {
	s.t.Helper()
	return s.send(http.MethodPost, query, vars, testKey)
}

func (s *stack) send(method, query string, vars map[string]any, key string) *response {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(method, s.url+"/graphql", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		// Whatever a client sends as its key is a secret, passthrough
		// keys and wrong guesses too.
		suiteLeaks.secret("key sent as a bearer by "+s.t.Name(), key)
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &response{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, r); err != nil {
		s.t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return r
}

// query posts query and decodes data into out, failing on any error.
func (s *stack) query(query string, vars map[string]any, out any) {
	s.t.Helper()
	r := s.post(query, vars)
	if len(r.Errors) > 0 {
		s.t.Fatalf("query %q: errors %+v", query, r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			s.t.Fatalf("decode data %s: %v", r.Data, err)
		}
	}
}

// stats reads the simulator's call counters over HTTP, as a benchmark would.
func (s *stack) stats() tiquosim.Stats {
	s.t.Helper()
	var st tiquosim.Stats
	s.simGet("/__sim/stats", &st)
	return st
}

func (s *stack) resetStats() {
	s.t.Helper()
	resp, err := http.Post(s.simURL+"/__sim/reset", "", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
}

func (s *stack) requests() []tiquosim.Request {
	s.t.Helper()
	var rs []tiquosim.Request
	s.simGet("/__sim/requests", &rs)
	return rs
}

func (s *stack) faults(f string) {
	s.t.Helper()
	method, body := http.MethodPost, strings.NewReader(f)
	if f == "" {
		method = http.MethodDelete
	}
	req, _ := http.NewRequest(method, s.simURL+"/__sim/faults", body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		s.t.Fatalf("set faults %s: status %d", f, resp.StatusCode)
	}
}

func (s *stack) simGet(path string, out any) {
	s.t.Helper()
	resp, err := http.Get(s.simURL + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		s.t.Fatal(err)
	}
}

// simCustomer is what the tests read of a customer straight from the
// simulator's REST API.
type simCustomer struct {
	ID             string  `json:"id"`
	CustomerNumber string  `json:"customerNumber"`
	Email          *string `json:"email"`
	Phone          *string `json:"phone"`
}

// customers returns the first n customers with both an email and a phone,
// read from the simulator directly (and not counted against the test: the
// counters are reset after).
func (s *stack) customers(n int) []simCustomer {
	s.t.Helper()
	var out []simCustomer
	for i := 1; len(out) < n && i < 1000; i++ {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/customers/CUST-%06d", s.simURL, i), nil)
		req.Header.Set("Authorization", "Bearer "+testUpstreamKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		var env struct{ Data simCustomer }
		json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if env.Data.Email != nil && env.Data.Phone != nil {
			out = append(out, env.Data)
		}
	}
	s.resetStats()
	return out
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
