package loaders

import (
	"context"
	"time"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
)

// UpdateCustomer applies p to the customer with document ID id and writes
// the result through the cache: the new record under its ID and current
// aliases, and the aliases it no longer has (an old email or phone) removed,
// so a read through any identifier right after is never stale — on this
// instance or any other sharing the cache. The upstream call is never
// retried. For a vendor that replaces whole records, the current record is
// read first (one GET) and the patch merged into it.
func (l *Loaders) UpdateCustomer(ctx context.Context, id identifier.ID, p customer.Patch) (*customer.Customer, error) {
	s := l.s
	key := s.keys.Customer(id.String())
	cached, read, _ := s.lookup(ctx, []string{key})
	old := cached[0].c

	current := old
	if s.caps.FullReplace {
		// The vendor replaces the whole record: merge into the record as
		// it is now, read just before, so that the window in which a
		// change made elsewhere could be overwritten is one round trip.
		start := s.now()
		cur, err := s.up.Customer(ctx, id)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			return nil, ErrNotFound
		}
		cur.AsOf = start
		current = cur
		if old == nil {
			old = cur // its aliases are the ones an update may leave behind
		}
	}
	u, err := s.up.Update(ctx, id.String(), current, p)
	if err != nil {
		return nil, err
	}
	u.AsOf = s.now() // after the update: newer than any read that began before it ended
	// The upstream has changed: the cache must follow even if the caller
	// has gone away meanwhile (its own timeouts bound these writes).
	ctx = context.WithoutCancel(ctx)
	if !read && old == nil {
		// The cache could not be read before the update: ask again, for
		// the aliases the old record had, which the update may leave
		// behind.
		actx, cancel := context.WithTimeout(ctx, time.Second)
		if again, ok, _ := s.lookup(actx, []string{key}); ok {
			cached, old = again, again[0].c
		}
		cancel()
	}
	c := withContactsOf(u, old)

	// Aliases the customer had before the update and no longer has.
	var stale []string
	if old != nil {
		current := make(map[identifier.ID]bool)
		for _, a := range aliases(c) {
			current[a] = true
		}
		for _, a := range aliases(old) {
			if !current[a] {
				stale = append(stale, s.keyFor(a))
			}
		}
	}
	entries := s.entries(nil, c, s.now(), cached[0].unreadable)
	write := func(ctx context.Context) error {
		if len(stale) > 0 {
			if err := s.cache.Delete(ctx, stale); err != nil {
				return err
			}
		}
		return s.cache.Set(ctx, entries)
	}
	if err := write(ctx); err != nil {
		// The old record may still be cached: keep trying for a while.
		// Versioned writes make a late retry harmless.
		go s.retryWrite(ctx, c.ID, write)
	}
	// A read of this customer from before the update must not be handed
	// to anyone who asks from now on, under any identifier.
	for _, a := range append(aliases(c), id) {
		s.gets.forget(a)
	}
	if old != nil {
		for _, a := range aliases(old) {
			s.gets.forget(a)
		}
	}
	s.noteUpdate(c)
	if s.caps.Unpaginated {
		s.snaps.replace(c)
	}
	s.gets.forgetIf(func(r *customer.Customer) bool { return r != nil && r.ID == c.ID })
	l.forget(ctx, old, c)
	l.prime(c)
	return c, nil
}

// writeRetries are the pauses between retries of a failed write-through:
// about 6 seconds in all, enough for a Redis restart or failover blip.
var writeRetries = []time.Duration{
	100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
	800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond,
}

// retryWrite retries a failed write-through until it succeeds or the
// retries run out; then the old record may be served until its TTL ends.
func (s *Service) retryWrite(ctx context.Context, id string, write func(context.Context) error) {
	for _, pause := range writeRetries {
		time.Sleep(pause)
		if err := write(ctx); err == nil {
			s.log.Info("cache write-through succeeded on retry", "customer", id)
			return
		}
	}
	s.log.Error("cache write-through failed; the cache may serve the customer's previous record until its TTL ends",
		"customer", id)
}
