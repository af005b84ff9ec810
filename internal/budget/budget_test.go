package budget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/cache"
	"customergraph/internal/cache/cachetest"
	"customergraph/internal/fakeclock"
)

func TestMain(m *testing.M) { cachetest.Main(m) }

// redisClient returns a client for the test Redis with the service's
// tuning (50ms timeouts, no retries).
func redisClient(t *testing.T, addr string) redis.UniversalClient {
	t.Helper()
	c, err := cache.ParseRedisURL("redis://"+addr, cache.RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// want checks the result of Take: nil, or a *WaitError matching reason
// with a RetryAfter in [lo, hi].
func want(t *testing.T, err error, reason error, lo, hi time.Duration) {
	t.Helper()
	if reason == nil {
		if err != nil {
			t.Fatalf("Take = %v; want a token", err)
		}
		return
	}
	var we *WaitError
	if !errors.Is(err, reason) || !errors.As(err, &we) {
		t.Fatalf("Take = %v; want %v", err, reason)
	}
	if we.RetryAfter < lo || we.RetryAfter > hi {
		t.Fatalf("Take = %v with RetryAfter %v; want %v to %v", err, we.RetryAfter, lo, hi)
	}
}

// TestLocal: the buckets of an instance without Redis, on an injected
// clock.
func TestLocal(t *testing.T) {
	a, b := WithClient(t.Context(), "client-1"), WithClient(t.Context(), "client-2")
	type step struct {
		ctx     context.Context
		advance time.Duration
		reason  error // nil: a token
		wait    time.Duration
	}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"the bucket holds Limit", Config{Limit: 3, Window: time.Hour}, []step{
			{ctx: a}, {ctx: b}, {ctx: a}, {ctx: b, reason: ErrSpent, wait: 20 * time.Minute},
		}},
		{"it refills at Limit per Window", Config{Limit: 3, Window: time.Hour}, []step{
			{ctx: a}, {ctx: a}, {ctx: a}, {ctx: a, advance: 10 * time.Minute, reason: ErrSpent, wait: 10 * time.Minute},
			{ctx: a, advance: 10 * time.Minute}, {ctx: a, reason: ErrSpent, wait: 20 * time.Minute},
			{ctx: a, advance: 5 * time.Hour}, {ctx: a}, {ctx: a}, {ctx: a, reason: ErrSpent, wait: 20 * time.Minute},
		}},
		{"a client spends its share, another goes on", Config{Limit: 4, Window: time.Hour, ClientShare: 0.5}, []step{
			{ctx: a}, {ctx: a}, {ctx: a, reason: ErrClientSpent, wait: 30 * time.Minute},
			{ctx: b}, {ctx: b},
			{ctx: b, reason: ErrSpent, wait: 30 * time.Minute},
		}},
		{"a client's share refills", Config{Limit: 10, Window: time.Hour, ClientShare: 0.2}, []step{
			{ctx: a}, {ctx: a}, {ctx: a, reason: ErrClientSpent, wait: 30 * time.Minute},
			{ctx: a, advance: 30 * time.Minute}, {ctx: a, reason: ErrClientSpent, wait: 30 * time.Minute},
		}},
		{"no client, no share", Config{Limit: 2, Window: time.Hour, ClientShare: 0.5}, []step{
			{ctx: t.Context()}, {ctx: t.Context()}, {ctx: t.Context(), reason: ErrSpent, wait: 30 * time.Minute},
		}},
		{"a share of 1 is no share", Config{Limit: 2, Window: time.Hour, ClientShare: 1}, []step{
			{ctx: a}, {ctx: a}, {ctx: b, reason: ErrSpent, wait: 30 * time.Minute},
		}},
		{"no budget", Config{}, []step{{ctx: a}, {ctx: a}, {ctx: a}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeclock.New()
			tt.cfg.Now = c.Now
			l := New(tt.cfg)
			for i, s := range tt.steps {
				c.Advance(s.advance)
				err := l.Take(s.ctx)
				if (err == nil) != (s.reason == nil) || (s.reason != nil && !errors.Is(err, s.reason)) {
					t.Fatalf("step %d: Take = %v; want %v", i, err, s.reason)
				}
				var we *WaitError
				if s.reason != nil && errors.As(err, &we) && we.RetryAfter != s.wait {
					t.Fatalf("step %d: RetryAfter %v; want %v", i, we.RetryAfter, s.wait)
				}
			}
		})
	}
}

func TestPauseLocal(t *testing.T) {
	c := fakeclock.New()
	for _, limit := range []int{0, 5} {
		l := New(Config{Limit: limit, Now: c.Now})
		l.Pause(t.Context(), 3*time.Second)
		l.Pause(t.Context(), time.Second) // shorter: changes nothing
		c.Advance(time.Second)
		want(t, l.Take(t.Context()), ErrPaused, 2*time.Second, 2*time.Second)
		c.Advance(2 * time.Second)
		want(t, l.Take(t.Context()), nil, 0, 0)
	}
}

func TestUsage(t *testing.T) {
	l := New(Config{Limit: 10, ClientShare: 0.5, Now: fakeclock.New().Now})
	ctx := Track(WithClient(t.Context(), "client-1"))
	if _, ok := Used(ctx); ok {
		t.Fatal("Used before any Take reports figures")
	}
	l.Take(ctx)
	l.Take(ctx)
	r, ok := Used(ctx)
	if !ok || r.Limit != 10 || r.Remaining != 8 || r.ClientRemaining == nil || *r.ClientRemaining != 3 {
		t.Fatalf("Used = %+v (client %v), %v; want limit 10, remaining 8, client 3", r, r.ClientRemaining, ok)
	}
	// Without a client bucket, no client figure; with no budget, no figures.
	ctx = Track(t.Context())
	l.Take(ctx)
	if r, ok := Used(ctx); !ok || r.ClientRemaining != nil || r.Remaining != 7 {
		t.Errorf("Used = %+v, %v; want remaining 7 and no client figure", r, ok)
	}
	ctx = Track(t.Context())
	New(Config{}).Take(ctx)
	if _, ok := Used(ctx); ok {
		t.Error("Used reports figures without a budget")
	}
	if ClientFrom(WithClient(t.Context(), "client-3")) != "client-3" || ClientFrom(t.Context()) != "" {
		t.Error("ClientFrom does not return what WithClient set")
	}
}

// shared returns n Limiters of cfg sharing the test Redis in a namespace of
// the test's own.
func shared(t *testing.T, n int, cfg Config) ([]*Limiter, cache.Keyspace) {
	t.Helper()
	keys := cache.NewKeyspace(cachetest.Namespace(t))
	cfg.Keys = keys
	var ls []*Limiter
	for range n {
		cfg.Redis = redisClient(t, cachetest.Redis(t))
		ls = append(ls, New(cfg))
	}
	return ls, keys
}

// TestScript runs the bucket script against the real Redis.
func TestScript(t *testing.T) {
	ls, keys := shared(t, 2, Config{Limit: 6, Window: time.Hour, ClientShare: 0.5})
	a, b := ls[0], ls[1]
	c1, c2 := Track(WithClient(t.Context(), "client-1")), Track(WithClient(t.Context(), "client-2"))
	// client-1 spends its share (3) through both instances.
	want(t, a.Take(c1), nil, 0, 0)
	want(t, b.Take(c1), nil, 0, 0)
	want(t, a.Take(c1), nil, 0, 0)
	want(t, b.Take(c1), ErrClientSpent, 19*time.Minute, 20*time.Minute)
	if r, _ := Used(c1); r.Remaining != 3 || *r.ClientRemaining != 0 {
		t.Errorf("client-1 saw %+v (client %d); want 3 left, 0 for the client", r, *r.ClientRemaining)
	}
	// client-2 still has its share, and spends the rest.
	for range 3 {
		want(t, b.Take(c2), nil, 0, 0)
	}
	want(t, a.Take(t.Context()), ErrSpent, 9*time.Minute, 10*time.Minute)
	if st := a.Stats(); st.Remaining != 0 || st.RedisErrors != 0 {
		t.Errorf("Stats = %+v; want 0 left, no Redis error", st)
	}

	// Every key is in the tenant's namespace, and has no TTL: a Redis
	// that evicts keys with one to make room never evicts the budget.
	rdb := cachetest.Client(t)
	found, err := rdb.Keys(t.Context(), keys.Limit("*")).Result()
	if err != nil {
		t.Fatal(err)
	}
	prefix := strings.TrimSuffix(keys.Limit(""), "l:")
	if len(found) != 3 {
		t.Errorf("keys %v; want the shared bucket and two clients'", found)
	}
	for _, k := range found {
		if !strings.HasPrefix(k, prefix) {
			t.Errorf("key %q is outside the namespace %q", k, prefix)
		}
		if ttl := rdb.PTTL(t.Context(), k).Val(); ttl != -1 {
			t.Errorf("key %q has TTL %v; want none", k, ttl)
		}
	}
}

// TestScriptRefills: the shared bucket refills on Redis's clock.
func TestScriptRefills(t *testing.T) {
	ls, _ := shared(t, 1, Config{Limit: 2, Window: time.Second})
	l := ls[0]
	want(t, l.Take(t.Context()), nil, 0, 0)
	want(t, l.Take(t.Context()), nil, 0, 0)
	err := l.Take(t.Context())
	want(t, err, ErrSpent, time.Millisecond, 500*time.Millisecond)
	var we *WaitError
	errors.As(err, &we)
	time.Sleep(we.RetryAfter + 20*time.Millisecond)
	want(t, l.Take(t.Context()), nil, 0, 0)
}

// TestSharedPause: a pause taken by one instance holds on another.
func TestSharedPause(t *testing.T) {
	ls, keys := shared(t, 2, Config{Limit: 100})
	a, b := ls[0], ls[1]
	want(t, b.Take(t.Context()), nil, 0, 0)
	a.Pause(t.Context(), 800*time.Millisecond)
	b.Pause(t.Context(), 100*time.Millisecond) // shorter: changes nothing
	// The pause is kept in the bucket, a key without a TTL.
	rdb := cachetest.Client(t)
	if found := rdb.Keys(t.Context(), keys.Limit("*")).Val(); len(found) != 1 || rdb.PTTL(t.Context(), found[0]).Val() != -1 {
		t.Errorf("keys %v after a pause; want the shared bucket only, without a TTL", found)
	}
	want(t, a.Take(t.Context()), ErrPaused, time.Millisecond, 800*time.Millisecond)
	want(t, b.Take(t.Context()), ErrPaused, time.Millisecond, 800*time.Millisecond)
	time.Sleep(900 * time.Millisecond)
	want(t, a.Take(t.Context()), nil, 0, 0)
	want(t, b.Take(t.Context()), nil, 0, 0)
}

// TestRedisDown: without Redis, the local buckets still limit, starting
// from the last figures Redis gave.
func TestRedisDown(t *testing.T) {
	srv := cachetest.StartServer(t, 0)
	var logs strings.Builder
	var mu sync.Mutex
	l := New(Config{
		Limit: 5, Window: time.Hour, ClientShare: 0.8,
		Redis: redisClient(t, srv.Addr), Keys: cache.NewKeyspace(cachetest.Namespace(t)),
		Logger: logger(&mu, &logs),
	})
	ctx := WithClient(t.Context(), "client-1")
	want(t, l.Take(ctx), nil, 0, 0)
	want(t, l.Take(ctx), nil, 0, 0)
	srv.Stop()
	start := time.Now()
	want(t, l.Take(ctx), nil, 0, 0)
	want(t, l.Take(ctx), nil, 0, 0)
	want(t, l.Take(ctx), ErrClientSpent, time.Minute, 15*time.Minute) // 4 of 4 for the client
	want(t, l.Take(t.Context()), nil, 0, 0)                           // the 5th, without a client
	want(t, l.Take(t.Context()), ErrSpent, time.Minute, 12*time.Minute)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("5 Takes with Redis down took %v", el)
	}
	if st := l.Stats(); st.RedisErrors == 0 {
		t.Error("Stats: no Redis error counted")
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), "redis failed"); n != 1 {
		t.Errorf("logged %d Redis failures in a second; want 1:\n%s", n, logs.String())
	}
}

// TestRedisUnreachable: a Redis that never answered leaves full local
// buckets.
func TestRedisUnreachable(t *testing.T) {
	port := cachetest.FreePort(t)
	c := fakeclock.New()
	l := New(Config{Limit: 2, Redis: redisClient(t, fmt.Sprintf("127.0.0.1:%d", port)),
		Keys: cache.NewKeyspace("x"), Now: c.Now, Logger: logger(&sync.Mutex{}, &strings.Builder{})})
	want(t, l.Take(t.Context()), nil, 0, 0)
	want(t, l.Take(t.Context()), nil, 0, 0)
	want(t, l.Take(t.Context()), ErrSpent, 30*time.Minute, 30*time.Minute)
	c.Advance(30 * time.Minute)
	want(t, l.Take(t.Context()), nil, 0, 0)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func logger(mu *sync.Mutex, w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{mu, w}, nil))
}
