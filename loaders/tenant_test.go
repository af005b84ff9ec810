package loaders

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/cache/cachetest"
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

// TestUpdateWritesThroughAfterCallerLeaves: the caller's context ending
// right after the upstream accepted an update does not leave the old record
// in the cache.
func TestUpdateWritesThroughAfterCallerLeaves(t *testing.T) {
	sim := tiquosim.New(tiquosim.Options{Customers: 10})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	client, err := tiquo.New(srv.URL, tiquosim.DefaultAPIKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := cache.DialRedis("redis://"+cachetest.Redis(t), cache.RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	s := New(Config{Upstream: cancelAfterUpdate{client}, Cache: rc, Namespace: cachetest.Namespace(t)})
	id := identifier.MustParse("k1234567890abcdef")
	if c, err := s.NewLoaders().Customer(context.Background(), id); err != nil || c == nil {
		t.Fatalf("warm-up: %v, %v", c, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ctx = context.WithValue(ctx, cancelKey{}, cancel)
	if _, err := s.NewLoaders().UpdateCustomer(ctx, id, Patch{FirstName: Some("Johnny")}); err != nil {
		t.Fatal(err)
	}
	sim.Reset()
	c, err := s.NewLoaders().Customer(context.Background(), id)
	if err != nil || c == nil || c.FirstName == nil {
		t.Fatalf("after the update: %v, %v; want the customer", c, err)
	}
	if *c.FirstName != "Johnny" {
		t.Errorf("firstName after the update = %q; want Johnny", *c.FirstName)
	}
	if got := sim.Stats().Total; got != 0 {
		t.Errorf("read after the update cost %d upstream calls; want it from the write-through", got)
	}
}

type cancelKey struct{}

// cancelAfterUpdate cancels the caller's context as soon as the upstream
// has accepted an update, as a client hanging up at that moment would.
type cancelAfterUpdate struct{ *tiquo.Client }

func (u cancelAfterUpdate) UpdateCustomer(ctx context.Context, id string, p tiquo.Patch) (*tiquo.Customer, error) {
	c, err := u.Client.UpdateCustomer(ctx, id, p)
	if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
		cancel()
	}
	return c, err
}
