package loaders

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"customergraph/internal/cache"
	"customergraph/internal/identifier"
)

// countingCache counts the keys read from a memory cache.
type countingCache struct {
	*cache.Memory
	reads atomic.Int64
}

func (c *countingCache) Get(ctx context.Context, keys []string) ([][]byte, error) {
	c.reads.Add(int64(len(keys)))
	return c.Memory.Get(ctx, keys)
}

// The customers of a page are found by the request's later lookups by
// any of their identifiers, concurrent ones too, without a cache read or
// an upstream call, as if they had been primed when listed.
func TestListedCustomersAreFoundByLaterLookups(t *testing.T) {
	sim, up := newUpstream(t)
	c := &countingCache{Memory: cache.NewMemory(cache.MemoryOptions{})}
	s := New(Config{Vendor: up, Cache: c, Namespace: "t"})
	ctx := context.Background()
	l := s.NewLoaders()
	page, err := l.Customers(ctx, ListQuery{First: 5})
	if err != nil || len(page.Edges) != 5 {
		t.Fatalf("page: %v, %v", page, err)
	}
	reads, calls := c.reads.Load(), sim.Stats().Total
	var wg sync.WaitGroup
	for _, e := range page.Edges {
		ids := []identifier.ID{identifier.MustParse(e.Node.CustomerNumber)}
		if email := e.Node.Email(); email != nil {
			ids = append(ids, identifier.MustParse(*email))
		}
		for _, id := range ids {
			wg.Go(func() {
				got, err := l.Customer(ctx, id)
				if err != nil || got != e.Node {
					t.Errorf("lookup %s after the page: %p, %v; want the listed record %p", id, got, err, e.Node)
				}
			})
		}
	}
	wg.Wait()
	if r, n := c.reads.Load()-reads, sim.Stats().Total-calls; r != 0 || n != 0 {
		t.Errorf("lookups of listed customers read %d keys and made %d upstream calls; want none", r, n)
	}
}
