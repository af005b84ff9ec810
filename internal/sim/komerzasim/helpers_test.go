package komerzasim

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

// base is the path of the default store's customers.
const base = "/stores/" + DefaultStore + "/customers"

// testClient talks to a Server over a real loopback listener.
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

// wantError checks an error answer: the envelope with success false, the
// message, the code and null data, plus invalidFields naming fields (nil:
// no invalidFields).
func wantError(t testing.TB, r response, status int, msg string, fields ...string) {
	t.Helper()
	wantStatus(t, r, status)
	var m map[string]json.RawMessage
	decode(t, r, &m)
	wantKeys := []string{"code", "data", "message", "success"}
	if len(fields) > 0 {
		wantKeys = append(wantKeys, "invalidFields")
		slices.Sort(wantKeys)
	}
	if got := keysOf(m); !slices.Equal(got, wantKeys) {
		t.Fatalf("error keys: got %v; want %v (body %s)", got, wantKeys, r.body)
	}
	if string(m["success"]) != "false" || string(m["data"]) != "null" {
		t.Errorf("success, data: got %s, %s; want false, null", m["success"], m["data"])
	}
	var gotMsg, code string
	json.Unmarshal(m["message"], &gotMsg)
	json.Unmarshal(m["code"], &code)
	if msg != "" && gotMsg != msg {
		t.Errorf("message: got %q; want %q", gotMsg, msg)
	}
	if gotMsg == "" || code == "" {
		t.Errorf("message, code: got %q, %q; want both set", gotMsg, code)
	}
	if len(fields) > 0 {
		var inv map[string]string
		if err := json.Unmarshal(m["invalidFields"], &inv); err != nil {
			t.Fatalf("invalidFields: got %s; want an object of strings", m["invalidFields"])
		}
		if got := keysOf(inv); !slices.Equal(got, slices.Sorted(slices.Values(fields))) {
			t.Errorf("invalidFields: got %v; want %v", inv, fields)
		}
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type: got %q; want application/json", ct)
	}
}

// single is a single-object success answer.
type single struct {
	Success bool     `json:"success"`
	Message *string  `json:"message"`
	Code    *string  `json:"code"`
	Data    Customer `json:"data"`
}

// getOK fetches path and returns the record, checking the envelope.
func (c *testClient) getOK(path string) Customer {
	c.t.Helper()
	return c.recordOf(c.get(path))
}

func (c *testClient) recordOf(r response) Customer {
	c.t.Helper()
	wantStatus(c.t, r, http.StatusOK)
	var env single
	decode(c.t, r, &env)
	if !env.Success || env.Message != nil || env.Code != nil {
		c.t.Errorf("envelope: got success %v, message %v, code %v; want true, null, null", env.Success, env.Message, env.Code)
	}
	return env.Data
}

// listPage is a list or search answer.
type listPage struct {
	Success bool        `json:"success"`
	Message *string     `json:"message"`
	Code    *string     `json:"code"`
	Pages   int         `json:"pages"`
	Data    []Reference `json:"data"`
}

func (c *testClient) list(path string) listPage {
	c.t.Helper()
	r := c.get(path)
	wantStatus(c.t, r, http.StatusOK)
	var p listPage
	decode(c.t, r, &p)
	if !p.Success || p.Message != nil || p.Code != nil || p.Data == nil {
		c.t.Errorf("list envelope %s: got %s", path, r.body)
	}
	return p
}

// listAll walks every page of path (which has a query) with size.
func (c *testClient) listAll(path string, size int) []Reference {
	c.t.Helper()
	first := c.list(path + "&PageSize=" + itoa(size) + "&Page=1")
	all := first.Data
	for n := 2; n <= first.Pages; n++ {
		p := c.list(path + "&PageSize=" + itoa(size) + "&Page=" + itoa(n))
		if p.Pages != first.Pages {
			c.t.Fatalf("pages: got %d on page %d; want %d as on page 1", p.Pages, n, first.Pages)
		}
		if len(p.Data) == 0 || len(p.Data) > size || (n < first.Pages && len(p.Data) != size) {
			c.t.Fatalf("page %d of %d: got %d items; want %d", n, first.Pages, len(p.Data), size)
		}
		all = append(all, p.Data...)
	}
	return all
}

func itoa(n int) string { return strconv.Itoa(n) }

// allCustomers returns every record in data-set order.
func allCustomers(t testing.TB, s *Server) []Customer {
	t.Helper()
	s.mu.RLock()
	ids := make([]string, len(s.customers))
	for i, r := range s.customers {
		ids[i] = r.id
	}
	s.mu.RUnlock()
	out := make([]Customer, len(ids))
	for i, id := range ids {
		c, ok := s.Customer(id)
		if !ok {
			t.Fatalf("Customer(%s): not found", id)
		}
		out[i] = c
	}
	return out
}
