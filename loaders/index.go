package loaders

import (
	"context"
	"slices"
	"sync"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
)

// What the facade supplies for a vendor whose API is thin: its list is one
// unpaginated response (Capabilities.Unpaginated), and it cannot look a
// customer up by email or phone (Capabilities.Indexed).
//
// A snapshot is the vendor's whole list for one set of filters, as fetched
// at one moment. The unfiltered one is also the alias index: every primary
// email and phone it holds, mapped to its customer. A connection pages and
// searches a snapshot while it is fresh (CACHE_TTL), so one list call
// serves every page of a walk; a lookup by an indexed kind that misses the
// cache is answered from the unfiltered snapshot, which is fetched anew
// when it is older than the index interval (NEGATIVE_CACHE_TTL): however
// many lookups miss, at most one list call per interval per instance, and
// none on any instance that finds the interval's marker in the cache,
// since the refresh writes every customer under its ID and aliases.
type listSnapshot struct {
	at        time.Time
	customers []*customer.Customer // shared: read-only
	byAlias   map[identifier.ID]*customer.Customer
}

// Bounds on what snapshots hold in memory. The unfiltered snapshot is kept
// whatever its size (the vendor client bounds the body it reads); filtered
// ones are dropped, oldest first, past these.
const (
	maxSnapshots         = 4
	maxSnapshotCustomers = 200_000
	// indexWriteChunk is how many customers one cache write of an index
	// refresh carries.
	indexWriteChunk = 200
)

// snapshots are a Service's lists of an Unpaginated vendor.
type snapshots struct {
	mu    sync.Mutex
	all   *listSnapshot            // unfiltered: the alias index
	byKey map[string]*listSnapshot // by filter key
	order []string                 // filtered keys, oldest first
	fetch flight[string, *listSnapshot]
	// gen counts drops: a snapshot fetched across one is not kept.
	gen uint64
}

// drop forgets every snapshot, and any being fetched.
func (sn *snapshots) drop() {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	sn.all, sn.byKey, sn.order = nil, nil, nil
	sn.gen++
}

func (sn *snapshots) generation() uint64 {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	return sn.gen
}

func (sn *snapshots) get(key string) *listSnapshot {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if key == "" {
		return sn.all
	}
	return sn.byKey[key]
}

// put keeps snap, fetched in generation gen, unless a drop came since;
// it reports whether it did.
func (sn *snapshots) put(key string, snap *listSnapshot, gen uint64) bool {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if gen != sn.gen {
		return false
	}
	if key == "" {
		sn.all = snap
		return true
	}
	if sn.byKey == nil {
		sn.byKey = map[string]*listSnapshot{}
	}
	if _, ok := sn.byKey[key]; !ok {
		sn.order = append(sn.order, key)
	}
	sn.byKey[key] = snap
	for total := sn.total(); len(sn.order) > 0 && (len(sn.order) > maxSnapshots || total > maxSnapshotCustomers); total = sn.total() {
		delete(sn.byKey, sn.order[0])
		sn.order = sn.order[1:]
	}
	return true
}

func (sn *snapshots) total() int {
	n := 0
	for _, s := range sn.byKey {
		n += len(s.customers)
	}
	return n
}

// snapshot returns the vendor's whole list for the filters of p (Group),
// fetched at most maxAge ago: one list call shared by every concurrent
// caller when it must be fetched.
func (s *Service) snapshot(ctx context.Context, p customer.ListParams, maxAge time.Duration) (*listSnapshot, error) {
	key := p.Group
	if snap := s.snaps.get(key); snap != nil && s.now().Sub(snap.at) < maxAge {
		return snap, nil
	}
	snap, err, _ := s.snaps.fetch.do(ctx, key, time.Time{}, func(ctx context.Context) (*listSnapshot, error) {
		if snap := s.snaps.get(key); snap != nil && s.now().Sub(snap.at) < maxAge {
			return snap, nil // fetched while this caller waited for the lock
		}
		start, gen := s.now(), s.snaps.generation()
		page, err := s.up.List(ctx, customer.ListParams{Group: p.Group})
		if err != nil {
			return nil, err
		}
		snap := &listSnapshot{at: start, customers: page.Customers}
		for _, c := range snap.customers {
			c.AsOf = start
		}
		if key == "" {
			snap.byAlias = make(map[identifier.ID]*customer.Customer, 2*len(snap.customers))
			for _, c := range snap.customers {
				for _, a := range aliases(c) {
					if _, taken := snap.byAlias[a]; !taken { // the first listed wins, as a vendor's lookup would
						snap.byAlias[a] = c
					}
				}
			}
		}
		// A snapshot fetched across a drop (an invalidation) may hold
		// what was invalidated: it answers this call only.
		if s.snaps.put(key, snap, gen) && key == "" {
			go s.writeIndex(context.WithoutCancel(ctx), snap)
		}
		return snap, nil
	})
	return snap, err
}

// indexMarker is the cache key that says the tenant's alias index was
// refreshed, by any instance, within the index interval.
func (s *Service) indexMarker() string { return s.keys.Alias("index", "refreshed") }

// writeIndex writes every customer of an unfiltered snapshot under its ID
// and aliases, a chunk at a time, then the marker: other instances then
// find them in the cache, and take a miss for "not found" until the
// marker expires.
func (s *Service) writeIndex(ctx context.Context, snap *listSnapshot) {
	for i := 0; i < len(snap.customers); i += indexWriteChunk {
		chunk := snap.customers[i:min(i+indexWriteChunk, len(snap.customers))]
		s.store(ctx, chunk, nil, nil)
	}
	marker := cache.Entry{Key: s.indexMarker(), Value: missingValue, TTL: s.indexEvery}
	if err := s.cache.Set(ctx, []cache.Entry{marker}); err != nil {
		s.log.Debug("cache write of the index marker failed", "err", err)
	}
}

// fromIndex finds the customer an identifier of an indexed kind names, in
// the alias index: nil, nil when there is none.
func (s *Service) fromIndex(ctx context.Context, id identifier.ID) (*customer.Customer, error) {
	now := s.now()
	snap := s.snaps.get("")
	if snap != nil && now.Sub(snap.at) < s.ttl {
		if c, ok := snap.byAlias[id]; ok {
			return c, nil
		}
		if now.Sub(snap.at) < s.indexEvery {
			return nil, nil // refreshed lately: it is not there
		}
	}
	if snap == nil || now.Sub(snap.at) >= s.indexEvery {
		// Another instance may have refreshed within the interval and
		// written every customer: the cache missed, so there is none.
		if vals, err := s.cache.Get(ctx, []string{s.indexMarker()}); err == nil && len(vals) == 1 && vals[0] != nil {
			return nil, nil
		}
	}
	snap, err := s.snapshot(ctx, customer.ListParams{}, s.indexEvery)
	if err != nil {
		return nil, err
	}
	return snap.byAlias[id], nil
}

// replace puts c, a customer just updated, in place of its old record in
// every snapshot, and in the alias index under its new aliases only: a
// walk or an indexed lookup after an update never sees the old record.
func (sn *snapshots) replace(c *customer.Customer) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	swap := func(old *listSnapshot) *listSnapshot {
		if old == nil {
			return nil
		}
		out := &listSnapshot{at: old.at, customers: slices.Clone(old.customers)}
		for i, x := range out.customers {
			if x.ID == c.ID {
				out.customers[i] = c
			}
		}
		if old.byAlias != nil {
			out.byAlias = make(map[identifier.ID]*customer.Customer, len(old.byAlias))
			for a, x := range old.byAlias {
				if x.ID != c.ID {
					out.byAlias[a] = x
				}
			}
			for _, a := range aliases(c) {
				if _, taken := out.byAlias[a]; !taken {
					out.byAlias[a] = c
				}
			}
		}
		return out
	}
	sn.all = swap(sn.all)
	for k, v := range sn.byKey {
		sn.byKey[k] = swap(v)
	}
}
