// Package loaders holds the per-request dataloaders that the resolvers read
// customers through, and the Service behind them that owns the cache and the
// tenant's vendor, reached through one vendor-neutral port (Vendor) in
// customer.Customer terms. Nothing here knows a vendor's API.
//
// One batch of lookups costs one cache round trip for all its keys; the
// misses go to the upstream concurrently, with a bounded fan-out, each read
// shared with every concurrent request for the same identifier; results
// come back in key order; then every customer found is written back under
// its ID and each of its aliases (customer number, primary email, primary
// phone) in one more round trip, versioned so it never replaces a newer
// record. A cache error is a miss: it is logged and counted and never fails
// a query.
package loaders

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"go.opentelemetry.io/otel/trace"

	"customergraph/internal/cache"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/telemetry"
	"customergraph/internal/upstream"
	"customergraph/internal/workers"
)

// Vendor is the port the loaders reach a tenant's customer API through, in
// customer terms. Each vendor package provides an adapter; the loaders add
// everything else (batching, the cache, coalescing, negative caching,
// stale-if-error, write-through) the same way for every vendor.
//
// Every error matches one of this package's Err* values, except those of
// the caller's context.
type Vendor interface {
	// Capabilities says how the vendor's IDs look and what it can answer.
	// It never changes.
	Capabilities() customer.Capabilities
	// Customer returns the customer id names: id is the vendor's ID or an
	// identifier of a kind in Capabilities().Lookups. ErrNotFound when
	// there is none.
	Customer(ctx context.Context, id identifier.ID) (*customer.Customer, error)
	// List returns one page of customers, from the vendor's own position
	// p.Token, with the filters of p that Capabilities().Filters names.
	List(ctx context.Context, p customer.ListParams) (*customer.Page, error)
	// Update applies p, holding only fields Capabilities().Updates names,
	// to the customer with ID id and returns the updated record. current
	// is the record as the facade knows it: for a FullReplace vendor, read
	// from the vendor just before; else the cached one, or nil. It is never
	// retried.
	Update(ctx context.Context, id string, current *customer.Customer, p customer.Patch) (*customer.Customer, error)
	// Contacts returns c with every email and phone (AllContacts set), or
	// nil when the customer is gone. It is called only for a record its
	// Customer returned without AllContacts: a vendor whose records always
	// hold every contact never sees it.
	Contacts(ctx context.Context, c *customer.Customer) (*customer.Customer, error)
}

// Cache is the shared cache the loaders read and write. A value stored with
// a Link is an alias: Get follows it once.
type Cache interface {
	Get(ctx context.Context, keys []string) ([][]byte, error)
	Set(ctx context.Context, entries []cache.Entry) error
	Delete(ctx context.Context, keys []string) error
}

// Errors the loaders return, for errors.Is: the values every vendor
// client maps its failures to.
var (
	ErrNotFound     = upstream.ErrNotFound
	ErrConflict     = upstream.ErrConflict
	ErrValidation   = upstream.ErrValidation
	ErrRateLimited  = upstream.ErrRateLimited
	ErrUnavailable  = upstream.ErrUnavailable
	ErrForbidden    = upstream.ErrForbidden
	ErrUnauthorized = upstream.ErrUnauthorized
)

// UpstreamError is the detail of an upstream failure: its Message (safe to
// show a client for validation errors) and RetryAfter (for rate limits).
type UpstreamError = upstream.Error

// Config configures a Service. Zero fields take the documented defaults.
type Config struct {
	Vendor Vendor // required
	Cache  Cache  // required
	// Namespace separates tenants in the cache; derive it with
	// cache.Namespace from the upstream URL and credential.
	Namespace string
	// TTL is how long a cached customer is fresh: served without asking the
	// upstream. Each entry gets ±10% jitter. Default 5m.
	TTL time.Duration
	// NegativeTTL is how long an upstream "not found" is remembered per
	// identifier. Negative: never. Default 30s.
	NegativeTTL time.Duration
	// StaleIfError is how long past its freshness a cached customer may
	// still be served when the upstream fails or rate-limits. Negative:
	// never. Default 1h.
	StaleIfError time.Duration
	// CursorKey signs connection cursors, so that a cursor that is not
	// ours is rejected. Default: derived from Namespace.
	CursorKey []byte
	// CallTimeout bounds an upstream read shared between requests: it runs
	// detached from the request that started it, so that request's deadline
	// does not end it for the others. Set it to the longest a request
	// waits. Default 10s.
	CallTimeout time.Duration
	// Fanout bounds the concurrent upstream calls of one batch. Default 64.
	Fanout int
	// Wait is how long a loader collects keys before it runs a batch.
	// Default 2ms.
	Wait time.Duration
	// Logger receives cache and upstream failures. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Workers runs the upstream calls shared between requests and the
	// cache write-backs, whose stacks grow deep. Default: a goroutine each.
	Workers *workers.Pool
	// TracerProvider, unless nil or a no-op provider, records a span for
	// every batch: its loader, size, cache hits and misses (see
	// startBatch). Default: none, and no tracing code runs.
	TracerProvider trace.TracerProvider
}

// ttlJitter is the spread of cache lifetimes.
const ttlJitter = 0.1

// Service is the long-lived half of the loaders: the upstream, the cache and
// their settings, shared by every request of one tenant.
type Service struct {
	up       Vendor
	caps     customer.Capabilities
	cache    Cache
	keys     cache.Keyspace
	ttl      time.Duration
	negTTL   time.Duration
	staleMax time.Duration
	cursor   cursorCodec
	fanout   int
	wait     time.Duration
	log      *slog.Logger
	now      func() time.Time
	tracer   trace.Tracer // nil: no spans
	spawn    func(func()) // starts detached work

	gets     flight[identifier.ID, *customer.Customer]
	contacts flight[string, *customer.Customer] // by customer ID
	// snaps are the lists of an Unpaginated vendor; the unfiltered one is
	// the alias index, refreshed at most every indexEvery.
	snaps      snapshots
	indexEvery time.Duration
	// updated holds, for linger after an update, the customer's new
	// version stamp: a read that started before the update must not be
	// offered to later requests.
	updated sync.Map // customer ID → time.Time
	// plans are the root lookups of operations, by operation (see Plan).
	plans *lru.Cache[any, []identifier.ID]
}

// maxPlans bounds the operations whose root lookups are remembered: as
// many as the query cache holds by default (QUERY_CACHE_SIZE).
const maxPlans = 1000

// New returns a Service for cfg.
func New(cfg Config) *Service {
	s := &Service{
		up:       cfg.Vendor,
		caps:     cfg.Vendor.Capabilities(),
		cache:    cfg.Cache,
		keys:     cache.NewKeyspace(cfg.Namespace),
		ttl:      orDefault(cfg.TTL, 5*time.Minute),
		negTTL:   orDefault(cfg.NegativeTTL, 30*time.Second),
		staleMax: orDefault(cfg.StaleIfError, time.Hour),
		fanout:   cfg.Fanout,
		wait:     orDefault(cfg.Wait, 2*time.Millisecond),
		log:      cfg.Logger,
		now:      cfg.Now,
		tracer:   telemetry.Tracer(cfg.TracerProvider, "customergraph/loaders"),
	}
	if s.fanout <= 0 {
		s.fanout = 64
	}
	s.spawn = func(f func()) { go f() }
	if cfg.Workers != nil {
		s.spawn = cfg.Workers.Go
	}
	s.gets.spawn, s.contacts.spawn, s.snaps.fetch.spawn = s.spawn, s.spawn, s.spawn
	s.plans, _ = lru.New[any, []identifier.ID](maxPlans) // fails only for a size < 1
	s.gets.timeout = orDefault(cfg.CallTimeout, 10*time.Second)
	s.contacts.timeout = s.gets.timeout
	s.snaps.fetch.timeout = s.gets.timeout
	s.indexEvery = s.negTTL
	if s.indexEvery <= 0 {
		s.indexEvery = 30 * time.Second // never a list call per miss, even with negative caching off
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	key := cfg.CursorKey
	if len(key) == 0 {
		key = []byte("customergraph cursor\x00" + cfg.Namespace)
	}
	s.cursor = cursorCodec{key: key}
	return s
}

// orDefault returns d for zero, 0 for negative (off), and v otherwise.
func orDefault(v, d time.Duration) time.Duration {
	switch {
	case v == 0:
		return d
	case v < 0:
		return 0
	}
	return v
}

// keyFor returns the cache key an identifier is looked up under: the record
// itself for a document ID, an alias link for the other kinds.
func (s *Service) keyFor(id identifier.ID) string {
	if id.Kind() == identifier.DocumentID {
		return s.keys.Customer(id.String())
	}
	return s.keys.Alias(id.Kind().String(), id.String())
}

// Capabilities returns what the tenant's vendor can answer.
func (s *Service) Capabilities() customer.Capabilities { return s.caps }

// idOf returns the identifier of the customer ID id, which the vendor's
// adapter wrote in canonical form; ok is false for one that is not.
func (s *Service) idOf(id string) (identifier.ID, bool) {
	v, err := s.caps.IDs.ParseAs(id, identifier.DocumentID)
	return v, err == nil && v.String() == id
}

// aliases returns the identifiers the upstream resolves to c besides its
// ID: its customer number, primary email and primary phone.
func aliases(c *customer.Customer) []identifier.ID {
	ids := make([]identifier.ID, 0, 3)
	add := func(s string, kind identifier.Kind) {
		if id, err := identifier.DocumentIDs.ParseAs(s, kind); err == nil && s != "" {
			ids = append(ids, id)
		}
	}
	if c.CustomerNumber != "" {
		add(c.CustomerNumber, identifier.CustomerNumber)
	}
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

// entries appends the cache entries that store c under its ID and
// aliases: fresh for the TTL (with jitter), kept for StaleIfError longer.
// With replace, the record is written even over a higher version: its key
// held something unreadable, which may claim any version.
func (s *Service) entries(dst []cache.Entry, c *customer.Customer, now time.Time, replace bool) []cache.Entry {
	fresh := jitter(s.ttl, ttlJitter)
	doc, err := encodeCustomer(c, now, now.Add(fresh))
	if err != nil {
		s.log.Error("encode customer for cache", "err", err)
		return dst
	}
	keep := fresh + s.staleMax
	key := s.keys.Customer(c.ID)
	dst = append(dst, cache.Entry{Key: key, Value: doc, TTL: keep, Version: s.version(c), Replace: replace})
	for _, id := range aliases(c) {
		dst = append(dst, cache.Entry{Key: s.keyFor(id), Link: key, TTL: keep})
	}
	return dst
}

// version orders the records of a customer in the cache, which keeps the
// highest: by its stamp first (updatedAt, or for a vendor without one the
// start of the read that fetched it), so that a read that reached the
// upstream before an update but writes back after it cannot replace the
// updated record; then, for one stamp, by what the record holds (its
// detail fields, its full contact lists), so that a write-back of part of
// a record cannot replace the whole.
func (s *Service) version(c *customer.Customer) int64 {
	v := max(s.stamp(c).UnixMilli(), 0) * 4
	if c.Detail != nil {
		v += 2
	}
	if c.AllContacts {
		v++
	}
	return v
}

// store writes customers under their IDs and aliases, and remembers the
// keys the upstream found nothing for, in one round trip. The records of
// the customers whose IDs are in unreadable replace whatever their keys
// hold.
func (s *Service) store(ctx context.Context, found []*customer.Customer, missing []string, unreadable map[string]bool) {
	if len(found) == 0 && (len(missing) == 0 || s.negTTL <= 0) {
		return
	}
	now := s.now()
	entries := make([]cache.Entry, 0, 4*len(found)+len(missing))
	if s.negTTL > 0 {
		for _, key := range missing {
			entries = append(entries, cache.Entry{Key: key, Value: missingValue, TTL: s.negTTL})
		}
	}
	for _, c := range found {
		entries = s.entries(entries, c, now, unreadable[c.ID])
	}
	if err := s.cache.Set(ctx, entries); err != nil {
		s.log.Debug("cache write failed; continuing without it", "err", err)
	}
}

// lookup reads keys from the cache in one round trip. A cache that
// answers too slowly is asked again, each time with twice the patience
// (cache.WithPatience), for as long as ctx allows: a busy cache, or a
// process short of CPU, is far cheaper to wait for than an upstream call
// for every key, and no slowness is ever taken for a miss. A cache that
// is unavailable — refused, reset, skipped by its breaker — is a miss for
// every key, and ok is false; so is a key of a cluster's master that did
// not answer (ok is false, the other keys are read). When ctx ends before a slow cache answers,
// err is ErrBusy and nothing may be asked of the upstream for these keys.
// An unreadable value is a miss for its key, marked unreadable so that the
// write-back replaces it.
func (s *Service) lookup(ctx context.Context, keys []string) (_ []record, ok bool, err error) {
	out := make([]record, len(keys))
	ok = true
	vals, err := s.cache.Get(ctx, keys)
	for n := 2; err != nil && errors.Is(err, cache.ErrSlow) && ctx.Err() == nil && n <= maxPatience; n *= 2 {
		s.log.Debug("cache read too slow; asking again with more patience", "patience", n, "err", err)
		vals, err = s.cache.Get(cache.WithPatience(ctx, n), keys)
	}
	switch {
	case err == nil:
	case errors.Is(err, cache.ErrPartial):
		// A part of a cluster did not answer: its keys are misses, the
		// others' values are good.
		s.log.Debug("cache read in part; treating the rest as misses", "err", err)
		ok = false
	case errors.Is(err, cache.ErrSkipped):
		s.log.Debug("cache skipped; treating as misses", "err", err)
		return out, false, nil
	case errors.Is(err, cache.ErrSlow) || ctx.Err() != nil:
		s.log.Debug("cache too slow for the request; failing rather than calling the upstream", "err", err)
		return out, false, ErrBusy
	default:
		s.log.Debug("cache read failed; treating as misses", "err", err)
		return out, false, nil
	}
	for i, v := range vals {
		if i >= len(out) || v == nil {
			continue
		}
		r, ok := decodeRecord(v)
		if !ok {
			s.log.Warn("unreadable cache entry; treating it as a miss")
			out[i].unreadable = true
			continue
		}
		out[i] = r
	}
	return out, ok, nil
}

// maxPatience is the most a lookup multiplies the cache's timeout by, when
// it asks a slow cache again: 128 × 50 ms, capped by the cache's own
// patience (RedisOptions.Patience) and the request's deadline.
const maxPatience = 128

// ErrBusy is the error of a read the cache was too slow to answer before
// the request's deadline: the service is overloaded, and the upstream was
// not asked in its place.
var ErrBusy = errors.New("the service is too busy to answer in time; retry shortly")

// canServeStale reports whether err is an upstream failure that a stale
// record may paper over: an outage, a timeout or a rate limit — never a
// "not found" or a rejected request.
func canServeStale(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrRateLimited) || errors.Is(err, context.DeadlineExceeded)
}

// stamp is what orders the versions of a record: the vendor's updatedAt,
// or, for a vendor without trustworthy ones, when the facade knew the
// record current.
func (s *Service) stamp(c *customer.Customer) time.Time {
	if s.caps.UpdateTimes && c.UpdatedAt != nil {
		return *c.UpdatedAt
	}
	return c.AsOf
}

// sameVersion reports whether a and b describe the same version of a
// customer: the same updatedAt; for a vendor without trustworthy ones,
// that cannot be known, and fresh (whether a is still fresh in the cache)
// decides.
func (s *Service) sameVersion(a, b *customer.Customer, fresh bool) bool {
	if s.caps.UpdateTimes && a.UpdatedAt != nil && b.UpdatedAt != nil {
		return a.UpdatedAt.Equal(*b.UpdatedAt)
	}
	return fresh && eqTime(a.UpdatedAt, b.UpdatedAt)
}

func eqTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// noteUpdate records that c is the customer's newest version, for linger.
func (s *Service) noteUpdate(c *customer.Customer) {
	st := s.stamp(c)
	s.updated.Store(c.ID, st)
	time.AfterFunc(linger, func() { s.updated.CompareAndDelete(c.ID, st) })
}

// outdated reports whether an update newer than c was seen lately.
func (s *Service) outdated(c *customer.Customer) bool {
	v, ok := s.updated.Load(c.ID)
	return ok && v.(time.Time).After(s.stamp(c))
}
