package tiquosim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestStatsCountEveryAPIRequest(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10, APIKeys: []string{"sim-key", "reader:read"}, RateLimit: 100})
	c.get("/customers/CUST-000001")                           // get 200
	c.get("/customers/CUST-999999")                           // get 404
	c.get("/customers/bad!")                                  // get 400
	c.withKey("").get("/customers/CUST-000001")               // get 401
	c.get("/customers?limit=2")                               // list 200
	c.get("/customers?limit=0")                               // list 400
	c.patch("/customers/CUST-000001", `{"notes":"x"}`)        // patch 200
	c.withKey("reader").patch("/customers/CUST-000001", `{}`) // patch 403
	c.do(http.MethodDelete, "/customers/CUST-000001", "")     // no route, 405
	c.get("/nope")                                            // no route, 404
	c.get("/__sim/requests")                                  // control: not counted

	want := Stats{Get: 4, List: 2, Patch: 2, Total: 10, PeakInFlight: 1} // one at a time
	if got := s.Stats(); got != want {
		t.Errorf("Stats: got %+v; want %+v", got, want)
	}
	var got Stats
	decode(t, c.get("/__sim/stats"), &got)
	if got != want {
		t.Errorf("/__sim/stats: got %+v; want %+v", got, want)
	}
	r := c.get("/__sim/stats")
	var raw map[string]any
	decode(t, r, &raw)
	if keys := keysOf(raw); !reflect.DeepEqual(keys, []string{"get", "list", "patch", "peakInFlight", "total"}) {
		t.Errorf("/__sim/stats keys: got %v; want get, list, patch, peakInFlight, total", keys)
	}

	wantStatus(t, c.do(http.MethodPost, "/__sim/reset", ""), http.StatusNoContent)
	if got := s.Stats(); got != (Stats{}) {
		t.Errorf("Stats after reset: got %+v; want zero", got)
	}
	if got := s.Requests(); len(got) != 0 {
		t.Errorf("Requests after reset: got %d; want 0", len(got))
	}
	// Reset does not touch data.
	if cu, _ := s.Customer("CUST-000001"); cu.Notes == nil || *cu.Notes != "x" {
		t.Errorf("notes after reset: got %v; want x", cu.Notes)
	}
}

func TestRequestLog(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10})
	c.get("/customers/" + pathEscape("+1 (555) 456-7890"))
	c.get("/customers?limit=5&search=j%C3%B6rg")
	c.patch("/customers/CUST-000001", `{"notes":"hello"}`)

	want := []Request{
		{Method: "GET", Path: "/customers/+1 (555) 456-7890"},
		{Method: "GET", Path: "/customers", Query: "limit=5&search=j%C3%B6rg"},
		{Method: "PATCH", Path: "/customers/CUST-000001", Body: `{"notes":"hello"}`},
	}
	if got := s.Requests(); !reflect.DeepEqual(got, want) {
		t.Errorf("Requests:\ngot  %+v\nwant %+v", got, want)
	}
	var got []Request
	decode(t, c.get("/__sim/requests"), &got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("/__sim/requests:\ngot  %+v\nwant %+v", got, want)
	}

	for i := range 150 {
		c.get(fmt.Sprintf("/customers/CUST-%06d", i))
	}
	got = s.Requests()
	if len(got) != 100 {
		t.Fatalf("Requests: got %d; want the last 100", len(got))
	}
	if first, last := got[0].Path, got[99].Path; first != "/customers/CUST-000050" || last != "/customers/CUST-000149" {
		t.Errorf("Requests: got %s … %s; want CUST-000050 … CUST-000149, oldest first", first, last)
	}

	s.Reset()
	var empty []Request
	r := c.get("/__sim/requests")
	decode(t, r, &empty)
	if empty == nil || len(empty) != 0 {
		t.Errorf("/__sim/requests after reset: got %s; want []", r.body)
	}
}

func TestControlErrors(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 2})
	wantStringError(t, c.get("/__sim/nope"), 404, "Not found: /__sim/nope")
	wantStringError(t, c.get("/__sim/reset"), 405, "Method GET not allowed")
	wantStringError(t, c.do(http.MethodPost, "/__sim/stats", ""), 405, "Method POST not allowed")
	if got := c.get("/__sim/reset").header.Get("Allow"); got != "POST" {
		t.Errorf("Allow: got %q; want POST", got)
	}
}

func TestRateLimit(t *testing.T) {
	clock := newFakeClock()
	s, c := newTestServer(t, Options{Customers: 10, RateLimit: 3, APIKeys: []string{"a", "b"}, Now: clock.Now})
	a, b := c.withKey("a"), c.withKey("b")

	for range 3 {
		wantStatus(t, a.get("/customers/CUST-000001"), http.StatusOK)
		clock.Advance(10 * time.Minute)
	}
	// 30 minutes into a's window.
	r := a.get("/customers")
	wantStringError(t, r, 429, "Rate limit exceeded. Maximum 3 requests per hour.")
	if got := r.header.Get("Retry-After"); got != "1800" {
		t.Errorf("Retry-After: got %q; want 1800", got)
	}
	clock.Advance(500 * time.Millisecond)
	if got := a.get("/customers").header.Get("Retry-After"); got != "1800" {
		t.Errorf("Retry-After rounded up: got %q; want 1800", got)
	}
	wantObjectError(t, a.patch("/customers/CUST-000001", `{}`), 429, "rate_limited", "Rate limit exceeded. Maximum 3 requests per hour.")

	// Other keys have their own window; unauthenticated requests spend none.
	wantStatus(t, c.withKey("zzz").get("/customers/CUST-000001"), http.StatusUnauthorized)
	wantStatus(t, b.get("/customers/CUST-000001"), http.StatusOK)

	// The window ends an hour after its first request.
	clock.Advance(30*time.Minute - 500*time.Millisecond - time.Millisecond)
	if got := a.get("/customers").header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After 1ms before the end: got %q; want 1", got)
	}
	clock.Advance(time.Millisecond)
	wantStatus(t, a.get("/customers"), http.StatusOK)

	if got := s.Stats().Total; got != 10 {
		t.Errorf("Stats total: got %d; want 10 (429s and 401s count)", got)
	}
}

func TestRateLimitMessage(t *testing.T) {
	tests := []struct {
		limit int
		want  string
	}{
		{1, "Rate limit exceeded. Maximum 1 requests per hour."},
		{999, "Rate limit exceeded. Maximum 999 requests per hour."},
		{1000, "Rate limit exceeded. Maximum 1,000 requests per hour."},
		{25000, "Rate limit exceeded. Maximum 25,000 requests per hour."},
		{1234567, "Rate limit exceeded. Maximum 1,234,567 requests per hour."},
	}
	for _, tt := range tests {
		s := New(Options{Customers: 1, RateLimit: tt.limit})
		if got := s.rateLimitMessage(); got != tt.want {
			t.Errorf("limit %d: got %q; want %q", tt.limit, got, tt.want)
		}
	}
}

func TestPeakInFlight(t *testing.T) {
	s := New(Options{Customers: 20, Latency: 50 * time.Millisecond})
	srv := httptest.NewServer(s)
	defer srv.Close()
	var wg sync.WaitGroup
	for i := 1; i <= 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/customers/CUST-%06d", srv.URL, i), nil)
			req.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	// 8 requests that each take 50ms, started together, overlap.
	if got := s.Stats().PeakInFlight; got < 2 || got > 8 {
		t.Errorf("PeakInFlight after 8 concurrent slow GETs = %d; want 2..8", got)
	}
	s.Reset()
	if got := s.Stats().PeakInFlight; got != 0 {
		t.Errorf("PeakInFlight after Reset = %d; want 0", got)
	}
}

func TestSimCustomers(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 300})
	r := c.withKey("").get("/__sim/customers")
	wantStatus(t, r, http.StatusOK)
	var got []map[string]any
	decode(t, r, &got)
	all := allCustomers(t, s)
	if len(got) != len(all) {
		t.Fatalf("customers: got %d; want %d", len(got), len(all))
	}
	orNil := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	var noEmail, noPhone int
	for i, cu := range all {
		want := map[string]any{
			"id":             cu.ID,
			"email":          orNil(cu.PrimaryEmail()),
			"phone":          orNil(cu.PrimaryPhone()),
			"customerNumber": cu.CustomerNumber,
			"name":           nil,
		}
		if cu.DisplayName != nil {
			want["name"] = *cu.DisplayName
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("customer %d: got %v; want %v", i, got[i], want)
		}
		if want["email"] == nil {
			noEmail++
		}
		if want["phone"] == nil {
			noPhone++
		}
	}
	if noEmail == 0 || noPhone == 0 {
		t.Errorf("customers without email, phone: got %d, %d; want some of each in 300", noEmail, noPhone)
	}
	want0 := map[string]any{"id": "k1234567890abcdef", "email": "john@example.com", "phone": "+15554567890", "customerNumber": "CUST-000001", "name": "John Doe"}
	if !reflect.DeepEqual(got[0], want0) {
		t.Errorf("first customer: got %v; want %v", got[0], want0)
	}
	// It is a control endpoint: not counted, not logged.
	if st := s.Stats(); st.Total != 0 || len(s.Requests()) != 0 {
		t.Errorf("after /__sim/customers: got %+v and %d logged; want nothing counted or logged", st, len(s.Requests()))
	}
	// A PATCH shows at once.
	wantStatus(t, c.patch("/customers/CUST-000002", `{"email":"new.address@example.com","firstName":"Zed","lastName":null}`), http.StatusOK)
	decode(t, c.get("/__sim/customers"), &got)
	if got[1]["email"] != "new.address@example.com" || got[1]["name"] != "Zed" {
		t.Errorf("customer 2 after PATCH: got %v; want the new email and name Zed", got[1])
	}
}
