// Package loaders holds the per-request dataloaders that the resolvers read
// customers through, and the Service behind them that owns the cache and the
// upstream client.
//
// One batch of lookups costs one cache round trip for all its keys; the
// misses go to the upstream concurrently, with a bounded fan-out; every
// customer found is written back under its ID and each of its aliases
// (customer number, primary email, primary phone) in one pipeline; results
// come back in key order. A cache error is a miss: it is logged and counted
// and never fails a query.
package loaders

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/tiquo"
)

// Upstream is the customer API the loaders read and write through.
type Upstream interface {
	Customer(ctx context.Context, id identifier.ID) (*tiquo.Customer, error)
	ListCustomers(ctx context.Context, p tiquo.ListParams) (*tiquo.Page, error)
	UpdateCustomer(ctx context.Context, id string, p tiquo.Patch) (*tiquo.Customer, error)
}

// Cache is the shared cache the loaders read and write. A value stored with
// a Link is an alias: Get follows it once.
type Cache interface {
	Get(ctx context.Context, keys []string) ([][]byte, error)
	Set(ctx context.Context, entries []cache.Entry) error
	Delete(ctx context.Context, keys []string) error
}

// Errors the loaders return, for errors.Is. They are the upstream client's.
var (
	ErrNotFound     = tiquo.ErrNotFound
	ErrConflict     = tiquo.ErrConflict
	ErrValidation   = tiquo.ErrValidation
	ErrRateLimited  = tiquo.ErrRateLimited
	ErrUnavailable  = tiquo.ErrUnavailable
	ErrForbidden    = tiquo.ErrForbidden
	ErrUnauthorized = tiquo.ErrUnauthorized
)

// Config configures a Service. Zero fields take the documented defaults.
type Config struct {
	Upstream Upstream // required
	Cache    Cache    // required
	// Namespace separates tenants in the cache; derive it with
	// cache.Namespace from the upstream URL and credential.
	Namespace string
	// TTL is how long customers and their aliases stay cached. Default 5m.
	TTL time.Duration
	// CursorKey signs connection cursors, so that a cursor that is not
	// ours is rejected. Default: derived from Namespace.
	CursorKey []byte
	// Fanout bounds the concurrent upstream calls of one batch. Default 64.
	Fanout int
	// Wait is how long a loader collects keys before it runs a batch.
	// Default 2ms.
	Wait time.Duration
	// Logger receives cache and upstream failures. Default slog.Default().
	Logger *slog.Logger
}

// Service is the long-lived half of the loaders: the upstream, the cache and
// their settings, shared by every request of one tenant.
type Service struct {
	up     Upstream
	cache  Cache
	keys   cache.Keyspace
	ttl    time.Duration
	cursor cursorCodec
	fanout int
	wait   time.Duration
	log    *slog.Logger
}

// New returns a Service for cfg.
func New(cfg Config) *Service {
	s := &Service{
		up:     cfg.Upstream,
		cache:  cfg.Cache,
		keys:   cache.NewKeyspace(cfg.Namespace),
		ttl:    cfg.TTL,
		fanout: cfg.Fanout,
		wait:   cfg.Wait,
		log:    cfg.Logger,
	}
	if s.ttl <= 0 {
		s.ttl = 5 * time.Minute
	}
	if s.fanout <= 0 {
		s.fanout = 64
	}
	if s.wait <= 0 {
		s.wait = 2 * time.Millisecond
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	key := cfg.CursorKey
	if len(key) == 0 {
		key = []byte("customergraph cursor\x00" + cfg.Namespace)
	}
	s.cursor = cursorCodec{key: key}
	return s
}

// keyFor returns the cache key an identifier is looked up under: the record
// itself for a document ID, an alias link for the other kinds.
func (s *Service) keyFor(id identifier.ID) string {
	if id.Kind() == identifier.DocumentID {
		return s.keys.Customer(id.String())
	}
	return s.keys.Alias(id.Kind().String(), id.String())
}

// aliases returns the identifiers the upstream resolves to c besides its
// document ID: its customer number, primary email and primary phone.
func aliases(c *customer.Customer) []identifier.ID {
	ids := make([]identifier.ID, 0, 3)
	add := func(s string, kind identifier.Kind) {
		if id, err := identifier.Parse(s); err == nil && id.Kind() == kind {
			ids = append(ids, id)
		}
	}
	add(c.CustomerNumber, identifier.CustomerNumber)
	if e := c.Email(); e != nil {
		add(*e, identifier.Email)
	}
	if p := c.Phone(); p != nil {
		add(*p, identifier.Phone)
	}
	return ids
}

// matches reports whether c is still the customer id names. An alias link
// can outlive a change of email or phone made elsewhere; the record it
// leads to is then not the answer.
func matches(c *customer.Customer, id identifier.ID) bool {
	switch id.Kind() {
	case identifier.DocumentID:
		return c.ID == id.String()
	case identifier.CustomerNumber:
		return c.CustomerNumber == id.String()
	case identifier.Email:
		e := c.Email()
		return e != nil && *e == id.String()
	case identifier.Phone:
		p := c.Phone()
		return p != nil && *p == id.String()
	}
	return false
}

// entries returns the cache entries that store c under its ID and aliases.
func (s *Service) entries(dst []cache.Entry, c *customer.Customer) []cache.Entry {
	doc, err := json.Marshal(c)
	if err != nil {
		s.log.Error("encode customer for cache", "err", err)
		return dst
	}
	key := s.keys.Customer(c.ID)
	dst = append(dst, cache.Entry{Key: key, Value: doc, TTL: s.ttl})
	for _, id := range aliases(c) {
		dst = append(dst, cache.Entry{Key: s.keyFor(id), Link: key, TTL: s.ttl})
	}
	return dst
}

// store writes customers and their aliases to the cache in one round trip.
func (s *Service) store(ctx context.Context, cs ...*customer.Customer) {
	if len(cs) == 0 {
		return
	}
	entries := make([]cache.Entry, 0, 4*len(cs))
	for _, c := range cs {
		entries = s.entries(entries, c)
	}
	if err := s.cache.Set(ctx, entries); err != nil {
		s.log.Debug("cache write failed; continuing without it", "err", err)
	}
}

// lookup reads keys from the cache in one round trip. A failing cache is a
// miss for every key; an undecodable value is a miss for its key.
func (s *Service) lookup(ctx context.Context, keys []string) []*customer.Customer {
	out := make([]*customer.Customer, len(keys))
	vals, err := s.cache.Get(ctx, keys)
	if err != nil {
		s.log.Debug("cache read failed; treating as misses", "err", err)
		return out
	}
	for i, v := range vals {
		if i >= len(out) || v == nil {
			continue
		}
		c := new(customer.Customer)
		if err := json.Unmarshal(v, c); err != nil || c.ID == "" {
			s.log.Warn("undecodable cache entry; treating as a miss")
			continue
		}
		out[i] = c
	}
	return out
}
