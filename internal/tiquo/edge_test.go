package tiquo_test

// Tests against small handwritten servers, for responses the simulator does
// not produce.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"customergraph/internal/identifier"
	"customergraph/internal/tiquo"
)

const testKey = "sk_test_9f8e7d6c5b4a"

// fixedServer answers every request with status, headers and body, and
// counts the requests.
func fixedServer(t *testing.T, status int, header map[string]string, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func newClient(t *testing.T, baseURL string, opts *tiquo.Options) *tiquo.Client {
	t.Helper()
	if opts == nil {
		opts = &tiquo.Options{RetryBase: time.Millisecond}
	}
	c, err := tiquo.New(baseURL, testKey, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// checkClean fails if err's text leaks the server's URL, host or the API key,
// or is not an *tiquo.Error.
func checkClean(t *testing.T, err error, baseURL string) {
	t.Helper()
	if err == nil {
		return
	}
	var te *tiquo.Error
	if !errors.As(err, &te) {
		t.Errorf("error %T is not a *tiquo.Error: %v", err, err)
	}
	msg := err.Error()
	host := strings.TrimPrefix(strings.TrimPrefix(baseURL, "http://"), "https://")
	host, _, _ = strings.Cut(host, "/")
	hostname, port, _ := net.SplitHostPort(host)
	leaks := []string{testKey, baseURL, host, "/customers"}
	if hostname != "" {
		leaks = append(leaks, hostname, ":"+port)
	}
	for _, s := range leaks {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error %q contains %q", msg, s)
		}
	}
	if !strings.HasPrefix(msg, "tiquo: ") {
		t.Errorf("error %q does not start with \"tiquo: \"", msg)
	}
}

var john = identifier.MustParse("CUST-000001")

// TestNew: the base URL and key checks are package upstream's (and tested
// there); New applies them and names this API.
func TestNew(t *testing.T) {
	for _, u := range []string{"", "api.tiquo.app", "https://user:pass@api.tiquo.app", "https://api.tiquo.app/v1?x=1"} {
		if c, err := tiquo.New(u, testKey, nil); err == nil {
			t.Errorf("New(%q) = %v, want error", u, c)
		} else if !strings.HasPrefix(err.Error(), "tiquo: ") || strings.Contains(err.Error(), "pass") {
			t.Errorf("New(%q) error %q", u, err)
		}
	}
	if _, err := tiquo.New("https://api.tiquo.app", "key\r\nX-Evil: 1", nil); err == nil {
		t.Error("New with a key containing CRLF: want error")
	}
	for _, u := range []string{"https://api.tiquo.app/api/v1", "https://api.tiquo.app/api/v1/", "http://127.0.0.1:8081"} {
		if _, err := tiquo.New(u, testKey, nil); err != nil {
			t.Errorf("New(%q): %v", u, err)
		}
	}
}

func TestRequestShape(t *testing.T) {
	type seen struct{ method, path, rawPath, query, auth, accept, ua, ctype, body string }
	var (
		mu   sync.Mutex
		reqs []seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, seen{r.Method, r.URL.Path, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"),
			r.Header.Get("Accept"), r.Header.Get("User-Agent"), r.Header.Get("Content-Type"), string(b)})
		mu.Unlock()
		if r.URL.Path == "/api/v1/customers" {
			io.WriteString(w, `{"success":true,"data":[],"pagination":{"hasMore":false,"nextCursor":null,"pageSize":50}}`)
			return
		}
		io.WriteString(w, `{"success":true,"data":{"id":"k1","customerNumber":"CUST-000001","status":"active","createdAt":1,"updatedAt":2}}`)
	}))
	defer srv.Close()
	ctx := context.Background()

	c := newClient(t, srv.URL+"/api/v1/", &tiquo.Options{UserAgent: "cg-test/1"})
	for _, s := range []string{"a+b@example.com", "+1 (555) 456-7890", "CUST-000001", "k123abc"} {
		if _, err := c.Customer(ctx, identifier.MustParse(s)); err != nil {
			t.Fatalf("Customer(%q): %v", s, err)
		}
	}
	if _, err := c.ListCustomers(ctx, tiquo.ListParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListCustomers(ctx, tiquo.ListParams{Limit: 25, Cursor: "abc/+=", Search: "john doe", Status: "active",
		ParameterID: "system_marketing_opt_in", ParameterName: "Loyalty Tier", ParameterValue: "a&b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateCustomer(ctx, "k1/../x", tiquo.Patch{Phone: tiquo.Some("+15550001111")}); err != nil {
		t.Fatal(err)
	}

	want := []seen{
		{method: "GET", path: "/api/v1/customers/a+b@example.com", rawPath: "/api/v1/customers/a+b@example.com"},
		{method: "GET", path: "/api/v1/customers/+15554567890", rawPath: "/api/v1/customers/+15554567890"},
		{method: "GET", path: "/api/v1/customers/CUST-000001", rawPath: "/api/v1/customers/CUST-000001"},
		{method: "GET", path: "/api/v1/customers/k123abc", rawPath: "/api/v1/customers/k123abc"},
		{method: "GET", path: "/api/v1/customers", rawPath: "/api/v1/customers"},
		{method: "GET", path: "/api/v1/customers", rawPath: "/api/v1/customers",
			query: "cursor=abc%2F%2B%3D&limit=25&parameterId=system_marketing_opt_in&parameterName=Loyalty+Tier&parameterValue=a%26b&search=john+doe&status=active"},
		{method: "PATCH", path: "/api/v1/customers/k1/../x", rawPath: "/api/v1/customers/k1%2F..%2Fx",
			ctype: "application/json", body: `{"phone":"+15550001111"}`},
	}
	if len(reqs) != len(want) {
		t.Fatalf("got %d requests, want %d", len(reqs), len(want))
	}
	for i, w := range want {
		w.auth, w.accept, w.ua = "Bearer "+testKey, "application/json", "cg-test/1"
		if reqs[i] != w {
			t.Errorf("request %d:\n got %+v\nwant %+v", i, reqs[i], w)
		}
	}

	// No call for invalid input.
	n := len(reqs)
	if _, err := c.Customer(ctx, identifier.ID{}); !errors.Is(err, tiquo.ErrValidation) {
		t.Errorf("Customer(zero ID) = %v, want ErrValidation", err)
	}
	if _, err := c.UpdateCustomer(ctx, "", tiquo.Patch{}); !errors.Is(err, tiquo.ErrValidation) {
		t.Errorf("UpdateCustomer(\"\") = %v, want ErrValidation", err)
	}
	if len(reqs) != n {
		t.Errorf("invalid input made %d requests", len(reqs)-n)
	}
}

func TestMixedTimeFormats(t *testing.T) {
	srv, _ := fixedServer(t, 200, nil, `{"success":true,"data":{"id":"k1","customerNumber":"CUST-000001",
		"status":"vip","lastOrderDate":1640995200000.0,"lastActivityDate":"2022-01-01T00:00:00.250Z",
		"createdAt":"2022-01-01T00:00:00Z","updatedAt":1640995200500},"timestamp":"2025-01-15T10:30:00.000Z"}`)
	got, err := newClient(t, srv.URL, nil).Customer(context.Background(), john)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct{ got, want time.Time }{
		"lastOrderDate":    {got.LastOrderDate.Time, base},
		"lastActivityDate": {got.LastActivityDate.Time, base.Add(250 * time.Millisecond)},
		"createdAt":        {got.CreatedAt.Time, base},
		"updatedAt":        {got.UpdatedAt.Time, base.Add(500 * time.Millisecond)},
	} {
		if !tc.got.Equal(tc.want) || tc.got.Location() != time.UTC {
			t.Errorf("%s = %v, want %v", name, tc.got, tc.want)
		}
	}
	if got.Status != "vip" {
		t.Errorf("Status = %q, want vip", got.Status)
	}
}

func TestHTML502(t *testing.T) {
	srv, n := fixedServer(t, 502, map[string]string{"Content-Type": "text/html"},
		"<html><body><h1>502 Bad Gateway</h1></body></html>")
	c := newClient(t, srv.URL, &tiquo.Options{MaxRetries: 1, RetryBase: time.Millisecond})
	_, err := c.Customer(context.Background(), john)
	checkClean(t, err, srv.URL)
	var te *tiquo.Error
	if !errors.Is(err, tiquo.ErrUnavailable) || !errors.As(err, &te) || te.Status != 502 || te.Message != "" {
		t.Fatalf("err = %#v, want ErrUnavailable with status 502 and no message", err)
	}
	if got, want := err.Error(), "tiquo: get customer: unavailable: status 502"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if n.Load() != 2 {
		t.Errorf("%d requests, want 2 (one retry)", n.Load())
	}
}

func TestUndecodableSuccess(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		list       bool
	}{
		{"garbage", "this is not json", false},
		{"truncated", `{"success":true,"data":{"id":"k1"`, false},
		{"success false", `{"success":false,"error":"Something went wrong"}`, false},
		{"no data", `{"success":true}`, false},
		{"data null", `{"success":true,"data":null}`, false},
		{"wrong type", `{"success":true,"data":{"id":42}}`, false},
		{"bad time", `{"success":true,"data":{"id":"k1","createdAt":"yesterday"}}`, false},
		{"list garbage", `<html>`, true},
		{"list object", `{"success":true,"data":{"id":"k1"}}`, true},
		{"list hasMore no cursor", `{"success":true,"data":[],"pagination":{"hasMore":true,"nextCursor":null}}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := fixedServer(t, 200, nil, tc.body)
			c := newClient(t, srv.URL, nil)
			var err error
			if tc.list {
				_, err = c.ListCustomers(context.Background(), tiquo.ListParams{})
			} else {
				_, err = c.Customer(context.Background(), john)
			}
			checkClean(t, err, srv.URL)
			if !errors.Is(err, tiquo.ErrUnexpected) {
				t.Fatalf("err = %v, want ErrUnexpected", err)
			}
			if n.Load() != 1 {
				t.Errorf("%d requests, want 1 (no retry)", n.Load())
			}
		})
	}
}

func TestErrorEnvelopes(t *testing.T) {
	for _, tc := range []struct {
		status             int
		body               string
		kind               error
		code, msg, errText string
	}{
		{404, `{"success":false,"error":"Customer not found with ID: CUST-999999","timestamp":"2025-01-15T10:30:00.000Z"}`,
			tiquo.ErrNotFound, "", "Customer not found with ID: CUST-999999",
			"tiquo: get customer: not found: Customer not found with ID: CUST-999999"},
		{404, `{"success":false,"error":{"code":"not_found","message":"Customer not found"}}`,
			tiquo.ErrNotFound, "not_found", "Customer not found", "tiquo: get customer: not found: Customer not found"},
		{400, `{"success":false,"error":"Invalid customer identifier format"}`, tiquo.ErrValidation, "",
			"Invalid customer identifier format", "tiquo: get customer: invalid request: Invalid customer identifier format"},
		{422, `{"success":false,"error":{"code":"invalid","message":"bad email"}}`, tiquo.ErrValidation, "invalid", "bad email", ""},
		{401, `{"success":false,"error":"Missing or invalid API key"}`, tiquo.ErrUnauthorized, "", "Missing or invalid API key", ""},
		{403, `{"success":false,"error":{"code":"forbidden","message":"Missing customers:write scope"}}`,
			tiquo.ErrForbidden, "forbidden", "Missing customers:write scope", ""},
		{409, `{"success":false,"error":{"code":"conflict","message":"Email already exists"}}`,
			tiquo.ErrConflict, "conflict", "Email already exists", ""},
		{418, `I'm a teapot`, tiquo.ErrUnexpected, "", "", "tiquo: get customer: unexpected response: status 418"},
		{404, ``, tiquo.ErrNotFound, "", "", "tiquo: get customer: not found: status 404"},
		{401, `{"success":false,"error":"key ` + testKey + ` is revoked"}`, tiquo.ErrUnauthorized, "",
			"key [redacted] is revoked", ""},
	} {
		srv, _ := fixedServer(t, tc.status, nil, tc.body)
		_, err := newClient(t, srv.URL, nil).Customer(context.Background(), john)
		checkClean(t, err, srv.URL)
		var te *tiquo.Error
		if !errors.As(err, &te) || !errors.Is(err, tc.kind) {
			t.Errorf("%d %s: err = %v, want %v", tc.status, tc.body, err, tc.kind)
			continue
		}
		if te.Status != tc.status || te.Code != tc.code || te.Message != tc.msg || te.Op != "get customer" {
			t.Errorf("%d %s: got %+v", tc.status, tc.body, te)
		}
		if tc.errText != "" && err.Error() != tc.errText {
			t.Errorf("%d: Error() = %q, want %q", tc.status, err.Error(), tc.errText)
		}
	}
}

func TestRateLimitedNotRetried(t *testing.T) {
	srv, n := fixedServer(t, 429, map[string]string{"Retry-After": "1"}, `{"success":false,"error":"slow down"}`)
	_, err := newClient(t, srv.URL, &tiquo.Options{MaxRetries: 5, RetryBase: time.Millisecond}).
		ListCustomers(context.Background(), tiquo.ListParams{})
	if !errors.Is(err, tiquo.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if got, want := err.Error(), "tiquo: list customers: rate limited: slow down (retry after 1s)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests, want 1", n.Load())
	}
}
