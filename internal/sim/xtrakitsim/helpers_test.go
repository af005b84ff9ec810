package xtrakitsim

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"customergraph/internal/fakeclock"
)

type testClient struct {
	t   testing.TB
	url string
	key string
	hc  *http.Client
}

func newTestServer(t testing.TB, opts Options) (*Server, *testClient) {
	t.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, &testClient{t: t, url: ts.URL, key: DefaultAPIKey, hc: ts.Client()}
}

func newFakeClock() *fakeclock.Clock {
	return fakeclock.At(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
}

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

func (c *testClient) do(method, path, body string) response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
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

func wantStatus(t testing.TB, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status: got %d; want %d (body %s)", r.status, want, r.body)
	}
}

func decode(t testing.TB, r response, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func keysOf[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// wantError checks {"status": status, "error": msg} exactly; an empty msg
// is not compared, and a msg ending in "…" is a prefix.
func wantError(t testing.TB, r response, status int, msg string) {
	t.Helper()
	wantStatus(t, r, status)
	var m map[string]any
	decode(t, r, &m)
	if got := keysOf(m); !slices.Equal(got, []string{"error", "status"}) {
		t.Fatalf("error keys: got %v; want error, status (body %s)", got, r.body)
	}
	if m["status"] != float64(status) {
		t.Errorf("status field: got %v; want %d", m["status"], status)
	}
	text, _ := m["error"].(string)
	switch prefix, isPrefix := strings.CutSuffix(msg, "…"); {
	case text == "":
		t.Errorf("error: got %v; want a text", m["error"])
	case isPrefix && !strings.HasPrefix(text, prefix):
		t.Errorf("error: got %q; want it to start %q", text, prefix)
	case !isPrefix && msg != "" && text != msg:
		t.Errorf("error: got %q; want %q", text, msg)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type: got %q; want application/json", ct)
	}
}

// one is the answer of GET, PUT and POST on one customer.
type one struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
	Data    struct {
		Customer Customer `json:"customer"`
		Groups   []Group  `json:"customer-group"`
	} `json:"data"`
}

func (c *testClient) customerOf(r response, status int, msg string) one {
	c.t.Helper()
	wantStatus(c.t, r, status)
	var o one
	decode(c.t, r, &o)
	if o.Status != status || o.Message != msg || o.Data.Groups == nil {
		c.t.Errorf("answer: got status %d, message %q, groups %v; want %d, %q, a list", o.Status, o.Message, o.Data.Groups, status, msg)
	}
	return o
}

func (c *testClient) list(query string) []Customer {
	c.t.Helper()
	r := c.get("/customers" + query)
	wantStatus(c.t, r, http.StatusOK)
	var o struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
		Data    struct {
			Customers []Customer `json:"customers"`
		} `json:"data"`
	}
	decode(c.t, r, &o)
	if o.Status != 200 || o.Message != "Customers found" || o.Data.Customers == nil {
		c.t.Fatalf("list answer %s: got status %d, message %q, customers nil %v", query, o.Status, o.Message, o.Data.Customers == nil)
	}
	return o.Data.Customers
}

func allCustomers(t testing.TB, s *Server) []Customer {
	t.Helper()
	out := make([]Customer, s.Len())
	for i := range out {
		c, ok := s.Customer(i + 1)
		if !ok {
			t.Fatalf("Customer(%d): not found", i+1)
		}
		out[i] = c
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// validBody is a PUT or POST body with every required field.
const validBody = `{"customer_name":"Kofi Annan","customer_phone":"+233 20 111 2222","customer_country":"Ghana",` +
	`"customer_city":"Kumasi","customer_state":"Ashanti","address1":"1 Prempeh II Street"}`
