package loaders

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"customergraph/internal/budget"
	"customergraph/internal/upstream"
)

// flight coalesces concurrent upstream calls for the same key across
// requests: while one is under way, later callers wait for its result
// instead of calling again. A Service has one flight, so tenants never
// share a result.
//
// A successful result stays joinable after the call returns, until the
// leader has written it to the cache and calls release, and after that by
// callers whose cache read began before the release (since): a request that
// missed the cache just before the write joins the result instead of
// calling again. Results are dropped linger after the call; errors at once,
// before the callers waiting for them hear of them.
//
// The call runs detached from the leader's context, so a leader whose
// client went away, or whose deadline passed, does not fail the followers;
// each caller still stops waiting when its own context ends. Once every
// caller has stopped waiting, the call makes no further upstream attempt
// (upstream.WithAbandonment): an answer nobody waits for is not worth the
// budget. The attempt under way finishes. A caller that ends before it
// joins starts nothing. The call's own
// context ends after timeout (none when 0), so that no call outlives the
// requests that could be waiting for it.
type flight[K comparable, V any] struct {
	timeout time.Duration
	spawn   func(func()) // starts a call; nil: a goroutine
	// answered, when set (by tests), is called once a call's callers
	// have been given its result.
	answered func()

	mu    sync.Mutex
	calls map[K]*call[V]
}

// linger bounds how long a finished call's result is kept for a leader
// that does not release it.
const linger = 250 * time.Millisecond

type call[V any] struct {
	done     chan struct{}
	val      V
	err      error
	released time.Time // when the leader's write-back was done; zero before
	// waiters counts the callers waiting for the call; when the last of
	// them stops waiting before the call is done, gone is closed and the
	// call makes no further upstream attempt. Nobody joins it after that.
	waiters atomic.Int32
	gone    chan struct{}
	leave   sync.Once
}

// stopWaiting records that a caller stopped waiting for c.
func (c *call[V]) stopWaiting() {
	if c.waiters.Add(-1) == 0 && !isDone(c.done) {
		c.leave.Do(func() { close(c.gone) })
	}
}

// do returns fn's result for key, running fn only if no call for key is
// under way, waiting for release, or released after since (the time the
// caller's cache read began; zero for none). leader reports whether this
// caller started the call: the leader alone writes the result back to the
// cache, and then calls release.
//
// A follower whose leader was refused for its client's share of the budget
// (budget.ErrClientSpent) makes one call of its own, on its own client's
// share: the refusal was the leader's, not the upstream's answer.
func (f *flight[K, V]) do(ctx context.Context, key K, since time.Time, fn func(context.Context) (V, error)) (v V, err error, leader bool) {
	return f.doFor(ctx, key, since, fn, nil)
}

// doFor is do for a caller that not every result for key satisfies: a
// result another caller led or shared for which enough reports false is
// not this caller's answer, and it makes one call of its own, which later
// callers join. A nil enough takes any result.
func (f *flight[K, V]) doFor(ctx context.Context, key K, since time.Time, fn func(context.Context) (V, error), enough func(V) bool) (v V, err error, leader bool) {
	own := false
	for {
		if err := ctx.Err(); err != nil {
			return v, err, false // gone already: start nothing
		}
		v, err, leader = f.join(ctx, key, since, fn, own)
		switch {
		case err == nil && !leader && !own && enough != nil && !enough(v):
			own = true
		case ctx.Err() != nil || err == nil:
			return v, err, leader
		case errors.Is(err, upstream.ErrAbandoned):
			// The call this caller joined was given up by everyone before
			// it came: make a call of its own.
		case !leader && !own && errors.Is(err, budget.ErrClientSpent):
			own = true
		default:
			return v, err, leader
		}
	}
}

// join is do's one attempt: it joins the call for key, or starts one;
// with own, it starts one, which later callers join.
func (f *flight[K, V]) join(ctx context.Context, key K, since time.Time, fn func(context.Context) (V, error), own bool) (v V, err error, leader bool) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = make(map[K]*call[V])
	}
	c, ok := f.calls[key]
	switch {
	case !ok:
	case own:
		ok = false
	case !c.released.IsZero() && !c.released.After(since):
		ok = false // written back before the caller looked: its miss is news
	case isDone(c.gone):
		ok = false // given up by every caller before this one came
	}
	if !ok {
		c = &call[V]{done: make(chan struct{}), gone: make(chan struct{})}
		f.calls[key] = c
		leader = true
	}
	c.waiters.Add(1)
	if leader {
		spawn := f.spawn
		if spawn == nil {
			spawn = func(f func()) { go f() }
		}
		spawn(func() {
			cctx, cancel := context.WithoutCancel(ctx), context.CancelFunc(func() {})
			if f.timeout > 0 {
				cctx, cancel = context.WithTimeout(cctx, f.timeout)
			}
			c.val, c.err = fn(upstream.WithAbandonment(cctx, c.gone))
			cancel()
			if c.err != nil {
				// Dropped before the waiters hear of it, so that no caller
				// who comes after can join a failed call.
				f.drop(key, c)
				close(c.done)
			} else {
				close(c.done)
				time.AfterFunc(linger, func() { f.drop(key, c) })
			}
			if f.answered != nil {
				f.answered()
			}
		})
	}
	f.mu.Unlock()
	defer c.stopWaiting()
	select {
	case <-c.done:
		return c.val, c.err, leader
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err(), false
	}
}

// isDone reports whether ch is closed.
func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// peek returns the finished, successful result for key, if one is still
// kept, without joining or starting a call.
func (f *flight[K, V]) peek(key K) (v V, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, found := f.calls[key]
	if !found {
		return v, false
	}
	select {
	case <-c.done:
		return c.val, c.err == nil
	default:
		return v, false
	}
}

// release records that key's finished result is in the cache now: only
// callers whose cache read began before now still join it.
func (f *flight[K, V]) release(key K) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.calls[key]; ok && c.released.IsZero() {
		select {
		case <-c.done:
			c.released = time.Now()
		default: // a newer call, still under way
		}
	}
}

// share offers v as the finished, unreleased result for key, unless a call
// for key is known already, and reports whether it did. The leader of a
// lookup shares what it found under the customer's other identifiers until
// its write-back lands.
func (f *flight[K, V]) share(key K, v V) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = make(map[K]*call[V])
	}
	if _, ok := f.calls[key]; ok {
		return false
	}
	c := &call[V]{done: make(chan struct{}), val: v}
	close(c.done)
	f.calls[key] = c
	time.AfterFunc(linger, func() { f.drop(key, c) })
	return true
}

// forgetIf drops every call whose finished result matches: results that
// predate a change to what they describe.
func (f *flight[K, V]) forgetIf(match func(V) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for key, c := range f.calls {
		select {
		case <-c.done:
			if c.err == nil && match(c.val) {
				delete(f.calls, key)
			}
		default:
		}
	}
}

// forget makes the next caller for key start a new call, even if one is
// under way: its result may predate a change.
func (f *flight[K, V]) forget(key K) {
	f.mu.Lock()
	delete(f.calls, key)
	f.mu.Unlock()
}

func (f *flight[K, V]) drop(key K, c *call[V]) {
	f.mu.Lock()
	if f.calls[key] == c {
		delete(f.calls, key)
	}
	f.mu.Unlock()
}
