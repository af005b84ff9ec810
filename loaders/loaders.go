package loaders

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
)

// maxBatch is the most keys one batch carries: one upstream page's worth.
const maxBatch = 100

// Loaders are one request's dataloaders. Create them per request (Middleware
// does) and never share them: their memo is the request's view.
type Loaders struct {
	s *Service
	// byIdentifier finds a customer by any identifier; the record may lack
	// the detail fields when it was cached from a list.
	byIdentifier *dataloader.Loader[identifier.ID, *customer.Customer]
	// detailed finds a customer with its detail fields by ID; contacts
	// finds one with all its emails and phones by ID. Most requests need
	// neither, so they are made on first use.
	detailedOnce, contactsOnce func() *dataloader.Loader[string, *customer.Customer]

	mu         sync.Mutex
	stale      []StaleField
	prefetched map[identifier.ID]error       // failures of Prefetch, served to the lookups
	partial    map[string]*customer.Customer // by ID: the records Complete asks contacts for

	// primed are the records prime was given that are not in the loaders
	// yet (guarded by mu; unprimed counts them): a page's customers are
	// put there only once a load might look for them (see settle), which
	// most requests for a page never do.
	primed   []*customer.Customer
	unprimed atomic.Int32
	settling sync.Mutex // held while putting primed records into the loaders
}

// NewLoaders returns fresh loaders for one request.
func (s *Service) NewLoaders() *Loaders {
	l := &Loaders{s: s}
	*l = Loaders{
		s: s,
		byIdentifier: dataloader.NewBatchedLoader(s.loadByIdentifier,
			dataloader.WithWait[identifier.ID, *customer.Customer](s.wait),
			dataloader.WithBatchCapacity[identifier.ID, *customer.Customer](maxBatch)),
		detailedOnce: sync.OnceValue(func() *dataloader.Loader[string, *customer.Customer] {
			return dataloader.NewBatchedLoader(s.loadDetailed,
				dataloader.WithWait[string, *customer.Customer](s.wait),
				dataloader.WithBatchCapacity[string, *customer.Customer](maxBatch))
		}),
		contactsOnce: sync.OnceValue(func() *dataloader.Loader[string, *customer.Customer] {
			return dataloader.NewBatchedLoader(func(ctx context.Context, ids []string) []*dataloader.Result[*customer.Customer] {
				return s.loadContacts(ctx, ids, l.partialRecord)
			},
				dataloader.WithWait[string, *customer.Customer](s.wait),
				dataloader.WithBatchCapacity[string, *customer.Customer](maxBatch))
		}),
	}
	return l
}

// Capabilities returns what the request's tenant's vendor can answer.
func (l *Loaders) Capabilities() customer.Capabilities { return l.s.caps }

// partialRecord returns the record Complete asked the contacts of id for.
func (l *Loaders) partialRecord(id string) *customer.Customer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.partial[id]
}

func (l *Loaders) detailed() *dataloader.Loader[string, *customer.Customer] { return l.detailedOnce() }
func (l *Loaders) contacts() *dataloader.Loader[string, *customer.Customer] { return l.contactsOnce() }

type ctxKey struct{}

// Middleware gives every request its own Loaders, found with For.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), ctxKey{}, s.NewLoaders())
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// From returns the request's Loaders, if Middleware installed them.
func From(ctx context.Context) (*Loaders, bool) {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	return l, ok
}

// For returns the request's Loaders. It panics when Middleware did not run,
// which is a wiring mistake, not a request error.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loaders: no Loaders in context; is loaders.Middleware installed?")
	}
	return l
}

// Prefetch loads the customers ids identify in one batch, now, and keeps
// the answers for this request's lookups: a query's root lookups are known
// before it runs, so they need not wait for a batch window to fill.
func (l *Loaders) Prefetch(ctx context.Context, ids []identifier.ID) {
	ids = slices.DeleteFunc(slices.Clone(ids), identifier.ID.IsZero)
	slices.SortFunc(ids, func(a, b identifier.ID) int { return strings.Compare(a.String(), b.String()) })
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return
	}
	results := l.s.loadByIdentifier(ctx, ids)
	l.settle(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, r := range results {
		if r.Error != nil {
			if l.prefetched == nil {
				l.prefetched = make(map[identifier.ID]error)
			}
			l.prefetched[ids[i]] = r.Error
			continue
		}
		l.byIdentifier.Prime(ctx, ids[i], r.Data)
	}
}

// Plan returns what build returns for key, a value that stands for a
// parsed operation, working it out once per key for the tenant: what a
// query's root lookups name, for one without variables, depends only on
// its document and the tenant's vendor. The slice returned is shared:
// treat it as read-only.
func (l *Loaders) Plan(key any, build func() []identifier.ID) []identifier.ID {
	if ids, ok := l.s.plans.Get(key); ok {
		return ids
	}
	ids := build()
	l.s.plans.Add(key, ids)
	return ids
}

// Customer returns the customer id identifies, or nil when there is none.
// The record may lack the detail fields or some contacts; see Complete.
func (l *Loaders) Customer(ctx context.Context, id identifier.ID) (*customer.Customer, error) {
	l.mu.Lock()
	err, failed := l.prefetched[id]
	l.mu.Unlock()
	if failed {
		return nil, err
	}
	l.settle(ctx)
	c, err := l.byIdentifier.Load(ctx, id)()
	if err != nil {
		l.byIdentifier.Clear(ctx, id) // transient: let a later field try again
	}
	return c, err
}

// Complete returns cs with the parts a query selects: the detail fields
// (opt-ins, date of birth, address, tags, notes, …) when detail is set, and
// every email and phone when contacts is set. Records that lack them are
// loaded in one batch per part, shared with the request's other lookups; a
// part that fails to load is recorded on its record (DetailErr,
// ContactsErr) so that only the fields reading it fail. The records given
// are not modified: the ones that change are copies.
func (l *Loaders) Complete(ctx context.Context, cs []*customer.Customer, detail, contacts bool) []*customer.Customer {
	out := slices.Clone(cs)
	copyOf := func(i int) *customer.Customer {
		if out[i] == cs[i] {
			cc := *cs[i]
			out[i] = &cc
		}
		return out[i]
	}
	if detail {
		var idx []int
		var ids []string
		for i, c := range cs {
			if c != nil && c.Detail == nil {
				idx, ids = append(idx, i), append(ids, c.ID)
			}
		}
		if len(ids) > 0 {
			l.settle(ctx)
			ds, errs := l.detailed().LoadMany(ctx, ids)()
			for j, i := range idx {
				c := copyOf(i)
				switch {
				case j < len(errs) && errs[j] != nil:
					l.detailed().Clear(ctx, ids[j]) // transient: a later request tries again
					c.DetailErr = errs[j]
				case ds[j] != nil:
					c.Detail = ds[j].Detail
					c.StaleAge = max(c.StaleAge, ds[j].StaleAge)
				default:
					c.Detail = &customer.Detail{} // deleted upstream since: nothing to show
				}
			}
		}
	}
	if contacts {
		var idx []int
		var ids []string
		l.mu.Lock()
		for i, c := range cs {
			if c != nil && !c.AllContacts {
				idx, ids = append(idx, i), append(ids, c.ID)
				if l.partial == nil {
					l.partial = make(map[string]*customer.Customer)
				}
				l.partial[c.ID] = c
			}
		}
		l.mu.Unlock()
		if len(ids) > 0 {
			l.settle(ctx)
			ds, errs := l.contacts().LoadMany(ctx, ids)()
			for j, i := range idx {
				c := copyOf(i)
				switch {
				case j < len(errs) && errs[j] != nil:
					l.contacts().Clear(ctx, ids[j])
					c.ContactsErr = errs[j]
				case ds[j] != nil:
					c.Emails, c.Phones, c.AllContacts = ds[j].Emails, ds[j].Phones, true
				default:
					c.AllContacts = true // gone from the list since: what we have is all we know
				}
			}
		}
	}
	return out
}

// StaleField is a part of the response served from the cache past its
// freshness because the upstream failed.
type StaleField struct {
	Path       any `json:"path"`
	AgeSeconds int `json:"ageSeconds"`
}

// NoteStale records that the value at path came from c, if c is stale.
func (l *Loaders) NoteStale(path any, c *customer.Customer) {
	if c == nil || c.StaleAge <= 0 {
		return
	}
	l.mu.Lock()
	l.stale = append(l.stale, StaleField{Path: path, AgeSeconds: int(c.StaleAge.Seconds())})
	l.mu.Unlock()
}

// Stale returns what NoteStale recorded, in no particular order.
func (l *Loaders) Stale() []StaleField {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.stale)
}

// prime records c in this request's loaders under its ID and aliases, so
// later fields of the request find it without a batch. It is put there
// when a load of the request next might look for it (settle).
func (l *Loaders) prime(c *customer.Customer) {
	l.mu.Lock()
	l.primed = append(l.primed, c)
	l.unprimed.Add(1)
	l.mu.Unlock()
}

// settle puts the records prime was given into the loaders, in the order
// given, before a load or a forget: the loads find them as if they had
// been put there at once. A settle concurrent with another waits for it.
func (l *Loaders) settle(ctx context.Context) {
	if l.unprimed.Load() == 0 {
		return
	}
	l.settling.Lock()
	defer l.settling.Unlock()
	l.mu.Lock()
	cs := l.primed
	l.primed = nil
	l.mu.Unlock()
	for _, c := range cs {
		l.primeNow(ctx, c)
	}
	l.unprimed.Add(-int32(len(cs)))
}

func (l *Loaders) primeNow(ctx context.Context, c *customer.Customer) {
	if id, ok := l.s.idOf(c.ID); ok {
		l.byIdentifier.Prime(ctx, id, c)
	}
	for _, id := range aliases(c) {
		l.byIdentifier.Prime(ctx, id, c)
	}
	if c.Detail != nil {
		l.detailed().Prime(ctx, c.ID, c)
	}
	if c.AllContacts {
		l.contacts().Prime(ctx, c.ID, c)
	}
}

// forget drops every memo of c's keys from this request's loaders.
func (l *Loaders) forget(ctx context.Context, cs ...*customer.Customer) {
	l.settle(ctx)
	for _, c := range cs {
		if c == nil {
			continue
		}
		if id, ok := l.s.idOf(c.ID); ok {
			l.byIdentifier.Clear(ctx, id)
		}
		for _, id := range aliases(c) {
			l.byIdentifier.Clear(ctx, id)
		}
		l.detailed().Clear(ctx, c.ID)
		l.contacts().Clear(ctx, c.ID)
	}
}

// loadByIdentifier is the batch function of Loaders.byIdentifier.
func (s *Service) loadByIdentifier(ctx context.Context, ids []identifier.ID) (results []*dataloader.Result[*customer.Customer]) {
	if s.tracer != nil {
		var span trace.Span
		ctx, span = s.startBatch(ctx, "byIdentifier", len(ids))
		defer func() { endBatch(span, results) }()
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.keyFor(id)
	}
	since := time.Now()
	cached, _, err := s.lookup(ctx, keys)
	if err != nil {
		return failAll(len(ids), err)
	}
	now := s.now()
	results = make([]*dataloader.Result[*customer.Customer], len(ids))
	var misses []int
	for i, r := range cached {
		if r.c != nil && !matches(r.c, ids[i]) {
			cached[i] = record{} // a link left behind by a change: no answer, not even a stale one
		}
		switch r := cached[i]; {
		case r.missing:
			results[i] = &dataloader.Result[*customer.Customer]{}
		case r.fresh(now):
			results[i] = &dataloader.Result[*customer.Customer]{Data: r.c}
		default:
			misses = append(misses, i)
		}
	}
	if s.tracer != nil {
		noteMisses(ctx, len(ids), len(misses))
	}
	s.resolve(ctx, results, misses, cached, keys, func(ctx context.Context, i int) (*customer.Customer, bool, error) {
		return s.get(ctx, ids[i], since)
	}, s.sharer(func(i int) identifier.ID { return ids[i] }))
	return results
}

// failAll returns n results, each failing with err.
func failAll(n int, err error) []*dataloader.Result[*customer.Customer] {
	results := make([]*dataloader.Result[*customer.Customer], n)
	for i := range results {
		results[i] = &dataloader.Result[*customer.Customer]{Error: err}
	}
	return results
}

// loadDetailed is the batch function of Loaders.detailed.
func (s *Service) loadDetailed(ctx context.Context, docIDs []string) (results []*dataloader.Result[*customer.Customer]) {
	if s.tracer != nil {
		var span trace.Span
		ctx, span = s.startBatch(ctx, "detailed", len(docIDs))
		defer func() { endBatch(span, results) }()
	}
	keys := make([]string, len(docIDs))
	for i, id := range docIDs {
		keys[i] = s.keys.Customer(id)
	}
	since := time.Now()
	cached, _, err := s.lookup(ctx, keys)
	if err != nil {
		return failAll(len(docIDs), err)
	}
	now := s.now()
	results = make([]*dataloader.Result[*customer.Customer], len(docIDs))
	var misses []int
	for i, r := range cached {
		if r.c != nil && (r.c.Detail == nil || r.c.ID != docIDs[i]) {
			r.freshUntil = time.Time{} // usable for its contacts, not as an answer
			cached[i] = r
		}
		switch {
		case r.missing:
			results[i] = &dataloader.Result[*customer.Customer]{}
		case r.fresh(now) && r.c.Detail != nil:
			results[i] = &dataloader.Result[*customer.Customer]{Data: r.c}
		default:
			misses = append(misses, i)
		}
	}
	if s.tracer != nil {
		noteMisses(ctx, len(docIDs), len(misses))
	}
	s.resolve(ctx, results, misses, cached, keys, func(ctx context.Context, i int) (*customer.Customer, bool, error) {
		id, ok := s.idOf(docIDs[i])
		if !ok {
			return nil, false, nil // not an ID the upstream could know
		}
		c, leader, err := s.getDetailed(ctx, id, since)
		if c == nil || err != nil {
			return nil, leader, err
		}
		cc := *c // shared with other requests: merge into a copy
		return withContactsOf(&cc, cached[i].c), leader, nil
	}, s.sharer(func(i int) identifier.ID { id, _ := s.idOf(docIDs[i]); return id }))
	return results
}

// get reads one customer from the upstream, sharing the call, and then its
// result until it is in the cache, with every other request for the same
// identifier. Not found is nil, nil. The record returned is shared: treat
// it as read-only.
func (s *Service) get(ctx context.Context, id identifier.ID, since time.Time) (*customer.Customer, bool, error) {
	return s.getFor(ctx, id, since, nil)
}

// getDetailed is get for a read of the detail fields: a record another
// request shared without them (found in the alias index or a list) is not
// an answer, and the upstream is asked.
func (s *Service) getDetailed(ctx context.Context, id identifier.ID, since time.Time) (*customer.Customer, bool, error) {
	return s.getFor(ctx, id, since, func(c *customer.Customer) bool { return c == nil || c.Detail != nil })
}

func (s *Service) getFor(ctx context.Context, id identifier.ID, since time.Time, enough func(*customer.Customer) bool) (*customer.Customer, bool, error) {
	c, err, leader := s.gets.doFor(ctx, id, since, func(ctx context.Context) (*customer.Customer, error) {
		if s.caps.IsIndexed(id.Kind()) {
			return s.fromIndex(ctx, id)
		}
		start := s.now()
		c, err := s.up.Customer(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, nil // a result like any other, shared until remembered
		case err != nil:
			return nil, err
		case c == nil:
			return nil, nil
		}
		c.AsOf = start
		return c, nil
	}, enough)
	return c, leader, err
}

// sharer returns the hooks of a batch of reads by identifier (asked(i)):
// once fetched, a customer is offered to the other requests under each of
// its identifiers too, and when the write-back has landed every one of them
// is released.
func (s *Service) sharer(asked func(i int) identifier.ID) fetchHooks {
	var (
		mu     sync.Mutex
		shared = map[int][]identifier.ID{}
	)
	return fetchHooks{
		fetched: func(i int, c *customer.Customer) {
			if c == nil || s.outdated(c) {
				return // nothing to offer, or a read from before an update
			}
			ids := s.identities(c)
			for _, id := range ids {
				s.gets.share(id, c)
			}
			mu.Lock()
			shared[i] = ids
			mu.Unlock()
		},
		written: func(i int, c *customer.Customer) {
			s.gets.release(asked(i))
			mu.Lock()
			ids := shared[i]
			mu.Unlock()
			for _, id := range ids {
				s.gets.release(id)
			}
		},
	}
}

// identities returns every identifier the upstream resolves to c: its
// document ID and its aliases.
func (s *Service) identities(c *customer.Customer) []identifier.ID {
	ids := aliases(c)
	if id, ok := s.idOf(c.ID); ok {
		ids = append(ids, id)
	}
	return ids
}

// fetchHooks are called by resolve for each read the batch led: fetched as
// soon as it is answered, written once the write-back has landed.
type fetchHooks struct {
	fetched func(i int, c *customer.Customer)
	written func(i int, c *customer.Customer)
}

// loadContacts is the batch function of Loaders.contacts, by customer ID:
// the vendor's Contacts is the one read that returns every email and phone
// of a customer. partial returns the record a key was asked for.
func (s *Service) loadContacts(ctx context.Context, ids []string, partial func(id string) *customer.Customer) (results []*dataloader.Result[*customer.Customer]) {
	if s.tracer != nil {
		var span trace.Span
		ctx, span = s.startBatch(ctx, "contacts", len(ids))
		defer func() { endBatch(span, results) }()
	}
	results = make([]*dataloader.Result[*customer.Customer], len(ids))
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.keys.Customer(id)
	}
	// The cached records keep their detail fields when the contacts'
	// version is the same.
	since := time.Now()
	cached, _, err := s.lookup(ctx, keys)
	if err != nil {
		return failAll(len(ids), err)
	}
	now := s.now()
	// A fresh cached record with every contact answers at once: another
	// request's read may have landed since this one's record was read.
	// Nothing is served stale from here, but an unreadable record is
	// replaced.
	flags := make([]record, len(ids))
	var misses []int
	for i, r := range cached {
		flags[i].unreadable = r.unreadable
		if r.c != nil && r.c.AllContacts && r.c.ID == ids[i] && r.fresh(now) {
			results[i] = &dataloader.Result[*customer.Customer]{Data: r.c}
			continue
		}
		misses = append(misses, i)
	}
	if s.tracer != nil {
		noteMisses(ctx, len(ids), len(misses))
	}
	s.resolve(ctx, results, misses, flags, nil, func(ctx context.Context, i int) (*customer.Customer, bool, error) {
		known := partial(ids[i])
		if known == nil {
			known = cached[i].c
		}
		if known == nil {
			return nil, false, nil
		}
		c, err, leader := s.contacts.do(ctx, ids[i], since, func(ctx context.Context) (*customer.Customer, error) {
			start := s.now()
			c, err := s.up.Contacts(ctx, known)
			if c != nil {
				c.AsOf = start
			}
			return c, err
		})
		if err != nil || c == nil || c.ID != ids[i] {
			return nil, false, err // gone since: nothing to remember
		}
		// The detail fields come from the cached record or, while its
		// write-back may not have landed yet, from a read this instance
		// just made: the record written here then holds both, and no
		// write-back of a part of it can replace it (see version).
		old, fresh := cached[i].c, cached[i].fresh(now)
		if old == nil || old.Detail == nil {
			if id, ok := s.idOf(ids[i]); ok {
				if p, ok := s.gets.peek(id); ok && p != nil && p.Detail != nil {
					old, fresh = p, true
				}
			}
		}
		cc := *c // shared with other requests: merge into a copy
		return s.withDetailsOf(&cc, old, fresh), leader, nil
	}, fetchHooks{written: func(i int, _ *customer.Customer) { s.contacts.release(ids[i]) }})
	return results
}

// resolve fetches the misses of a batch with get, at most s.fanout at a
// time, and completes results: a customer, nil for none, the stale cached
// record when the upstream failed and one may be served, or the error.
//
// What this batch fetched itself (not what it shared with another request)
// is written back in one round trip — customers under their ID and aliases,
// "not found" under the key looked up (missingKeys; nil: not remembered) —
// after the results are handed over, so the answer does not wait for it.
// Until it lands, the flight keeps offering the results to other requests
// (hooks), and versioned writes keep it from replacing anything newer.
func (s *Service) resolve(ctx context.Context, results []*dataloader.Result[*customer.Customer], misses []int,
	cached []record, missingKeys []string, get func(ctx context.Context, i int) (*customer.Customer, bool, error),
	hooks fetchHooks) {
	if len(misses) == 0 {
		return
	}
	leaders := make([]bool, len(results))
	fetch := func(i int) {
		c, leader, err := get(ctx, i)
		if leader && err == nil && hooks.fetched != nil {
			hooks.fetched(i, c)
		}
		leaders[i] = leader
		if err != nil && canServeStale(err) && cached[i].servableStale(s.now(), s.staleMax) {
			stale := *cached[i].c
			stale.StaleAge = s.now().Sub(cached[i].fetchedAt)
			c, err = &stale, nil
			leaders[i] = false
		}
		results[i] = &dataloader.Result[*customer.Customer]{Data: c, Error: err}
	}
	if len(misses) == 1 {
		fetch(misses[0]) // the common single lookup: no goroutine hand-off
	} else {
		var g errgroup.Group
		g.SetLimit(s.fanout)
		for _, i := range misses {
			g.Go(func() error { fetch(i); return nil })
		}
		g.Wait()
	}
	var (
		found      []*customer.Customer
		missing    []string
		led        []int
		unreadable map[string]bool
	)
	for _, i := range misses {
		switch r := results[i]; {
		case !leaders[i] || r.Error != nil:
			continue
		case r.Data != nil:
			found = append(found, r.Data)
			if cached[i].unreadable {
				if unreadable == nil {
					unreadable = map[string]bool{}
				}
				unreadable[r.Data.ID] = true
			}
		case missingKeys != nil:
			missing = append(missing, missingKeys[i])
		}
		led = append(led, i)
	}
	if len(led) == 0 {
		return
	}
	data := make([]*customer.Customer, len(led))
	for j, i := range led {
		data[j] = results[i].Data
	}
	bg := context.WithoutCancel(ctx)
	s.spawn(func() {
		s.store(bg, found, missing, unreadable)
		if hooks.written != nil {
			for j, i := range led {
				hooks.written(i, data[j])
			}
		}
	})
}

// withContactsOf returns d with the full email and phone lists of old, a
// record of the same customer from a list, when they still agree on the
// primary ones.
func withContactsOf(d, old *customer.Customer) *customer.Customer {
	if old == nil || !old.AllContacts || old.ID != d.ID || !samePrimaries(d, old) {
		return d
	}
	d.Emails, d.Phones, d.AllContacts = old.Emails, old.Phones, true
	return d
}

// withDetailsOf returns l, a record from a list, with the detail fields of
// old when old has them and both describe the same version of the customer
// (see sameVersion; fresh: old is fresh in the cache).
func (s *Service) withDetailsOf(l, old *customer.Customer, fresh bool) *customer.Customer {
	if old == nil || old.Detail == nil || old.ID != l.ID || !s.sameVersion(old, l, fresh) {
		return l
	}
	l.Detail = old.Detail
	return l
}

func samePrimaries(a, b *customer.Customer) bool {
	return eqPtr(a.Email(), b.Email()) && eqPtr(a.Phone(), b.Phone())
}

func eqPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
