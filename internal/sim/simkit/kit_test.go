package simkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"customergraph/internal/fakeclock"
)

// toy is a vendor with three routes: GET /things/{id}, GET /things and
// PUT /things/{id}. Its errors are {"status":n,"cause":c,"message":m,"target":t}.
type toy struct {
	kit *Kit
}

func newToy(cfg Config) (*toy, *httptest.Server) {
	v := &toy{}
	v.kit = New(cfg, Hooks{
		Match:      v.match,
		WriteError: v.writeError,
		Customers: func() []Customer {
			return []Customer{
				{ID: "1", Email: Ptr("a@example.com"), Name: Ptr("Ann")},
				{ID: "2", Phone: Ptr("+15550000002"), CustomerNumber: Ptr("N-2")},
			}
		},
	})
	return v, httptest.NewServer(v.kit)
}

func (v *toy) match(r *http.Request) Match {
	path := r.URL.Path
	ok := func(w http.ResponseWriter, c *Call) {
		WriteJSON(w, http.StatusOK, map[string]any{"key": c.Key, "canWrite": c.CanWrite, "body": string(c.Body), "tooLarge": c.TooLarge})
	}
	switch {
	case path == "/things":
		if r.Method == http.MethodGet {
			return Match{Route: RouteList, Serve: ok}
		}
		return Match{Allow: "GET"}
	case strings.HasPrefix(path, "/things/"):
		id := strings.TrimPrefix(path, "/things/")
		switch r.Method {
		case http.MethodGet:
			return Match{Route: RouteGet, Target: id, Serve: ok}
		case http.MethodPut:
			return Match{Route: RoutePatch, Target: id, Serve: ok}
		}
		return Match{Target: id, Allow: "GET, PUT"}
	}
	return Match{}
}

type toyError struct {
	Status  int    `json:"status"`
	Cause   Cause  `json:"cause"`
	Message string `json:"message"`
	Route   string `json:"route"`
	Target  string `json:"target"`
}

func (v *toy) writeError(w http.ResponseWriter, f *Failure) {
	WriteJSON(w, f.Status, toyError{f.Status, f.Cause, f.Message, f.Route.String(), f.Target})
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func send(t *testing.T, base, method, path, key, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func wantToyError(t *testing.T, r reply, status int, cause Cause, msg string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status: got %d; want %d (%s)", r.status, status, r.body)
	}
	var e toyError
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	if e.Cause != cause || e.Message != msg {
		t.Errorf("error: got cause %d %q; want cause %d %q", e.Cause, e.Message, cause, msg)
	}
}

func TestPipeline(t *testing.T) {
	_, srv := newToy(Config{APIKeys: []string{"w", "r:read"}})
	defer srv.Close()
	tests := []struct {
		name, method, path, auth string
		status                   int
		cause                    Cause
		msg                      string
	}{
		{"no route", "GET", "/nope", "Bearer w", 404, NoRoute, "Not found: /nope"},
		{"wrong method", "DELETE", "/things/7", "Bearer w", 405, NoRoute, "Method DELETE not allowed on /things/7"},
		{"no header", "GET", "/things/7", "", 401, NoKey, "Missing or invalid API key"},
		{"another scheme", "GET", "/things/7", "Basic dzp4", 401, NoKey, "Missing or invalid API key"},
		{"empty bearer", "GET", "/things/7", "Bearer ", 401, NoKey, "Missing or invalid API key"},
		{"unknown key", "GET", "/things/7", "Bearer zzz", 401, BadKey, "Missing or invalid API key"},
		{"read suffix is not part of the key", "GET", "/things/7", "Bearer r:read", 401, BadKey, "Missing or invalid API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantToyError(t, send(t, srv.URL, tt.method, tt.path, tt.auth, ""), tt.status, tt.cause, tt.msg)
		})
	}
	if got := send(t, srv.URL, "DELETE", "/things", "Bearer w", "").header.Get("Allow"); got != "GET" {
		t.Errorf("Allow: got %q; want GET", got)
	}

	for _, tt := range []struct {
		key   string
		write bool
	}{{"w", true}, {"r", false}} {
		r := send(t, srv.URL, "PUT", "/things/7", "bearer "+tt.key, `{"x":1}`)
		var got map[string]any
		json.Unmarshal(r.body, &got)
		want := map[string]any{"key": tt.key, "canWrite": tt.write, "body": `{"x":1}`, "tooLarge": false}
		if r.status != 200 || !reflect.DeepEqual(got, want) {
			t.Errorf("PUT with key %s: got %d %v; want 200 %v", tt.key, r.status, got, want)
		}
	}
	r := send(t, srv.URL, "PUT", "/things/7", "Bearer w", strings.Repeat("x", MaxBody+5))
	var got map[string]any
	json.Unmarshal(r.body, &got)
	if got["tooLarge"] != true || len(got["body"].(string)) != MaxBody {
		t.Errorf("oversized body: got tooLarge %v, %d bytes; want true, %d", got["tooLarge"], len(got["body"].(string)), MaxBody)
	}
}

func TestParseKeys(t *testing.T) {
	tests := []struct {
		in   []string
		want map[string]bool
	}{
		{nil, map[string]bool{DefaultAPIKey: true}},
		{[]string{" ", ""}, map[string]bool{DefaultAPIKey: true}},
		{[]string{"a", " b:read ", "c"}, map[string]bool{"a": true, "b": false, "c": true}},
		{[]string{":read"}, map[string]bool{DefaultAPIKey: true}},
	}
	for _, tt := range tests {
		if got := ParseKeys(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseKeys(%q): got %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestSetAPIKeysRevokes(t *testing.T) {
	v, srv := newToy(Config{})
	defer srv.Close()
	if r := send(t, srv.URL, "GET", "/things", "Bearer "+DefaultAPIKey, ""); r.status != 200 {
		t.Fatalf("default key: got %d; want 200", r.status)
	}
	v.kit.SetAPIKeys("other")
	wantToyError(t, send(t, srv.URL, "GET", "/things", "Bearer "+DefaultAPIKey, ""), 401, BadKey, "Missing or invalid API key")
	if got, want := v.kit.Keys(), map[string]bool{"other": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("Keys: got %v; want %v", got, want)
	}
}

func TestStatsAndLog(t *testing.T) {
	v, srv := newToy(Config{})
	defer srv.Close()
	key := "Bearer " + DefaultAPIKey
	send(t, srv.URL, "GET", "/things/1", key, "")
	send(t, srv.URL, "GET", "/things/2", "", "") // 401 still counts
	send(t, srv.URL, "GET", "/things?q=%C3%A9", key, "")
	send(t, srv.URL, "PUT", "/things/1", key, "{}")
	send(t, srv.URL, "GET", "/nope", key, "")
	send(t, srv.URL, "GET", "/__sim/stats", "", "") // control: not counted

	want := Stats{Get: 2, List: 1, Patch: 1, Total: 5, PeakInFlight: 1}
	if got := v.kit.Stats(); got != want {
		t.Errorf("Stats: got %+v; want %+v", got, want)
	}
	var got Stats
	json.Unmarshal(send(t, srv.URL, "GET", "/__sim/stats", "", "").body, &got)
	if got != want {
		t.Errorf("/__sim/stats: got %+v; want %+v", got, want)
	}
	wantLog := []Request{
		{Method: "GET", Path: "/things/1"},
		{Method: "GET", Path: "/things/2"},
		{Method: "GET", Path: "/things", Query: "q=%C3%A9"},
		{Method: "PUT", Path: "/things/1", Body: "{}"},
		{Method: "GET", Path: "/nope"},
	}
	if got := v.kit.Requests(); !reflect.DeepEqual(got, wantLog) {
		t.Errorf("Requests: got %+v; want %+v", got, wantLog)
	}
	var log []Request
	json.Unmarshal(send(t, srv.URL, "GET", "/__sim/requests", "", "").body, &log)
	if !reflect.DeepEqual(log, wantLog) {
		t.Errorf("/__sim/requests: got %+v; want %+v", log, wantLog)
	}
	for i := range RequestLogSize + 20 {
		send(t, srv.URL, "GET", fmt.Sprintf("/things/%d", i), key, "")
	}
	if l := v.kit.Requests(); len(l) != RequestLogSize || l[0].Path != "/things/20" {
		t.Errorf("Requests after %d more: got %d starting %s; want %d starting /things/20", RequestLogSize+20, len(l), l[0].Path, RequestLogSize)
	}

	if r := send(t, srv.URL, "POST", "/__sim/reset", "", ""); r.status != http.StatusNoContent {
		t.Errorf("reset: got %d; want 204", r.status)
	}
	if got := v.kit.Stats(); got != (Stats{}) {
		t.Errorf("Stats after reset: got %+v; want zero", got)
	}
	if r := send(t, srv.URL, "GET", "/__sim/requests", "", ""); strings.TrimSpace(string(r.body)) != "[]" {
		t.Errorf("/__sim/requests after reset: got %s; want []", r.body)
	}
}

func TestControlEndpoints(t *testing.T) {
	_, srv := newToy(Config{})
	defer srv.Close()
	r := send(t, srv.URL, "GET", "/__sim/customers", "", "")
	want := `[{"id":"1","email":"a@example.com","phone":null,"customerNumber":null,"name":"Ann"},` +
		`{"id":"2","email":null,"phone":"+15550000002","customerNumber":"N-2","name":null}]`
	if got := strings.TrimSpace(string(r.body)); r.status != 200 || got != want {
		t.Errorf("/__sim/customers: got %d %s; want 200 %s", r.status, got, want)
	}

	wantToyError(t, send(t, srv.URL, "GET", "/__sim/nope", "", ""), 404, Control, "Not found: /__sim/nope")
	r = send(t, srv.URL, "PUT", "/__sim/faults", "", "")
	wantToyError(t, r, 405, Control, "Method PUT not allowed")
	if got := r.header.Get("Allow"); got != "GET, POST, DELETE" {
		t.Errorf("Allow: got %q; want GET, POST, DELETE", got)
	}
	wantToyError(t, send(t, srv.URL, "POST", "/__sim/customers", "", ""), 405, Control, "Method POST not allowed")
	wantToyError(t, send(t, srv.URL, "POST", "/__sim/faults", "", `{"status":200}`), 400, Control, "invalid faults: status 200 is not 0 or 400–599")

	// Without a Customers hook the list is empty, not null.
	k := New(Config{}, Hooks{Match: func(*http.Request) Match { return Match{} }, WriteError: func(http.ResponseWriter, *Failure) {}})
	rec := httptest.NewRecorder()
	k.ServeHTTP(rec, httptest.NewRequest("GET", "/__sim/customers", nil))
	if got := strings.TrimSpace(rec.Body.String()); got != "[]" {
		t.Errorf("/__sim/customers without a hook: got %s; want []", got)
	}
}

func TestFaults(t *testing.T) {
	v, srv := newToy(Config{})
	defer srv.Close()
	key := "Bearer " + DefaultAPIKey
	if err := v.kit.SetFaults(Faults{Status: 503, Routes: []string{"GET", "patch"}}); err != nil {
		t.Fatal(err)
	}
	// Before authentication, with the target.
	r := send(t, srv.URL, "GET", "/things/42", "", "")
	wantToyError(t, r, 503, Injected, "Service Unavailable")
	var e toyError
	json.Unmarshal(r.body, &e)
	if e.Target != "42" || e.Route != "get" {
		t.Errorf("fault target and route: got %q %q; want 42 get", e.Target, e.Route)
	}
	wantToyError(t, send(t, srv.URL, "PUT", "/things/42", key, "{}"), 503, Injected, "Service Unavailable")
	if r := send(t, srv.URL, "GET", "/things", key, ""); r.status != 200 {
		t.Errorf("list outside the fault's routes: got %d; want 200", r.status)
	}
	wantToyError(t, send(t, srv.URL, "GET", "/nope", key, ""), 404, NoRoute, "Not found: /nope")

	r = send(t, srv.URL, "POST", "/__sim/faults", "", `{"status":429,"retryAfter":7}`)
	if r.status != 200 {
		t.Fatalf("POST faults: got %d %s", r.status, r.body)
	}
	r = send(t, srv.URL, "GET", "/things", key, "")
	wantToyError(t, r, 429, Injected, "Too Many Requests")
	if got := r.header.Get("Retry-After"); got != "7" {
		t.Errorf("Retry-After: got %q; want 7", got)
	}
	send(t, srv.URL, "POST", "/__sim/faults", "", `{"status":599}`)
	wantToyError(t, send(t, srv.URL, "GET", "/things", key, ""), 599, Injected, "Error 599")

	var got Faults
	json.Unmarshal(send(t, srv.URL, "GET", "/__sim/faults", "", "").body, &got)
	if want := (Faults{Status: 599, Rate: 1, Routes: []string{}}); !reflect.DeepEqual(got, want) {
		t.Errorf("GET /__sim/faults: got %+v; want %+v", got, want)
	}
	send(t, srv.URL, "DELETE", "/__sim/faults", "", "")
	if r := send(t, srv.URL, "GET", "/things", key, ""); r.status != 200 {
		t.Errorf("after DELETE /__sim/faults: got %d; want 200", r.status)
	}
	if got := v.kit.Faults(); got.Status != 0 || got.Routes == nil {
		t.Errorf("Faults after clear: got %+v; want none with empty routes", got)
	}
}

func TestFaultsValidate(t *testing.T) {
	tests := []struct {
		in   Faults
		want Faults
		err  bool
	}{
		{Faults{Status: 503}, Faults{Status: 503, Rate: 1, Routes: []string{}}, false},
		{Faults{Status: 429}, Faults{Status: 429, Rate: 1, Routes: []string{}, RetryAfter: DefaultRetryAfter}, false},
		{Faults{Latency: time.Second, Rate: 0.5}, Faults{Latency: time.Second, Routes: []string{}}, false},
		{Faults{Status: 500, Routes: []string{" List ", "list", "get"}}, Faults{Status: 500, Rate: 1, Routes: []string{"list", "get"}}, false},
		{in: Faults{Status: 302}, err: true},
		{in: Faults{Status: 500, Rate: 2}, err: true},
		{in: Faults{Latency: -1}, err: true},
		{in: Faults{RetryAfter: -1}, err: true},
		{in: Faults{Routes: []string{"put"}}, err: true},
	}
	for _, tt := range tests {
		got, err := tt.in.Validate()
		if (err != nil) != tt.err {
			t.Errorf("Validate(%+v): got error %v; want error %v", tt.in, err, tt.err)
			continue
		}
		if !tt.err && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Validate(%+v): got %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func TestFaultRateDraws(t *testing.T) {
	v, srv := newToy(Config{Seed: 3})
	defer srv.Close()
	v.kit.SetFaults(Faults{Status: 500, Rate: 0.25})
	failed := 0
	for range 400 {
		if send(t, srv.URL, "GET", "/things", "Bearer "+DefaultAPIKey, "").status == 500 {
			failed++
		}
	}
	if failed < 60 || failed > 140 {
		t.Errorf("failures at rate 0.25: got %d of 400; want about 100", failed)
	}
}

func TestRateLimit(t *testing.T) {
	clock := fakeclock.At(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	v, srv := newToy(Config{RateLimit: 2, APIKeys: []string{"a", "b"}, Now: clock.Now})
	defer srv.Close()
	if v.kit.RateLimit() != 2 {
		t.Errorf("RateLimit: got %d; want 2", v.kit.RateLimit())
	}
	for range 2 {
		if r := send(t, srv.URL, "GET", "/things", "Bearer a", ""); r.status != 200 {
			t.Fatalf("within limit: got %d; want 200", r.status)
		}
	}
	clock.Advance(20 * time.Minute)
	r := send(t, srv.URL, "GET", "/things", "Bearer a", "")
	wantToyError(t, r, 429, RateLimited, "Too Many Requests")
	if got := r.header.Get("Retry-After"); got != "2400" {
		t.Errorf("Retry-After: got %q; want 2400", got)
	}
	if r := send(t, srv.URL, "GET", "/things", "Bearer b", ""); r.status != 200 {
		t.Errorf("another key: got %d; want 200", r.status)
	}
	send(t, srv.URL, "GET", "/things", "Bearer nope", "") // 401s spend no window
	clock.Advance(40 * time.Minute)
	if r := send(t, srv.URL, "GET", "/things", "Bearer a", ""); r.status != 200 {
		t.Errorf("next window: got %d; want 200", r.status)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "1", time.Millisecond: "1", time.Second: "1", 1001 * time.Millisecond: "2", time.Hour: "3600"} {
		if got := RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v): got %s; want %s", d, got, want)
		}
	}
}

func TestLatencyAndCancellation(t *testing.T) {
	v, srv := newToy(Config{Latency: 5 * time.Second})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/things/1", nil)
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error: got %v; want context.DeadlineExceeded", err)
	}
	if got := time.Since(start); got > 2*time.Second {
		t.Errorf("request took %v; want the 50ms deadline to end it", got)
	}
	start = time.Now()
	send(t, srv.URL, "GET", "/__sim/stats", "", "")
	if got := time.Since(start); got > time.Second {
		t.Errorf("/__sim/stats took %v; want no latency", got)
	}
	if got := v.kit.Stats().Get; got != 1 {
		t.Errorf("Stats.Get: got %d; want 1", got)
	}
}

func TestPeakInFlight(t *testing.T) {
	v, srv := newToy(Config{Latency: 50 * time.Millisecond})
	defer srv.Close()
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() { send(t, srv.URL, "GET", "/things", "Bearer "+DefaultAPIKey, "") })
	}
	wg.Wait()
	if got := v.kit.Stats().PeakInFlight; got < 2 || got > 6 {
		t.Errorf("PeakInFlight: got %d; want 2..6", got)
	}
}

func TestUUID(t *testing.T) {
	seen := make(map[string]bool)
	for n := range uint32(200_000) {
		u := UUID(12345, n)
		if seen[u] {
			t.Fatalf("UUID(12345, %d) = %s: a repeat", n, u)
		}
		seen[u] = true
		if p, ok := ParseUUID(u); !ok || p != u || u[14] != '4' || !strings.ContainsRune("89ab", rune(u[19])) {
			t.Fatalf("UUID(12345, %d) = %s: not a lower-case version 4 UUID", n, u)
		}
	}
	if a, b := UUID(1, 7), UUID(1, 7); a != b || a == UUID(2, 7) {
		t.Errorf("UUID: want the same for the same key and n, different for another key")
	}
}

func TestParseUUID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"3c90c3cc-0d44-4b50-8888-8dd25736052a", "3c90c3cc-0d44-4b50-8888-8dd25736052a", true},
		{"3C90C3CC-0D44-4B50-8888-8DD25736052A", "3c90c3cc-0d44-4b50-8888-8dd25736052a", true},
		{"3c90c3cc0d444b5088888dd25736052a", "", false},
		{"{3c90c3cc-0d44-4b50-8888-8dd25736052a}", "", false},
		{"3c90c3cc-0d44-4b50-8888-8dd25736052g", "", false},
		{"3c90c3cc-0d44-4b50-8888_8dd25736052a", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseUUID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseUUID(%q): got %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	build := func(seq int, r *rand.Rand) [2]uint64 { return [2]uint64{uint64(seq), r.Uint64()} }
	a := Generate(30_000, 7, 1, build)
	b := Generate(30_000, 7, 1, build)
	c := Generate(30_000, 7, 2, build)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Generate: got different data for the same seed and stream")
	}
	if reflect.DeepEqual(a, c) {
		t.Errorf("Generate: got the same data for another stream")
	}
	for i, v := range a {
		if v[0] != uint64(i+1) {
			t.Fatalf("Generate: item %d has seq %d; want %d", i, v[0], i+1)
		}
	}
	// Item seq does not depend on the set size.
	if small := Generate(10, 7, 1, build); !reflect.DeepEqual(small, a[:10]) {
		t.Errorf("Generate: the first 10 of 30000 differ from a set of 10")
	}
	if got := Generate(0, 7, 1, build); len(got) != 0 {
		t.Errorf("Generate(0): got %d items; want 0", len(got))
	}
}

// TestWriteJSONSaysItsLength: a JSON body comes with its Content-Length, as
// the vendors' APIs send it, so a client can size its buffer once.
func TestWriteJSONSaysItsLength(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"data": strings.Repeat("x", 64<<10)})
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.ContentLength != int64(len(body)) || len(body) < 64<<10 {
		t.Errorf("Content-Length %d for a body of %d bytes; want the body's length", resp.ContentLength, len(body))
	}
}
