package tiquosim

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentUse runs GETs, lists, PATCHes and control calls from many
// goroutines; run it with -race.
func TestConcurrentUse(t *testing.T) {
	const (
		n          = 200
		goroutines = 16
		iterations = 60
	)
	s, c := newTestServer(t, Options{Customers: n, RateLimit: 1_000_000})
	all := allCustomers(t, s)
	if err := s.SetFaults(Faults{Status: 503, Rate: 0.05}); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, goroutines*iterations)
	for g := range goroutines {
		wg.Go(func() {
			for i := range iterations {
				cu := all[(g*iterations+i)%n]
				var r response
				switch i % 6 {
				case 0:
					r = c.get("/customers/" + cu.ID)
				case 1:
					r = c.get("/customers/" + pathEscape(cu.CustomerNumber))
				case 2:
					r = c.get(fmt.Sprintf("/customers?limit=%d&search=example", 1+i%100))
				case 3:
					r = c.patch("/customers/"+cu.ID, fmt.Sprintf(`{"email":"g%d.i%d@race.example.com","phone":"+1404%07d","tags":["t%d"],"address":{"city":"C%d"}}`, g, i, g*1000+i, i, g))
				case 4:
					r = c.get("/customers?parameterId=system_marketing_opt_in&parameterValue=true&limit=50")
				case 5:
					s.Stats()
					s.Requests()
					s.Customer(cu.CustomerNumber)
					r = c.get("/__sim/requests")
				}
				switch r.status {
				case http.StatusOK, http.StatusServiceUnavailable:
				default:
					errs <- fmt.Errorf("goroutine %d step %d: status: got %d; want 200 or 503 (%s)", g, i, r.status, r.body)
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			s.Reset()
			if err := s.SetFaults(Faults{Status: 503, Rate: 0.05}); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// The indexes agree with the data after the storm.
	s.ClearFaults()
	for _, cu := range allCustomers(t, s) {
		for _, id := range []string{cu.PrimaryEmail(), cu.PrimaryPhone()} {
			if id == "" {
				continue
			}
			got, ok := s.Customer(id)
			if !ok || got.ID != cu.ID {
				t.Errorf("Customer(%s): got %s, %v; want %s", id, got.ID, ok, cu.ID)
			}
		}
	}
}
