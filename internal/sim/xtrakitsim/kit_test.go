package xtrakitsim

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestStatsCountRoutes(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10, APIKeys: []string{"sim-key", "reader:read"}})
	c.get("/customers/1")                                      // get
	c.get("/customers/99")                                     // get 404
	c.withKey("").get("/customers/1")                          // get 401
	c.get("/customer-groups/1")                                // get
	c.get("/customers")                                        // list
	c.get("/customers?created_at=bad")                         // list 422
	c.get("/customer-groups")                                  // list
	c.do(http.MethodPut, "/customers/1", validBody)            // patch
	c.withKey("reader").do(http.MethodPut, "/customers/1", "") // patch 403
	c.do(http.MethodPost, "/customers/add", validBody)         // patch
	c.do(http.MethodDelete, "/customers/1", "")                // no route
	c.get("/__sim/stats")                                      // control
	want := Stats{Get: 4, List: 3, Patch: 3, Total: 11, PeakInFlight: 1}
	if got := s.Stats(); got != want {
		t.Errorf("Stats: got %+v; want %+v", got, want)
	}
	var got Stats
	decode(t, c.get("/__sim/stats"), &got)
	if got != want {
		t.Errorf("/__sim/stats: got %+v; want %+v", got, want)
	}
	if reqs := s.Requests(); len(reqs) != 11 || reqs[7] != (Request{Method: "PUT", Path: "/customers/1", Body: validBody}) {
		t.Errorf("Requests: got %+v", reqs)
	}
	s.Reset()
	if s.Stats() != (Stats{}) || len(s.Requests()) != 0 {
		t.Errorf("after Reset: got %+v, %d requests; want zero", s.Stats(), len(s.Requests()))
	}
}

func TestFaults(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10})
	s.SetFaults(Faults{Status: 503})
	for _, tt := range []struct{ method, path, body string }{
		{"GET", "/customers/1", ""}, {"GET", "/customers", ""}, {"PUT", "/customers/1", validBody},
		{"POST", "/customers/add", validBody}, {"GET", "/customer-groups", ""}, {"GET", "/customer-groups/2", ""},
	} {
		wantError(t, c.do(tt.method, tt.path, tt.body), 503, "Service Unavailable")
	}
	wantError(t, c.withKey("").get("/customers/1"), 503, "Service Unavailable") // before authentication
	if cu, _ := s.Customer(1); cu.CustomerName != "Jane Doe" || s.Len() != 10 {
		t.Errorf("faulted writes changed data")
	}
	c.do(http.MethodPost, "/__sim/faults", `{"status":404,"routes":["get"]}`)
	wantError(t, c.get("/customers/1"), 404, "Customer not found")
	wantError(t, c.get("/customer-groups/1"), 404, "Customer group not found")
	wantStatus(t, c.get("/customers"), 200)
	c.do(http.MethodPost, "/__sim/faults", `{"status":429,"retryAfter":9,"routes":["list"]}`)
	r := c.get("/customers")
	wantError(t, r, 429, "")
	if got := r.header.Get("Retry-After"); got != "9" {
		t.Errorf("Retry-After: got %q; want 9", got)
	}
	c.do(http.MethodPost, "/__sim/faults", `{"status":500,"rate":0.5}`)
	failed := 0
	for range 200 {
		if c.get("/customers/2").status == 500 {
			failed++
		}
	}
	if failed < 60 || failed > 140 {
		t.Errorf("failures at rate 0.5: got %d of 200", failed)
	}
	wantStatus(t, c.do(http.MethodDelete, "/__sim/faults", ""), http.StatusNoContent)
	wantStatus(t, c.get("/customers/1"), 200)
	wantError(t, c.do(http.MethodPost, "/__sim/faults", `{"routes":["put"]}`), 400, "")
	wantError(t, c.get("/__sim/nope"), 404, "Not found: /__sim/nope")
}

func TestRateLimit(t *testing.T) {
	clock := newFakeClock()
	_, c := newTestServer(t, Options{Customers: 5, RateLimit: 2, Now: clock.Now})
	wantStatus(t, c.get("/customers/1"), 200)
	wantStatus(t, c.get("/customers"), 200)
	clock.Advance(time.Minute)
	r := c.get("/customers/1")
	wantError(t, r, 429, "Too Many Requests: rate limit exceeded")
	if got := r.header.Get("Retry-After"); got != "3540" {
		t.Errorf("Retry-After: got %q; want 3540", got)
	}
	wantError(t, c.withKey("other").get("/customers/1"), 401, "Unauthorized: Invalid API Key")
	clock.Advance(time.Hour)
	wantStatus(t, c.get("/customers/1"), 200)
}

func TestSetAPIKeys(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 5})
	s.SetAPIKeys("viewer:read")
	wantError(t, c.get("/customers/1"), 401, "Unauthorized: Invalid API Key")
	v := c.withKey("viewer")
	wantStatus(t, v.get("/customers/1"), 200)
	wantError(t, v.do(http.MethodPut, "/customers/1", validBody), 403, "")
}

func TestSimCustomers(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 60})
	c.do(http.MethodPost, "/customers/add", validBody)
	var got []map[string]any
	decode(t, c.withKey("").get("/__sim/customers"), &got)
	all := allCustomers(t, s)
	if len(got) != 61 {
		t.Fatalf("customers: got %d; want 61", len(got))
	}
	for i, cu := range all {
		want := map[string]any{"id": strconv.Itoa(cu.ID), "email": nil, "phone": cu.CustomerPhone, "customerNumber": nil, "name": cu.CustomerName}
		if cu.CustomerEmail != nil {
			want["email"] = *cu.CustomerEmail
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("customer %d: got %v; want %v", i+1, got[i], want)
		}
	}
	if got[0]["name"] != "Jane Doe" || got[60]["phone"] != "+233 20 111 2222" {
		t.Errorf("first, last: got %v, %v", got[0], got[60])
	}
}

// TestConcurrentUse mixes every route with control calls; run it with -race.
func TestConcurrentUse(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 150})
	s.SetFaults(Faults{Status: 503, Rate: 0.05})
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := range 12 {
		wg.Go(func() {
			for i := range 30 {
				id := 1 + (g*30+i)%150
				var r response
				switch i % 5 {
				case 0:
					r = c.get(fmt.Sprintf("/customers/%d", id))
				case 1:
					r = c.get("/customers?customer_group_id=2")
				case 2:
					r = c.do(http.MethodPut, fmt.Sprintf("/customers/%d", id), fmt.Sprintf(`{"customer_name":"G%d I%d","customer_phone":"+1212555%04d","customer_country":"US","customer_city":"NYC","customer_state":"NY","address1":"1 Broadway","customer_group_id":%d}`, g, i, g*100+i, 1+i%6))
				case 3:
					r = c.do(http.MethodPost, "/customers/add", validBody)
					if r.status == http.StatusCreated {
						r.status = http.StatusOK
					}
				case 4:
					s.Customer(id)
					s.CustomerGroups(id)
					r = c.get("/__sim/customers")
				}
				if r.status != http.StatusOK && r.status != http.StatusServiceUnavailable {
					errs <- fmt.Errorf("goroutine %d step %d: got %d %s", g, i, r.status, r.body)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, cu := range allCustomers(t, s) {
		if cu.ID != i+1 {
			t.Fatalf("customer at %d has ID %d", i+1, cu.ID)
		}
	}
}
