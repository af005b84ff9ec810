package komerzasim

import (
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestStatsCountRoutes(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10, APIKeys: []string{"sim-key", "reader:read"}})
	id := base + "/" + exampleID
	c.get(id)                                                           // get
	c.get(base + "/jordan.lee@example.com/email")                       // get
	c.get(base + "/bad")                                                // get 400
	c.withKey("").get(id)                                               // get 401
	c.get(base + "?PageSize=2")                                         // list
	c.get(base + "/search/example")                                     // list
	c.get(base + "?Page=0")                                             // list 400
	c.do(http.MethodPatch, id+"/balance", `{"newBalance":1}`)           // patch
	c.withKey("reader").do(http.MethodPatch, id+"/balance", `{}`)       // patch 403
	c.do(http.MethodPost, base, `{"emailAddress":"a.new@example.com"}`) // patch
	c.do(http.MethodDelete, id, "")                                     // no route: 405
	c.get("/nope")                                                      // no route: 404
	c.get("/__sim/stats")                                               // control: not counted

	want := Stats{Get: 4, List: 3, Patch: 3, Total: 12, PeakInFlight: 1}
	if got := s.Stats(); got != want {
		t.Errorf("Stats: got %+v; want %+v", got, want)
	}
	var got Stats
	decode(t, c.get("/__sim/stats"), &got)
	if got != want {
		t.Errorf("/__sim/stats: got %+v; want %+v", got, want)
	}
	reqs := s.Requests()
	if len(reqs) != 12 || reqs[7] != (Request{Method: "PATCH", Path: id + "/balance", Body: `{"newBalance":1}`}) || reqs[4].Query != "PageSize=2" {
		t.Errorf("Requests: got %+v", reqs)
	}
	s.Reset()
	if got := s.Stats(); got != (Stats{}) || len(s.Requests()) != 0 {
		t.Errorf("after Reset: got %+v and %d requests; want zero", got, len(s.Requests()))
	}
}

func TestFaults(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10})
	id := base + "/" + exampleID
	if err := s.SetFaults(Faults{Status: 503}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		client *testClient
		method string
		path   string
		body   string
	}{
		{"get", c, "GET", id, ""},
		{"email", c, "GET", base + "/jordan.lee@example.com/email", ""},
		{"list", c, "GET", base, ""},
		{"search", c, "GET", base + "/search/x", ""},
		{"patch", c, "PATCH", id + "/balance", `{"newBalance":1}`},
		{"register", c, "POST", base, `{"emailAddress":"f@example.com"}`},
		{"before authentication", c.withKey(""), "GET", id, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.client.do(tt.method, tt.path, tt.body), 503, "Service Unavailable")
		})
	}
	if cu, _ := s.Customer(exampleID); cu.Balance != 123 || s.Len() != 10 {
		t.Errorf("faulted writes changed data: balance %v, %d customers", cu.Balance, s.Len())
	}

	c.do(http.MethodPost, "/__sim/faults", `{"status":500,"routes":["list"]}`)
	wantStatus(t, c.get(id), http.StatusOK)
	wantError(t, c.get(base+"/search/x"), 500, "Internal Server Error")

	c.do(http.MethodPost, "/__sim/faults", `{"status":404,"routes":["get"]}`)
	wantError(t, c.get(id), 404, "Customer not found")

	c.do(http.MethodPost, "/__sim/faults", `{"status":429,"retryAfter":4}`)
	r := c.get(id)
	wantError(t, r, 429, "Rate limit exceeded")
	if got := r.header.Get("Retry-After"); got != "4" {
		t.Errorf("Retry-After: got %q; want 4", got)
	}
	c.do(http.MethodPost, "/__sim/faults", `{"latency":"120ms","routes":["patch"]}`)
	start := time.Now()
	c.do(http.MethodPatch, id+"/balance", `{"newBalance":2}`)
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Errorf("PATCH with 120ms fault latency took %v", d)
	}
	wantStatus(t, c.do(http.MethodDelete, "/__sim/faults", ""), http.StatusNoContent)
	wantStatus(t, c.get(id), http.StatusOK)
	// Control endpoint errors take the envelope too.
	wantError(t, c.do(http.MethodPost, "/__sim/faults", `{"status":99}`), 400, "")
	wantError(t, c.get("/__sim/nope"), 404, "Not found: /__sim/nope")
}

func TestRateLimit(t *testing.T) {
	clock := newFakeClock()
	_, c := newTestServer(t, Options{Customers: 5, RateLimit: 2, APIKeys: []string{"a", "b"}, Now: clock.Now})
	a := c.withKey("a")
	id := base + "/" + exampleID
	wantStatus(t, a.get(id), http.StatusOK)
	wantStatus(t, a.get(base), http.StatusOK)
	clock.Advance(15 * time.Minute)
	r := a.get(id)
	wantError(t, r, 429, "Rate limit exceeded")
	if got := r.header.Get("Retry-After"); got != "2700" {
		t.Errorf("Retry-After: got %q; want 2700", got)
	}
	wantStatus(t, c.withKey("b").get(id), http.StatusOK)
	clock.Advance(45 * time.Minute)
	wantStatus(t, a.get(id), http.StatusOK)
}

func TestSetAPIKeys(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 5})
	s.SetAPIKeys("new:read")
	wantError(t, c.get(base), 401, "Invalid API key")
	n := c.withKey("new")
	wantStatus(t, n.get(base), http.StatusOK)
	wantError(t, n.do(http.MethodPatch, base+"/"+exampleID+"/balance", `{"newBalance":1}`), 403, "")
}

func TestSimCustomers(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 40})
	c.do(http.MethodPost, base, `{"emailAddress":"Late.Comer@example.com"}`)
	var got []map[string]any
	decode(t, c.withKey("").get("/__sim/customers"), &got)
	all := allCustomers(t, s)
	if len(got) != 41 || len(all) != 41 {
		t.Fatalf("customers: got %d, %d; want 41", len(got), len(all))
	}
	for i, cu := range all {
		want := map[string]any{"id": cu.ID, "email": cu.EmailAddress, "phone": nil, "customerNumber": nil, "name": nil}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("customer %d: got %v; want %v", i, got[i], want)
		}
	}
	if got[0]["id"] != exampleID || got[40]["email"] != "Late.Comer@example.com" {
		t.Errorf("first and last: got %v, %v; want the example first and the registration last", got[0], got[40])
	}
}

func TestStoreOption(t *testing.T) {
	const store = "ABCDEF01-2345-4678-89AB-CDEF01234567"
	s, c := newTestServer(t, Options{Customers: 5, Store: store})
	if s.Store() != "abcdef01-2345-4678-89ab-cdef01234567" {
		t.Errorf("Store: got %s; want it lower-cased", s.Store())
	}
	for _, st := range []string{store, "abcdef01-2345-4678-89ab-cdef01234567"} {
		cu := c.getOK("/stores/" + st + "/customers/" + exampleID)
		if cu.Tickets[0].StoreID != s.Store() {
			t.Errorf("ticket storeId: got %s; want %s", cu.Tickets[0].StoreID, s.Store())
		}
	}
	wantError(t, c.get(base+"/"+exampleID), 404, "Store not found")
}

// TestConcurrentUse mixes every route with control calls; run it with -race.
func TestConcurrentUse(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 200})
	all := allCustomers(t, s)
	s.SetFaults(Faults{Status: 503, Rate: 0.05})
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := range 12 {
		wg.Go(func() {
			for i := range 40 {
				cu := all[(g*40+i)%len(all)]
				var r response
				switch i % 6 {
				case 0:
					r = c.get(base + "/" + cu.ID)
				case 1:
					r = c.get(base + "/search/example?PageSize=50")
				case 2:
					r = c.do(http.MethodPatch, base+"/"+cu.ID+"/balance", fmt.Sprintf(`{"newBalance":%d}`, i))
				case 3:
					r = c.do(http.MethodPost, base, fmt.Sprintf(`{"emailAddress":"g%d.i%d@race.example.com"}`, g, i))
				case 4:
					r = c.get(base + "?email=race&PageSize=100")
				case 5:
					s.Customer(cu.ID)
					s.Stats()
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
	s.ClearFaults()
	seen := map[string]bool{}
	for _, cu := range allCustomers(t, s) {
		if seen[cu.ID] {
			t.Errorf("ID %s twice", cu.ID)
		}
		seen[cu.ID] = true
	}
}
