package tiquosim

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"customergraph/internal/fakeclock"
)

// testKey is the default API key.
const testKey = DefaultAPIKey

// newFakeClock returns a settable clock for Options.Now.
func newFakeClock() *fakeclock.Clock {
	return fakeclock.At(time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC))
}

// testClient talks to a Server over a real loopback listener.
type testClient struct {
	t    testing.TB
	base string
	key  string
	hc   *http.Client
}

// newTestServer starts s on a loopback listener closed at the end of the test.
func newTestServer(t testing.TB, opts Options) (*Server, *testClient) {
	t.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, &testClient{t: t, base: ts.URL, key: testKey, hc: ts.Client()}
}

// withKey returns a client that sends key ("" sends no Authorization).
func (c *testClient) withKey(key string) *testClient {
	d := *c
	d.key = key
	return &d
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; path is already escaped and may carry a query.
func (c *testClient) do(method, path, body string) response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("new request %s %s: %v", method, path, err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (c *testClient) get(path string) response { return c.do(http.MethodGet, path, "") }

func (c *testClient) patch(path, body string) response {
	return c.do(http.MethodPatch, path, body)
}

// wantStatus fails the test unless r has the status.
func wantStatus(t testing.TB, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status: got %d; want %d (body %s)", r.status, want, r.body)
	}
}

// decode unmarshals r's body into v.
func decode(t testing.TB, r response, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

var timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// wantStringError checks the get/list docs' error body: exactly success,
// error and timestamp.
func wantStringError(t testing.TB, r response, status int, msg string) {
	t.Helper()
	wantStatus(t, r, status)
	var m map[string]any
	decode(t, r, &m)
	if got, want := slices.Sorted(maps.Keys(m)), []string{"error", "success", "timestamp"}; !slices.Equal(got, want) {
		t.Fatalf("error body keys: got %v; want %v (body %s)", got, want, r.body)
	}
	if m["success"] != false {
		t.Errorf("success: got %v; want false", m["success"])
	}
	if m["error"] != msg {
		t.Errorf("error: got %q; want %q", m["error"], msg)
	}
	if ts, _ := m["timestamp"].(string); !timestampRE.MatchString(ts) {
		t.Errorf("timestamp: got %q; want RFC 3339 UTC with milliseconds", ts)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type: got %q; want application/json", ct)
	}
}

// wantObjectError checks the update doc's error body exactly.
func wantObjectError(t testing.TB, r response, status int, code, msg string) {
	t.Helper()
	wantStatus(t, r, status)
	var m map[string]json.RawMessage
	decode(t, r, &m)
	if got, want := slices.Sorted(maps.Keys(m)), []string{"error", "success"}; !slices.Equal(got, want) {
		t.Fatalf("error body keys: got %v; want %v (body %s)", got, want, r.body)
	}
	var e map[string]any
	if err := json.Unmarshal(m["error"], &e); err != nil {
		t.Fatalf("error: got %s; want an object", m["error"])
	}
	want := map[string]any{"code": code, "message": msg}
	if !maps.Equal(e, want) {
		t.Errorf("error: got %v; want %v", e, want)
	}
	if string(m["success"]) != "false" {
		t.Errorf("success: got %s; want false", m["success"])
	}
}

// getEnvelope is the get-customer success body.
type getEnvelope struct {
	Success   bool           `json:"success"`
	Data      map[string]any `json:"data"`
	Timestamp string         `json:"timestamp"`
}

// getCustomer fetches an identifier (escaped here) and returns data.
func (c *testClient) getCustomer(ident string) map[string]any {
	c.t.Helper()
	r := c.get("/customers/" + pathEscape(ident))
	wantStatus(c.t, r, http.StatusOK)
	var env getEnvelope
	decode(c.t, r, &env)
	return env.Data
}

// pathEscape escapes a path segment ("/" included).
func pathEscape(s string) string { return url.PathEscape(s) }

// listPage is the list-customers success body.
type listPage struct {
	Success    bool             `json:"success"`
	Data       []map[string]any `json:"data"`
	Pagination struct {
		HasMore    bool    `json:"hasMore"`
		NextCursor *string `json:"nextCursor"`
		PageSize   int     `json:"pageSize"`
	} `json:"pagination"`
	Timestamp string `json:"timestamp"`
}

func (c *testClient) list(query string) listPage {
	c.t.Helper()
	r := c.get("/customers?" + query)
	wantStatus(c.t, r, http.StatusOK)
	var p listPage
	decode(c.t, r, &p)
	return p
}

// listAll walks every page of a query and returns the items.
func (c *testClient) listAll(query string) []map[string]any {
	c.t.Helper()
	var all []map[string]any
	cursor := ""
	for range 100000 {
		q := query
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		p := c.list(q)
		all = append(all, p.Data...)
		if !p.Pagination.HasMore {
			if p.Pagination.NextCursor != nil {
				c.t.Fatalf("nextCursor on the last page: got %q; want null", *p.Pagination.NextCursor)
			}
			return all
		}
		if p.Pagination.NextCursor == nil {
			c.t.Fatalf("nextCursor with hasMore: got null; want a cursor")
		}
		cursor = *p.Pagination.NextCursor
	}
	c.t.Fatalf("listAll %q: too many pages", query)
	return nil
}

// allCustomers returns snapshots of every customer in sequence order.
func allCustomers(t testing.TB, s *Server) []Customer {
	t.Helper()
	out := make([]Customer, 0, s.Len())
	for seq := 1; seq <= s.Len(); seq++ {
		c, ok := s.Customer(customerNumber(seq))
		if !ok {
			t.Fatalf("Customer(%s): got not found; want found", customerNumber(seq))
		}
		out = append(out, c)
	}
	return out
}

func keysOf(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
