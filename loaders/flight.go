package loaders

import (
	"context"
	"sync"
)

// flight coalesces concurrent upstream calls for the same key across
// requests: while one is under way, later callers wait for its result
// instead of calling again. A Service has one flight, so tenants never
// share a result.
//
// The call runs detached from the leader's context (the upstream client's
// own timeouts bound it), so a leader whose client went away does not fail
// the followers; each caller still stops waiting when its own context ends.
type flight[V any] struct {
	mu    sync.Mutex
	calls map[string]*call[V]
}

type call[V any] struct {
	done chan struct{}
	val  V
	err  error
}

// do returns fn's result for key, running fn only if no call for key is
// under way. leader reports whether this caller started the call: the
// leader alone writes the result back to the cache.
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
			defer close(c.done)
			c.val, c.err = fn(context.WithoutCancel(ctx))
			f.mu.Lock()
			delete(f.calls, key)
			f.mu.Unlock()
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
