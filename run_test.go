package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"customergraph/internal/cache/cachetest"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRun runs the real entry point with env and returns its base URL, its
// log, and a stop function that cancels it and returns run's error.
func startRun(t *testing.T, env map[string]string) (string, *syncBuffer, func() error) {
	t.Helper()
	port := freePort(t)
	env["PORT"] = fmt.Sprint(port)
	logs := &syncBuffer{}
	suiteLeaks.secretsOf(env, t.Name())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logOut := io.MultiWriter(logs, suiteLeaks.writer("the run() log of "+t.Name()))
	go func() { done <- run(ctx, func(k string) string { return env[k] }, logOut) }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	suiteLeaks.owner(base, t.Name())
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("run returned early: %v\n%s", err, logs)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not start: %v\n%s", err, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return fmt.Errorf("run did not return within 15s of cancellation")
		}
	}
	t.Cleanup(func() { stop() })
	return base, logs, stop
}

func TestRunEmbeddedDefault(t *testing.T) {
	base, logs, stop := startRun(t, map[string]string{})
	for _, want := range []string{"in-process Tiquo simulator", "caching in memory"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("startup log does not say %q:\n%s", want, logs)
		}
	}
	// No client keys are needed with the embedded simulator.
	resp, err := http.Post(base+"/graphql", "application/json",
		strings.NewReader(`{"query":"{ customer(customerNumber: \"CUST-000001\") { displayName email } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The one upstream call took a token from the default budget.
	if want := `{"data":{"customer":{"displayName":"John Doe","email":"john@example.com"}},` +
		`"extensions":{"budget":{"limit":1000,"remaining":999}}}`; string(body) != want {
		t.Errorf("first query = %s; want %s", body, want)
	}
	// GraphiQL at /.
	resp, err = http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(page)), "graphiql") {
		t.Errorf("GET / = %d; want the GraphiQL page", resp.StatusCode)
	}
	// Readiness reports the upstream and the cache.
	resp, err = http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready map[string]string
	json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if resp.StatusCode != 200 || ready["upstream"] != "reachable" || ready["cache"] != "ok" {
		t.Errorf("/readyz = %d %v; want 200, upstream reachable, cache ok", resp.StatusCode, ready)
	}
	if err := stop(); err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Errorf("log does not record the shutdown:\n%s", logs)
	}
}

// TestRunEmbeddedKomerza: UPSTREAM_VENDOR=komerza serves the in-process
// Komerza simulator, and says so.
func TestRunEmbeddedKomerza(t *testing.T) {
	base, logs, _ := startRun(t, map[string]string{"UPSTREAM_VENDOR": "komerza"})
	for _, want := range []string{"in-process Komerza simulator", "vendor=komerza", "caching in memory"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("startup log does not say %q:\n%s", want, logs)
		}
	}
	resp, err := http.Post(base+"/graphql", "application/json",
		strings.NewReader(`{"query":"{ customers(first: 2) { nodes { id vendor email balance } } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Data struct {
			Customers struct {
				Nodes []struct {
					ID, Vendor, Email string
					Balance           *float64
				}
			}
		}
		Errors []any
	}
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if n := out.Data.Customers.Nodes; len(out.Errors) > 0 || len(n) != 2 || n[0].Vendor != "KOMERZA" || len(n[0].ID) != 36 || n[0].Balance == nil {
		t.Errorf("first Komerza query = %+v; want two KOMERZA customers with UUIDs and balances", out)
	}
}

// TestRunEmbeddedXtrakit: UPSTREAM_VENDOR=xtrakit serves the in-process
// Xtrakit simulator, lookups by email included.
func TestRunEmbeddedXtrakit(t *testing.T) {
	base, logs, _ := startRun(t, map[string]string{"UPSTREAM_VENDOR": "xtrakit"})
	for _, want := range []string{"in-process Xtrakit simulator", "vendor=xtrakit"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("startup log does not say %q:\n%s", want, logs)
		}
	}
	resp, err := http.Post(base+"/graphql", "application/json",
		strings.NewReader(`{"query":"{ customer(email: \"JANE.DOE@example.com\") { id vendor displayName phone groups { name } } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"id":"1","vendor":"XTRAKIT","displayName":"Jane Doe","phone":"+233244567890","groups":[{"name":"Premium Customers"}`) {
		t.Errorf("first Xtrakit query = %s; want Jane Doe with her groups", body)
	}
}

// TestRunListensOnLoopbackInDemoMode: without client keys the service
// can be reached from this machine only, and says so; with keys, from
// other hosts too.
func TestRunListensOnLoopbackInDemoMode(t *testing.T) {
	external := externalIPv4(t)
	reachable := func(base string) bool {
		port := base[strings.LastIndexByte(base, ':')+1:]
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(external, port), 2*time.Second)
		if err == nil {
			conn.Close()
		}
		return err == nil
	}

	base, logs, stop := startRun(t, map[string]string{})
	port := base[strings.LastIndexByte(base, ':')+1:]
	if !strings.Contains(logs.String(), "listening on loopback only") {
		t.Errorf("demo mode's log does not say it listens on loopback only:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "addr=127.0.0.1:"+port) {
		t.Errorf("demo mode's log does not show the loopback address:\n%s", logs)
	}
	if external != "" && reachable(base) {
		t.Errorf("demo mode is reachable on %s; want loopback only", external)
	}
	stop()

	s := newStack(t, stackOptions{redisAddr: "memory"})
	base, logs, _ = startRun(t, map[string]string{
		"UPSTREAM_URL": s.simURL, "UPSTREAM_API_KEY": testUpstreamKey, "FACADE_API_KEYS": testKey,
	})
	if strings.Contains(logs.String(), "loopback only") {
		t.Errorf("with client keys the log says loopback only:\n%s", logs)
	}
	if external != "" && !reachable(base) {
		t.Errorf("with client keys the service is not reachable on %s", external)
	}
}

// externalIPv4 returns one of this machine's non-loopback IPv4 addresses,
// or "" (logged) if it has none.
func externalIPv4(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	t.Log("no non-loopback IPv4 address: only the log is checked")
	return ""
}

// TestHealthcheck: -healthcheck's check asks the service on PORT, and
// fails where none answers.
func TestHealthcheck(t *testing.T) {
	base, _, _ := startRun(t, map[string]string{})
	port := base[strings.LastIndexByte(base, ':')+1:]
	if err := checkHealth(t.Context(), func(k string) string { return map[string]string{"PORT": port}[k] }); err != nil {
		t.Errorf("healthcheck of a running service: %v; want nil", err)
	}
	free := fmt.Sprint(freePort(t))
	if err := checkHealth(t.Context(), func(k string) string { return map[string]string{"PORT": free}[k] }); err == nil {
		t.Error("healthcheck where nothing listens: nil; want an error")
	}
	if err := checkHealth(t.Context(), func(k string) string { return map[string]string{"PORT": "http"}[k] }); err == nil {
		t.Error("healthcheck with PORT=http: nil; want an error")
	}
}

func TestRunMasksSecrets(t *testing.T) {
	const upstreamKey, clientKey = "upstream-secret-4711", "client-secret-0815"
	s := newStack(t, stackOptions{redisAddr: "memory"}) // a simulator to point at
	redisPassword := "redis-pass-1234"
	_, logs, stop := startRun(t, map[string]string{
		"UPSTREAM_URL":     s.simURL,
		"UPSTREAM_API_KEY": upstreamKey,
		"FACADE_API_KEYS":  clientKey,
		"REDIS_URL":        "redis://:" + redisPassword + "@" + cachetest.Redis(t),
		"LOG_LEVEL":        "debug",
	})
	stop()
	out := logs.String()
	for _, secret := range []string{upstreamKey, clientKey, redisPassword, s.simURL} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "upstreamApiKey=[set]") {
		t.Errorf("log does not show the upstream key as masked:\n%s", out)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"UPSTREAM_URL": "http://127.0.0.1:1"}, "FACADE_API_KEYS must be set"},
		{map[string]string{"UPSTREAM_URL": "ftp://x", "FACADE_API_KEYS": "k"}, "UPSTREAM_URL must be an http or https URL"},
		{map[string]string{"CACHE_TTL": "forever"}, "CACHE_TTL"},
		{map[string]string{"PORT": "99999"}, "PORT"},
		{map[string]string{"INTROSPECTION": "maybe"}, "INTROSPECTION"},
		{map[string]string{"LOG_LEVEL": "loud", "LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{map[string]string{"REDIS_COOLDOWN": "soon"}, "REDIS_COOLDOWN"},
		{map[string]string{"REDIS_MODE": "sharded"}, `REDIS_MODE="sharded": want single or cluster`},
		{map[string]string{"REDIS_MODE": "cluster"}, "REDIS_MODE: cluster needs REDIS_URL"},
		{map[string]string{"REDIS_FALLBACK_ENTRIES": "-1"}, "REDIS_FALLBACK_ENTRIES"},
		{map[string]string{"REDIS_FALLBACK_TTL": "10ms"}, "REDIS_FALLBACK_TTL"},
		{map[string]string{"UPSTREAM_VENDOR": "shopify"}, `vendor "shopify": want tiquo, komerza or xtrakit`},
		{map[string]string{"UPSTREAM_VENDOR": "xtrakit", "XTRAKIT_TIME_ZONE": "Mars/Olympus"}, "not an IANA time zone"},
		{map[string]string{"XTRAKIT_TIME_ZONE": "Africa/Accra"}, "timeZone is for xtrakit tenants only"},
		{map[string]string{"UPSTREAM_VENDOR": "komerza", "UPSTREAM_URL": "http://127.0.0.1:1", "FACADE_API_KEYS": "k"}, "a komerza tenant needs storeId"},
		{map[string]string{"UPSTREAM_VENDOR": "komerza", "KOMERZA_STORE_ID": "store-1"}, "storeId must be a UUID"},
		{map[string]string{"KOMERZA_STORE_ID": "11111111-1111-4111-8111-111111111111"}, "storeId is for komerza tenants only"},
		{map[string]string{"UPSTREAM_VENDOR": "komerza", "TENANTS": `{"tenants":[{"name":"a","clientKeys":["k"]}]}`}, "go in the table"},
		{map[string]string{"TENANTS": `{"tenants":[{"name":"a","vendor":"komerza","upstreamUrl":"http://127.0.0.1:1","upstreamApiKey":"u","clientKeys":["k"]}]}`}, `tenant "a": a komerza tenant needs storeId`},
		{map[string]string{"UPSTREAM_URL": "http://127.0.0.1:1", "FACADE_API_KEYS": "k1,k2", "ADMIN_API_KEYS": "a1,k2"}, "ADMIN_API_KEYS: key 2 is also a client key"},
		{map[string]string{"AUTH_MODE": "passthrough", "ADMIN_API_KEYS": "a1"}, "AUTH_MODE=passthrough has no tenants"},
	}
	for _, tt := range tests {
		_, err := loadConfig(func(k string) string { return tt.env[k] })
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("loadConfig(%v) error = %v; want one mentioning %q", tt.env, err, tt.want)
		}
	}
	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.CacheTTL != 5*time.Minute || !c.Introspection || c.RedisCooldown != time.Second || c.Tenants[0].Vendor != "TIQUO" ||
		c.RedisCluster || c.RedisFallback != 10_000 || c.RedisFallbackTTL != 10*time.Second {
		t.Errorf("defaults = %+v; want port 8080, TTL 5m, introspection on, Redis cooldown 1s, vendor Tiquo, one Redis, a fallback of 10,000 entries for 10s", c)
	}
	// Two Komerza tenants of one key differ by store, and are two
	// accounts; the same store twice is one.
	row := func(name, store string) string {
		return `{"name":"` + name + `","vendor":"komerza","upstreamUrl":"http://127.0.0.1:1","upstreamApiKey":"u","storeId":"` + store + `","clientKeys":["k-` + name + `"]}`
	}
	const s1, s2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
	if _, err := loadConfig(func(k string) string {
		return map[string]string{"TENANTS": `{"tenants":[` + row("a", s1) + `,` + row("b", s2) + `]}`}[k]
	}); err != nil {
		t.Errorf("two stores of one key: %v; want two tenants", err)
	}
	if _, err := loadConfig(func(k string) string {
		return map[string]string{"TENANTS": `{"tenants":[` + row("a", s1) + `,` + row("b", strings.ToUpper(s1)) + `]}`}[k]
	}); err == nil || !strings.Contains(err.Error(), "same upstream URL and key") {
		t.Errorf("one store twice: %v; want the one-account error", err)
	}
}

func TestIntrospectionSwitch(t *testing.T) {
	const q = `{ __schema { queryType { name } } }`
	on := newStack(t, stackOptions{redisAddr: "memory"})
	if r := on.post(q, nil); len(r.Errors) != 0 {
		t.Errorf("introspection on: errors %+v", r.Errors)
	}
	off := newStack(t, stackOptions{redisAddr: "memory", env: map[string]string{"INTROSPECTION": "false"}})
	if r := off.post(q, nil); len(r.Errors) == 0 {
		t.Error("introspection off: the schema query succeeded; want an error")
	}
}

func TestComplexityLimit(t *testing.T) {
	s := newStack(t, stackOptions{redisAddr: "memory", env: map[string]string{"COMPLEXITY_LIMIT": "500"}})
	// 10 nodes × 3 fields fits; 100 nodes × 6 fields does not, and is
	// refused before any upstream call.
	if r := s.post(`{ customers(first: 10) { nodes { id email phone } } }`, nil); len(r.Errors) != 0 {
		t.Errorf("small page: errors %+v", r.Errors)
	}
	s.resetStats()
	r := s.post(`{ customers(first: 100) { nodes { id email phone status createdAt updatedAt } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Errorf("big page: errors %+v; want one complexity error with a code", r.Errors)
	}
	if got := s.stats(); got.Total != 0 {
		t.Errorf("refused query cost %d upstream calls; want 0", got.Total)
	}
	// Repeated, as priced once (see cachedComplexity): the same answers,
	// and a variable still counts.
	for range 3 {
		if r := s.post(`{ customers(first: 10) { nodes { id email phone } } }`, nil); len(r.Errors) != 0 {
			t.Errorf("small page again: errors %+v", r.Errors)
		}
		again := s.post(`{ customers(first: 100) { nodes { id email phone status createdAt updatedAt } } }`, nil)
		if len(again.Errors) != 1 || again.Errors[0].Message != r.Errors[0].Message {
			t.Errorf("big page again: errors %+v; want %+v", again.Errors, r.Errors)
		}
		const byVar = `query($n: Int) { customers(first: $n) { nodes { id email phone } } }`
		if r := s.post(byVar, map[string]any{"n": 10}); len(r.Errors) != 0 {
			t.Errorf("small page by variable: errors %+v", r.Errors)
		}
		if r := s.post(byVar, map[string]any{"n": 100}); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "COMPLEXITY_LIMIT_EXCEEDED" {
			t.Errorf("big page by variable: errors %+v; want a complexity error", r.Errors)
		}
	}
}

func TestMetrics(t *testing.T) {
	s := newStack(t, stackOptions{})
	// The breaker's gauge is exported, closed, before the first request.
	if got := s.metric(`customergraph_upstream_circuit_open{tenant="default"}`); got != 0 {
		t.Errorf("circuit_open before any request = %v; want 0 (-1: absent)", got)
	}
	s.query(`{ customer(customerNumber: "CUST-000001") { id } }`, nil, nil)
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"customergraph_cache_misses_total", "customergraph_cache_hits_total", "go_goroutines",
		`customergraph_upstream_requests_total{op="get",outcome="ok"} 1`,
		`customergraph_upstream_request_duration_seconds_count{op="get"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestParserTokenLimit(t *testing.T) {
	s := newStack(t, stackOptions{redisAddr: "memory", env: map[string]string{"PARSER_TOKEN_LIMIT": "200"}})
	var b strings.Builder
	b.WriteString("{")
	for i := range 100 {
		fmt.Fprintf(&b, " a%d: __typename", i) // 3 tokens each
	}
	b.WriteString(" }")
	r := s.post(b.String(), nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "TOKEN_LIMIT_EXCEEDED" || r.Status != http.StatusUnprocessableEntity {
		t.Errorf("query of 300 tokens with a limit of 200: %d, errors %+v; want 422 TOKEN_LIMIT_EXCEEDED", r.Status, r.Errors)
	}
	if r := s.post(`{ __typename }`, nil); len(r.Errors) != 0 {
		t.Errorf("small query: errors %+v", r.Errors)
	}
}

func TestCORS(t *testing.T) {
	s := newStack(t, stackOptions{redisAddr: "memory", env: map[string]string{"CORS_ORIGINS": "https://app.example.com"}})
	for _, tt := range []struct {
		origin, want string
	}{
		{"https://app.example.com", "https://app.example.com"},
		{"https://evil.example.net", ""},
	} {
		req, _ := http.NewRequest(http.MethodOptions, s.url+"/graphql", nil)
		req.Header.Set("Origin", tt.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.want {
			t.Errorf("preflight from %s: Allow-Origin %q; want %q", tt.origin, got, tt.want)
		}
		if tt.want != "" && !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("preflight from %s: Allow-Headers %q; want Authorization allowed", tt.origin, resp.Header.Get("Access-Control-Allow-Headers"))
		}
	}
}

func TestTuneGC(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for _, tc := range []struct {
		env         map[string]string
		wantLimit   int64
		wantPercent int
	}{
		{env: nil, wantLimit: 72 << 20, wantPercent: 300},
		// Set in the environment: the runtime has read them already
		// (stood in for by the values set below), and tuneGC leaves them.
		{env: map[string]string{"GOMEMLIMIT": "1GiB", "GOGC": "50"}, wantLimit: 1 << 30, wantPercent: 50},
	} {
		debug.SetMemoryLimit(1 << 30)
		debug.SetGCPercent(50)
		tuneGC(func(k string) string { return tc.env[k] })
		if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
			t.Errorf("env %v: memory limit %d; want %d", tc.env, got, tc.wantLimit)
		}
		if got := gcPercent(); got != tc.wantPercent {
			t.Errorf("env %v: GOGC %d; want %d", tc.env, got, tc.wantPercent)
		}
	}
}

func TestRedisLoggerHidesAddresses(t *testing.T) {
	var buf syncBuffer
	l := redisLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Printf(context.Background(), "redis: discarding bad PubSub connection: read tcp %s->%s: i/o timeout", "127.0.0.1:54321", "10.0.0.7:7001")
	l.Printf(context.Background(), "cluster: node %s and %s failing", "[::1]:6380", "redis-node-1.internal:6379")
	got := buf.String()
	for _, addr := range []string{"54321", "10.0.0.7", "7001", "[::1]", "6380", "redis-node-1", "6379"} {
		if strings.Contains(got, addr) {
			t.Errorf("the log holds %q:\n%s", addr, got)
		}
	}
	if !strings.Contains(got, "i/o timeout") || !strings.Contains(got, "failing") {
		t.Errorf("the log lost the messages:\n%s", got)
	}
}
