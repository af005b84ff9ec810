package loaders

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/cache/cachetest"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/sim/tiquosim"
	"customergraph/internal/tiquo"
)

// newUpstream returns the simulator, served over loopback, and a client of it.
func newUpstream(t *testing.T) (*tiquosim.Server, *tiquo.Adapter) {
	t.Helper()
	sim := tiquosim.New(tiquosim.Options{Customers: 10})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := tiquo.New(srv.URL, tiquosim.DefaultAPIKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sim, tiquo.NewAdapter(client)
}

// redisCache returns a Redis cache on addr with the given operation
// timeout (0: the default), closed when t ends.
func redisCache(t *testing.T, addr string, timeout time.Duration) *cache.Redis {
	t.Helper()
	rc, err := cache.DialRedis("redis://"+addr, cache.RedisOptions{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

// TestTenantsNeverShare runs two tenants over one upstream and one cache:
// neither a coalesced call nor a cached entry crosses between them.
func TestTenantsNeverShare(t *testing.T) {
	sim, client := newUpstream(t)
	shared := cache.NewMemory(cache.MemoryOptions{})
	defer shared.Close()
	a := New(Config{Vendor: client, Cache: shared, Namespace: "tenant-a"})
	b := New(Config{Vendor: client, Cache: shared, Namespace: "tenant-b"})
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
	sim, client := newUpstream(t)
	// What is tested is the caller leaving, not a slow Redis: a loaded
	// machine must not turn the write-through into a timeout.
	rc := redisCache(t, cachetest.Redis(t), time.Second)
	s := New(Config{Vendor: cancelAfterUpdate{client}, Cache: rc, Namespace: cachetest.Namespace(t)})
	id := identifier.MustParse("k1234567890abcdef")
	if c, err := s.NewLoaders().Customer(context.Background(), id); err != nil || c == nil {
		t.Fatalf("warm-up: %v, %v", c, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ctx = context.WithValue(ctx, cancelKey{}, cancel)
	if _, err := s.NewLoaders().UpdateCustomer(ctx, id, customer.Patch{FirstName: customer.Some("Johnny")}); err != nil {
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
type cancelAfterUpdate struct{ *tiquo.Adapter }

func (u cancelAfterUpdate) Update(ctx context.Context, id string, cur *customer.Customer, p customer.Patch) (*customer.Customer, error) {
	c, err := u.Adapter.Update(ctx, id, cur, p)
	if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
		cancel()
	}
	return c, err
}

// TestWriteThroughRetriesAcrossARedisBlip: Redis stops answering (a pause:
// commands hang and time out, the data stays) just as an update is written
// through, and answers again a moment later; the cache then serves the
// updated record, not the old one.
func TestWriteThroughRetriesAcrossARedisBlip(t *testing.T) {
	_, client := newUpstream(t)
	redisSrv := cachetest.StartServer(t, 0) // its own: the pause stops every client
	rc := redisCache(t, redisSrv.Addr, 0)
	admin := cachetest.NewClient(redisSrv.Addr)
	defer admin.Close()
	// The upstream accepts the update just as Redis stops answering.
	pause := func() { admin.Do(context.Background(), "CLIENT", "PAUSE", 700, "ALL") }
	s := New(Config{Vendor: &hookOnUpdate{Adapter: client, after: pause}, Cache: rc, Namespace: "t"})
	id := identifier.MustParse("k1234567890abcdef")
	if _, err := s.NewLoaders().Customer(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewLoaders().UpdateCustomer(context.Background(), id, customer.Patch{FirstName: customer.Some("Johnny")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // past the pause
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := s.NewLoaders().Customer(context.Background(), id)
		if err == nil && c != nil && c.FirstName != nil && *c.FirstName == "Johnny" {
			break
		}
		if time.Now().After(deadline) {
			name := "<none>"
			if c != nil && c.FirstName != nil {
				name = *c.FirstName
			}
			t.Fatalf("10s after the pause the cache serves firstName %q, err %v; want the updated Johnny", name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type hookOnUpdate struct {
	*tiquo.Adapter
	after func()
}

func (h *hookOnUpdate) Update(ctx context.Context, id string, cur *customer.Customer, p customer.Patch) (*customer.Customer, error) {
	c, err := h.Adapter.Update(ctx, id, cur, p)
	h.after()
	return c, err
}

// timeoutCache is a cache whose next reads time out, as a loaded Redis's
// do, before reaching the cache it wraps.
type timeoutCache struct {
	Cache
	timeouts atomic.Int32
	refused  atomic.Bool
}

func (c *timeoutCache) Get(ctx context.Context, keys []string) ([][]byte, error) {
	if c.timeouts.Add(-1) >= 0 {
		return make([][]byte, len(keys)), fmt.Errorf("cache: get: %w: %w", cache.ErrSlow, os.ErrDeadlineExceeded)
	}
	if c.refused.Load() {
		return make([][]byte, len(keys)), fmt.Errorf("cache: get: %w", syscall.ECONNREFUSED)
	}
	return c.Cache.Get(ctx, keys)
}

// A cache read that is too slow is asked again, with more patience, rather
// than taken for a miss of every key, which would cost an upstream call
// each: however often it is slow, no upstream call is made; a request
// whose deadline passes first fails with ErrBusy, still without one. Only
// an unavailable cache (refused) is a miss.
func TestCacheTimeoutIsTriedAgain(t *testing.T) {
	sim, client := newUpstream(t)
	c := &timeoutCache{Cache: cache.NewMemory(cache.MemoryOptions{})}
	s := New(Config{Vendor: client, Cache: c, Namespace: "t"})
	ids := []identifier.ID{identifier.MustParse("CUST-000001"), identifier.MustParse("CUST-000002"), identifier.MustParse("CUST-000003")}
	load := func() {
		t.Helper()
		l := s.NewLoaders()
		for _, id := range ids {
			if got, err := l.Customer(context.Background(), id); err != nil || got == nil {
				t.Fatalf("%s: %v, %v", id, got, err)
			}
		}
	}
	load()
	// The write-back lands after the answer.
	deadline := time.Now().Add(5 * time.Second)
	for {
		vals, _ := c.Cache.Get(context.Background(), []string{s.keys.Customer("k1234567890abcdef")})
		if vals[0] != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, timeouts := range []int32{0, 1, 2, 7} {
		sim.Reset()
		c.timeouts.Store(timeouts)
		load()
		if got := sim.Stats().Get; got != 0 {
			t.Errorf("%d slow reads: got %d upstream GETs; want 0", timeouts, got)
		}
	}
	// Slow past the request's deadline: ErrBusy, no upstream call.
	sim.Reset()
	c.timeouts.Store(1 << 20)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	go func() { <-ctx.Done(); c.timeouts.Store(0) }()
	if _, err := s.NewLoaders().Customer(ctx, ids[0]); !errors.Is(err, ErrBusy) {
		t.Errorf("slow past the deadline: %v; want ErrBusy", err)
	}
	if got := sim.Stats().Get; got != 0 {
		t.Errorf("slow past the deadline: %d upstream GETs; want 0", got)
	}
	// Unavailable: a miss, answered from the upstream.
	c.timeouts.Store(0)
	c.refused.Store(true)
	load()
	if got := sim.Stats().Get; got != int64(len(ids)) {
		t.Errorf("refused: %d upstream GETs; want %d", got, len(ids))
	}
}
