package cache

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrSkipped is returned, wrapped, by the operations of a Redis cache that
// were not sent because Redis has been failing: see RedisOptions.Cooldown.
var ErrSkipped = errors.New("redis is failing; skipped for a moment")

// minTripFailures is the fewest failed operations in a row that make a
// breaker skip Redis, however long they took.
const minTripFailures = 3

// breaker decides whether an operation is sent to Redis. When every
// operation has failed for tripAfter (and at least minTripFailures times),
// it opens: operations are skipped for cooldown, then one operation is let
// through as a probe. The probe's success closes the breaker; its failure
// skips Redis for another cooldown. Any success while failing resets it.
//
// A black-holed Redis thus costs one timeout per cooldown instead of one
// per operation, and a Redis that comes back is used again within a
// cooldown. Short stalls (a pause, an overloaded moment in which some
// operations time out and others succeed) never open it.
type breaker struct {
	cooldown  time.Duration // 0: never open
	tripAfter time.Duration
	now       func() time.Time

	// Fast paths: a healthy cache takes no lock.
	open    atomic.Bool // skipping, or probing
	failing atomic.Bool // the last operation failed

	mu        sync.Mutex
	failures  int       // in a row
	since     time.Time // the first of them
	openUntil time.Time // when open: no probe before
	probing   bool      // a probe is under way
}

// allow reports whether an operation may be sent, and whether it is the
// probe, whose outcome the caller must report.
func (b *breaker) allow() (ok, probe bool) {
	if !b.open.Load() {
		return true, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case !b.open.Load():
		return true, false
	case b.probing || b.now().Before(b.openUntil):
		return false, false
	}
	b.probing = true
	return true, true
}

// succeeded records a successful operation. It reports whether the breaker
// was open: Redis answers again.
func (b *breaker) succeeded(probe bool) (recovered bool) {
	if !probe && !b.failing.Load() && !b.open.Load() {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	recovered = b.open.Load()
	b.failures, b.since, b.probing = 0, time.Time{}, false
	b.failing.Store(false)
	b.open.Store(false)
	return recovered
}

// failed records a failed operation. It reports whether the breaker opened
// because of it.
func (b *breaker) failed(probe bool) (opened bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if probe {
		b.probing = false
		b.openUntil = now.Add(b.cooldown)
		return false
	}
	if b.open.Load() {
		return false // sent before the breaker opened
	}
	if !b.failing.Load() {
		b.failing.Store(true)
		b.failures, b.since = 0, now
	}
	b.failures++
	if b.cooldown > 0 && b.failures >= minTripFailures && now.Sub(b.since) >= b.tripAfter {
		b.open.Store(true)
		b.openUntil = now.Add(b.cooldown)
		return true
	}
	return false
}

// abandoned records a probe whose caller gave up before Redis answered:
// no verdict, and the next operation probes again.
func (b *breaker) abandoned(probe bool) {
	if !probe {
		return
	}
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}
