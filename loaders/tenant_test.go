package loaders

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/identifier"
	"customergraph/internal/tiquo"
	"customergraph/internal/tiquosim"
)

// TestTenantsNeverShare runs two tenants over one upstream and one cache:
// neither a coalesced call nor a cached entry crosses between them.
func TestTenantsNeverShare(t *testing.T) {
	sim := tiquosim.New(tiquosim.Options{Customers: 10})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	client, err := tiquo.New(srv.URL, tiquosim.DefaultAPIKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	shared := cache.NewMemory(cache.MemoryOptions{})
	defer shared.Close()
	a := New(Config{Upstream: client, Cache: shared, Namespace: "tenant-a"})
	b := New(Config{Upstream: client, Cache: shared, Namespace: "tenant-b"})
	id := identifier.MustParse("john@example.com")

	// Concurrent misses: one call per tenant, not one in all.
	sim.SetFaults(tiquosim.Faults{Latency: 200 * time.Millisecond, Routes: []string{"get"}})
	var wg sync.WaitGroup
	for _, s := range []*Service{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := s.NewLoaders().Customer(context.Background(), id); err != nil || c == nil {
				t.Errorf("lookup: %v, %v", c, err)
			}
		}()
	}
	wg.Wait()
	sim.ClearFaults()
	if got := sim.Stats().Get; got != 2 {
		t.Errorf("two tenants looking up one customer concurrently cost %d GETs; want 2", got)
	}

	// What tenant a cached, tenant b does not see.
	sim.Reset()
	other := identifier.MustParse("CUST-000002")
	a.NewLoaders().Customer(context.Background(), other)
	b.NewLoaders().Customer(context.Background(), other)
	if got := sim.Stats().Get; got != 2 {
		t.Errorf("a customer cached by tenant a, then read by b, cost %d GETs; want 2", got)
	}
	a.NewLoaders().Customer(context.Background(), other)
	if got := sim.Stats().Get; got != 2 {
		t.Errorf("tenant a's second read cost %d GETs in all; want it cached", got)
	}
}
