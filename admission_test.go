package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"customergraph/internal/sim/tiquosim"
)

// TestAdmissionByCost: expensive operations beyond the budget wait their
// turn while cheap ones still run side by side; a request that waits too
// long is answered SERVER_BUSY.
func TestAdmissionByCost(t *testing.T) {
	s := newStack(t, stackOptions{env: map[string]string{"MAX_INFLIGHT_COST": "150", "ADMISSION_TIMEOUT": "5s"}})
	const page = `{ customers(first: 50) { nodes { id displayName status } } }` // cost 1 + 50×3 > 150

	run := func(n int, query func(i int) string) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := s.post(query(i), nil); len(r.Errors) > 0 {
					t.Errorf("query %d: %+v", i, r.Errors)
				}
			}()
		}
		wg.Wait()
	}

	s.sim.SetFaults(tiquosim.Faults{Latency: 100 * time.Millisecond})
	s.resetStats()
	run(4, func(int) string { return page })
	if st := s.stats(); st.List != 4 || st.PeakInFlight != 1 {
		t.Errorf("4 pages over budget: %+v; want 4 list calls, one at a time", st)
	}

	s.resetStats()
	// Customers beyond the pages above, so not cached.
	run(8, func(i int) string { return fmt.Sprintf(`{ customer(customerNumber: "CUST-%06d") { id } }`, 200+i) })
	if st := s.stats(); st.Get != 8 || st.PeakInFlight < 2 {
		t.Errorf("8 cheap lookups: %+v; want 8 GETs side by side", st)
	}
	s.sim.ClearFaults()

	// Every admitted operation gave its cost back.
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"customergraph_admission_inflight_cost 0\n", "customergraph_admission_waiting 0\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q after all requests finished", want)
		}
	}
}

func TestAdmissionTimeout(t *testing.T) {
	s := newStack(t, stackOptions{env: map[string]string{"MAX_INFLIGHT_COST": "150", "ADMISSION_TIMEOUT": "100ms"}})
	s.sim.SetFaults(tiquosim.Faults{Latency: time.Second, Routes: []string{"list"}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.post(`{ customers(first: 50) { nodes { id displayName status } } }`, nil)
	}()
	time.Sleep(200 * time.Millisecond) // the first page holds the whole budget
	r := s.post(`{ customers(first: 50) { nodes { id displayName status } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "SERVER_BUSY" {
		t.Errorf("second page: errors %+v; want SERVER_BUSY", r.Errors)
	}
	<-done
}
