package loaders

import (
	"context"
	"sync"
	"time"
)

// flight coalesces concurrent upstream calls for the same key across
// requests: while one is under way, later callers wait for its result
// instead of calling again. A Service has one flight, so tenants never
// share a result.
//
// A successful result stays joinable after the call returns, until the
// leader has written it to the cache and calls release: a request that
// missed the cache just before that write joins the result instead of
// calling again. If the leader never releases (its client went away),
// the result is dropped after linger. Errors are dropped at once.
//
// The call runs detached from the leader's context (the upstream client's
// own timeouts bound it), so a leader whose client went away does not fail
// the followers; each caller still stops waiting when its own context ends.
type flight[V any] struct {
	mu    sync.Mutex
	calls map[string]*call[V]
}

// linger bounds how long a finished call's result is kept for a leader
// that does not release it.
const linger = 250 * time.Millisecond

type call[V any] struct {
	done chan struct{}
	val  V
	err  error
}

// do returns fn's result for key, running fn only if no call for key is
// under way or waiting for release. leader reports whether this caller
// started the call: the leader alone writes the result back to the cache,
// and then calls release.
func (f *flight[V]) do(ctx context.Context, key string, fn func(context.Context) (V, error)) (v V, err error, leader bool) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = make(map[string]*call[V])
	}
	c, ok := f.calls[key]
	if !ok {
		c = &call[V]{done: make(chan struct{})}
		f.calls[key] = c
		leader = true
		go func() {
			c.val, c.err = fn(context.WithoutCancel(ctx))
			close(c.done)
			if c.err != nil {
				f.drop(key, c)
				return
			}
			time.AfterFunc(linger, func() { f.drop(key, c) })
		}()
	}
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.val, c.err, leader
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err(), false
	}
}

// release ends the sharing of key's finished result: the cache has it now.
func (f *flight[V]) release(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.calls[key]; ok {
		select {
		case <-c.done:
			delete(f.calls, key)
		default: // a newer call, still under way
		}
	}
}

// forget makes the next caller for key start a new call, even if one is
// under way: its result may predate a change.
func (f *flight[V]) forget(key string) {
	f.mu.Lock()
	delete(f.calls, key)
	f.mu.Unlock()
}

func (f *flight[V]) drop(key string, c *call[V]) {
	f.mu.Lock()
	if f.calls[key] == c {
		delete(f.calls, key)
	}
	f.mu.Unlock()
}
