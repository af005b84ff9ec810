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
// it opens: operations are skipped until it closes again, which a
// successful operation or probe does (the Redis cache probes in the
// background while it is open).
//
// A black-holed Redis thus costs a timeout per operation for tripAfter
// only, and none after. Short stalls, such as a pause or an overloaded
// moment in which some operations time out and others succeed, never open
// it.
type breaker struct {
	tripAfter time.Duration // 0: never open
	now       func() time.Time

	// Fast paths: a healthy cache takes no lock.
	open    atomic.Bool // skipping
	failing atomic.Bool // the last operation failed

	mu       sync.Mutex
	failures int       // in a row
	since    time.Time // the first of them
}

// allow reports whether an operation may be sent.
func (b *breaker) allow() bool {
	return !b.open.Load()
}

// succeeded records a successful operation or probe. It reports whether
// the breaker was open: Redis answers again.
func (b *breaker) succeeded() (recovered bool) {
	if !b.failing.Load() && !b.open.Load() {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures, b.since = 0, time.Time{}
	b.failing.Store(false)
	return b.open.Swap(false)
}

// failed records a failed operation. It reports whether every operation
// has now failed for tripAfter: the caller then opens the breaker (trip),
// or first makes sure Redis is gone. An operation sent before it opened
// changes nothing.
func (b *breaker) failed() (tripped bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open.Load() {
		return false
	}
	now := b.now()
	if !b.failing.Load() {
		b.failing.Store(true)
		b.failures, b.since = 0, now
	}
	b.failures++
	return b.tripAfter > 0 && b.failures >= minTripFailures && now.Sub(b.since) >= b.tripAfter
}

// trip opens the breaker, and reports whether it was closed.
func (b *breaker) trip() (opened bool) {
	if b.tripAfter <= 0 {
		return false
	}
	return !b.open.Swap(true)
}
