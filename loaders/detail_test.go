package loaders

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/sim/simkit"
	"customergraph/internal/sim/xtrakitsim"
	"customergraph/internal/xtrakit"
)

// heldCache holds every write until hold is closed, so that what a read
// shares until its write-back lands stays shared.
type heldCache struct {
	Cache
	hold chan struct{}
}

func (c *heldCache) Set(ctx context.Context, entries []cache.Entry) error {
	<-c.hold
	return c.Cache.Set(ctx, entries)
}

// A lookup answered from the alias index shares its record, which lacks
// the detail, under the customer's ID until its write-back lands; a read
// of the detail in that window must not take it for an answer, but read
// the customer, groups and all.
func TestDetailIsNotTakenFromAnIndexedLookup(t *testing.T) {
	sim := xtrakitsim.New(xtrakitsim.Options{Customers: 10})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	client, err := xtrakit.New(srv.URL, simkit.DefaultAPIKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	vendor := xtrakit.NewAdapter(client, time.UTC)
	rec, _ := sim.Customer(1)
	want, _ := sim.CustomerGroups(1)
	ctx := context.Background()
	// The shared record is dropped a moment after the lookup if its
	// write-back never lands: on a loaded machine the read of the detail
	// may come too late to meet it, and the scenario is set up again.
	for attempt := 1; ; attempt++ {
		held := &heldCache{Cache: cache.NewMemory(cache.MemoryOptions{}), hold: make(chan struct{})}
		s := New(Config{Vendor: vendor, Cache: held, Namespace: "t"})
		sim.Reset()
		c, err := s.NewLoaders().Customer(ctx, identifier.MustParse(*rec.CustomerEmail))
		if err != nil || c == nil {
			close(held.hold)
			t.Fatalf("lookup by email: %v, %v", c, err)
		}
		id, _ := s.idOf(c.ID)
		_, shared := s.gets.peek(id)
		got := s.NewLoaders().Complete(ctx, []*customer.Customer{c}, true, false)[0]
		close(held.hold)
		if !shared {
			if attempt == 5 {
				t.Fatal("the lookup's record was never shared under the customer's ID")
			}
			continue
		}
		groups, err := got.Groups()
		if err != nil {
			t.Fatalf("groups: %v; want the customer's %d", err, len(want))
		}
		if len(groups) != len(want) {
			t.Errorf("got %d groups; want %d", len(groups), len(want))
		}
		if st := sim.Stats(); st.List != 1 || st.Get != 1 {
			t.Errorf("got %d list reads and %d single reads; want 1 of each", st.List, st.Get)
		}
		return
	}
}
