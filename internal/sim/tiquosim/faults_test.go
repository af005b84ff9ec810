package tiquosim

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// postFaults sets faults through the control endpoint and wants 200.
func (c *testClient) postFaults(body string) {
	c.t.Helper()
	wantStatus(c.t, c.do(http.MethodPost, "/__sim/faults", body), http.StatusOK)
}

func TestFaultStatusInRouteShapes(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10})
	c.postFaults(`{"status":503}`)

	wantStringError(t, c.get("/customers/CUST-000001"), 503, "Service Unavailable")
	wantStringError(t, c.get("/customers?limit=5"), 503, "Service Unavailable")
	wantObjectError(t, c.patch("/customers/CUST-000001", `{"notes":"x"}`), 503, "service_unavailable", "Service Unavailable")
	// Faults come before authentication: an outage answers everyone.
	wantStringError(t, c.withKey("").get("/customers/CUST-000001"), 503, "Service Unavailable")
	if cu, _ := s.Customer("CUST-000001"); cu.Notes != nil {
		t.Errorf("faulted PATCH changed notes: got %q; want nil", *cu.Notes)
	}
	if got, want := s.Stats(), (Stats{Get: 2, List: 1, Patch: 1, Total: 4, PeakInFlight: 1}); got != want {
		t.Errorf("stats: got %+v; want %+v", got, want)
	}
	if got := len(s.Requests()); got != 4 {
		t.Errorf("logged requests: got %d; want 4", got)
	}

	wantStatus(t, c.do(http.MethodDelete, "/__sim/faults", ""), http.StatusNoContent)
	wantStatus(t, c.get("/customers/CUST-000001"), http.StatusOK)
}

func TestFaultRoutes(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 10})
	c.postFaults(`{"status":500,"routes":["get","patch"]}`)
	wantStringError(t, c.get("/customers/CUST-000001"), 500, "Internal Server Error")
	wantStatus(t, c.get("/customers"), http.StatusOK)
	wantObjectError(t, c.patch("/customers/CUST-000001", `{}`), 500, "internal_error", "Internal Server Error")

	c.postFaults(`{"status":502,"routes":["list"]}`)
	wantStatus(t, c.get("/customers/CUST-000001"), http.StatusOK)
	wantStringError(t, c.get("/customers"), 502, "Bad Gateway")
	// Unknown paths are no route and are never faulted.
	wantStringError(t, c.get("/orders"), 404, "Not found: /orders")
}

func TestFault429(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 10})
	c.postFaults(`{"status":429,"retryAfter":3}`)
	r := c.get("/customers/CUST-000001")
	wantStringError(t, r, 429, "Rate limit exceeded. Maximum 1,000 requests per hour.")
	if got := r.header.Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After: got %q; want 3", got)
	}
	r = c.patch("/customers/CUST-000001", `{}`)
	wantObjectError(t, r, 429, "rate_limited", "Rate limit exceeded. Maximum 1,000 requests per hour.")
	if got := r.header.Get("Retry-After"); got != "3" {
		t.Errorf("PATCH Retry-After: got %q; want 3", got)
	}

	c.postFaults(`{"status":429}`)
	if got := c.get("/customers").header.Get("Retry-After"); got != "60" {
		t.Errorf("default Retry-After: got %q; want 60", got)
	}
}

func TestFaultRate(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 10})
	c.postFaults(`{"status":503,"rate":0.3}`)
	failed := 0
	const n = 400
	for range n {
		r := c.get("/customers/CUST-000001")
		switch r.status {
		case http.StatusServiceUnavailable:
			failed++
		case http.StatusOK:
		default:
			t.Fatalf("status: got %d; want 200 or 503", r.status)
		}
	}
	if failed < n*20/100 || failed > n*40/100 {
		t.Errorf("failures at rate 0.3: got %d of %d; want about %d", failed, n, n*30/100)
	}

	c.postFaults(`{"status":503,"rate":0}`)
	for range 20 {
		wantStatus(t, c.get("/customers/CUST-000001"), http.StatusOK)
	}
}

func TestFaultLatency(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 10})
	c.postFaults(`{"latency":"150ms","routes":["list"]}`)

	start := time.Now()
	wantStatus(t, c.get("/customers?limit=1"), http.StatusOK)
	if got := time.Since(start); got < 150*time.Millisecond {
		t.Errorf("list with 150ms fault latency: got %v; want at least 150ms", got)
	}
	start = time.Now()
	wantStatus(t, c.get("/customers/CUST-000001"), http.StatusOK)
	if got := time.Since(start); got >= 150*time.Millisecond {
		t.Errorf("get without fault: got %v; want under 150ms", got)
	}

	c.postFaults(`{"status":504,"latency":"100ms"}`)
	start = time.Now()
	wantStringError(t, c.get("/customers/CUST-000001"), 504, "Gateway Timeout")
	if got := time.Since(start); got < 100*time.Millisecond {
		t.Errorf("504 after latency: got %v; want at least 100ms", got)
	}
}

func TestLatencyHonoursCancellation(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10, Latency: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/customers/CUST-000001", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	start := time.Now()
	_, err := c.hc.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error: got %v; want context.DeadlineExceeded", err)
	}
	if got := time.Since(start); got > 2*time.Second {
		t.Errorf("request took %v; want the client's 50ms deadline to end it", got)
	}
	if got := s.Stats().Get; got != 1 {
		t.Errorf("stats get: got %d; want 1", got)
	}
	// Control endpoints get no latency.
	start = time.Now()
	wantStatus(t, c.get("/__sim/stats"), http.StatusOK)
	if got := time.Since(start); got > time.Second {
		t.Errorf("/__sim/stats took %v; want no latency", got)
	}
}

func TestFaultsControlEndpoint(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10})
	tests := []struct {
		name, body string
		want       Faults
	}{
		{"status only", `{"status":503}`, Faults{Status: 503, Rate: 1, Routes: []string{}}},
		{"everything", `{"status":429,"rate":0.5,"latency":"2s","routes":["GET","list"],"retryAfter":3}`,
			Faults{Status: 429, Rate: 0.5, Latency: 2 * time.Second, Routes: []string{"get", "list"}, RetryAfter: 3}},
		{"latency only", `{"latency":"250ms"}`, Faults{Latency: 250 * time.Millisecond, Routes: []string{}}},
		{"429 default retry", `{"status":429}`, Faults{Status: 429, Rate: 1, Routes: []string{}, RetryAfter: 60}},
		{"rate zero", `{"status":503,"rate":0}`, Faults{Routes: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(http.MethodPost, "/__sim/faults", tt.body)
			wantStatus(t, r, http.StatusOK)
			var got Faults
			decode(t, r, &got)
			if got.Routes == nil {
				got.Routes = []string{}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("response: got %+v; want %+v", got, tt.want)
			}
			var current Faults
			decode(t, c.get("/__sim/faults"), &current)
			if !reflect.DeepEqual(current, got) {
				t.Errorf("GET /__sim/faults: got %+v; want %+v", current, got)
			}
		})
	}

	bad := []struct{ name, body string }{
		{"empty", ``},
		{"array", `[]`},
		{"null", `null`},
		{"broken", `{"status":`},
		{"unknown key", `{"status":503,"probability":1}`},
		{"status type", `{"status":"503"}`},
		{"status range", `{"status":200}`},
		{"rate range", `{"status":503,"rate":1.5}`},
		{"negative rate", `{"status":503,"rate":-0.1}`},
		{"latency", `{"latency":"soon"}`},
		{"latency number", `{"latency":2}`},
		{"negative latency", `{"latency":"-1s"}`},
		{"route", `{"status":503,"routes":["delete"]}`},
		{"retry", `{"status":429,"retryAfter":-1}`},
	}
	for _, tt := range bad {
		t.Run("invalid "+tt.name, func(t *testing.T) {
			wantStatus(t, c.do(http.MethodPost, "/__sim/faults", tt.body), http.StatusBadRequest)
		})
	}
	// A rejected update leaves the previous faults in force.
	if got := s.Kit.Faults(); got.Status != 0 || got.Latency != 0 {
		t.Errorf("faults after rejected updates: got %+v; want those of the last valid POST", got)
	}
}

func TestSetFaults(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10})
	if err := s.SetFaults(Faults{Status: 503}); err != nil {
		t.Fatalf("SetFaults: %v", err)
	}
	wantStatus(t, c.get("/customers/CUST-000001"), http.StatusServiceUnavailable)
	if err := s.SetFaults(Faults{Status: 42}); err == nil {
		t.Errorf("SetFaults status 42: got nil error; want an error")
	}
	wantStatus(t, c.get("/customers/CUST-000001"), http.StatusServiceUnavailable)
	s.ClearFaults()
	wantStatus(t, c.get("/customers/CUST-000001"), http.StatusOK)
}
