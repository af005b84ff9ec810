package cache

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/cache/cachetest"
)

// TestRedisFaults puts a fault-injecting proxy between the cache and a
// Redis of its own. Whatever the fault, every operation ends within about
// the timeout, as a miss; once Redis has failed for a while the cache skips
// it, so most operations do not wait at all; and when the fault ends the
// cache serves the stored values again, each under its own key, within
// about a cooldown.
func TestRedisFaults(t *testing.T) {
	const (
		timeout  = 100 * time.Millisecond // enough for a loaded machine
		cooldown = 300 * time.Millisecond
		faultFor = time.Second
	)
	for _, fault := range []cachetest.Fault{cachetest.Blackhole, cachetest.Garbage, cachetest.Refuse} {
		t.Run(fault.String(), func(t *testing.T) {
			srv := cachetest.StartServer(t, 0)
			proxy := cachetest.StartProxy(t, srv.Addr)
			r, err := DialRedis("redis://"+proxy.Addr, RedisOptions{Timeout: timeout, Cooldown: cooldown})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			ks := testKeyspace(t)
			var (
				entries []Entry
				keys    []string
				want    []string
			)
			for i := range 10 {
				e := Entry{Key: ks.Customer(strconv.Itoa(i)), Value: []byte("value-" + strconv.Itoa(i)), TTL: time.Minute}
				entries, keys, want = append(entries, e), append(keys, e.Key), append(want, string(e.Value))
			}
			eventually(t, func() error { return r.Set(t.Context(), entries) })
			checkValues(t, mustGetRedis(t, r, keys), want)

			proxy.Set(fault)
			var (
				ops, waited int
				slowest     time.Duration
			)
			for start := time.Now(); time.Since(start) < faultFor; ops++ {
				i := ops % len(keys)
				t0 := time.Now()
				got, err := r.Get(t.Context(), keys[i:i+1])
				d := time.Since(t0)
				if err == nil || got[0] != nil {
					t.Fatalf("Get %d during %v = %q, %v; want a miss and an error", ops, fault, got, err)
				}
				slowest = max(slowest, d)
				if d >= timeout/2 {
					waited++
				} else {
					time.Sleep(time.Millisecond) // leave the CPU to others
				}
			}
			st := r.Stats()
			t.Logf("%v: %d Gets in %v, %d waited, slowest %v; stats %+v", fault, ops, faultFor, waited, slowest, st)
			// About the timeout; far less than a second, even on a loaded
			// machine.
			if slowest > time.Second {
				t.Errorf("%v: slowest Get took %v; want about the timeout, %v", fault, slowest, timeout)
			}
			if st.Skipped == 0 {
				t.Errorf("%v: no operation skipped in %v of failures", fault, faultFor)
			}
			// Until the breaker opens (4 timeouts), and none after: a few
			// operations wait, not every one.
			if maxWaited := int(tripTimeouts) + 5; waited > maxWaited {
				t.Errorf("%v: %d of %d Gets waited for Redis; want at most %d", fault, waited, ops, maxWaited)
			}

			proxy.Set(cachetest.Pass)
			restored := time.Now()
			for {
				got, err := r.Get(t.Context(), keys)
				if err == nil {
					checkValues(t, got, want)
					break
				}
				if time.Since(restored) > 3*time.Second {
					t.Fatalf("%v: Get still fails 3s after the fault ended: %v", fault, err)
				}
				time.Sleep(5 * time.Millisecond)
			}
			t.Logf("%v: cache answers again %v after the fault ended", fault, time.Since(restored).Round(time.Millisecond))
			// No connection is left out of step with its replies: every
			// value read is the one of its key.
			for i := range 50 {
				j := i % len(keys)
				if got, err := r.Get(t.Context(), keys[j:j+1]); err == nil {
					checkValues(t, got, want[j:j+1])
				}
			}
			eventually(t, func() error { return r.Set(t.Context(), entries[:1]) })
		})
	}
}

// TestRedisSkippedErrors checks what a skipped operation returns and counts.
func TestRedisSkippedErrors(t *testing.T) {
	port := cachetest.FreePort(t) // nothing listens on it
	r, err := DialRedis("redis://127.0.0.1:"+strconv.Itoa(port), RedisOptions{Timeout: 10 * time.Millisecond, Cooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	keys := []string{"a", "b"}
	deadline := time.Now().Add(5 * time.Second)
	for r.Stats().Skipped == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("Redis still not skipped after 5s of failures: %+v", r.Stats())
		}
		r.Get(t.Context(), keys)
		time.Sleep(5 * time.Millisecond)
	}
	before := r.Stats()
	got, err := r.Get(t.Context(), keys)
	if !errors.Is(err, ErrSkipped) || got[0] != nil || got[1] != nil {
		t.Errorf("Get while skipped = %q, %v; want misses and ErrSkipped", got, err)
	}
	if err := r.Set(t.Context(), []Entry{{Key: "a", Value: []byte("x"), TTL: time.Second}}); !errors.Is(err, ErrSkipped) {
		t.Errorf("Set while skipped: %v; want ErrSkipped", err)
	}
	if err := r.Delete(t.Context(), keys); !errors.Is(err, ErrSkipped) {
		t.Errorf("Delete while skipped: %v; want ErrSkipped", err)
	}
	ran := false
	if err := r.Do(t.Context(), "other", 1, func(context.Context, redis.UniversalClient) error { ran = true; return nil }); !errors.Is(err, ErrSkipped) || ran {
		t.Errorf("Do while skipped: %v, ran %v; want ErrSkipped, not run", err, ran)
	}
	after := r.Stats()
	want := before
	want.Skipped += 4
	want.Misses += 2
	if after != want {
		t.Errorf("Stats after 3 skipped operations = %+v; want %+v", after, want)
	}
	if err := r.Ping(t.Context()); err == nil || errors.Is(err, ErrSkipped) {
		t.Errorf("Ping while skipped: %v; want it sent, and failing", err)
	}
}

// TestRedisBlackholeBoundsEveryWait sends many concurrent operations into a
// black hole with a small pool: those waiting for a connection, those
// connecting and those waiting for a reply all give up within about the
// timeout (the operation's deadline covers them all; without it, one that
// waited for a connection could then wait a timeout more for its reply).
func TestRedisBlackholeBoundsEveryWait(t *testing.T) {
	const timeout = 50 * time.Millisecond
	r, _ := blackholed(t, RedisOptions{Timeout: timeout, PoolSize: 4, Cooldown: -1})
	const n = 100
	took := make(chan time.Duration, n)
	for range n {
		go func() {
			start := time.Now()
			r.Get(t.Context(), []string{"k"})
			took <- time.Since(start)
		}()
	}
	var slowest time.Duration
	for range n {
		slowest = max(slowest, <-took)
	}
	t.Logf("%d concurrent Gets into a black hole over 4 connections: slowest %v", n, slowest)
	if slowest > time.Second {
		t.Errorf("slowest Get took %v; want about the timeout, %v", slowest, timeout)
	}
	if st := r.Stats(); st.Errors != n {
		t.Errorf("Stats = %+v; want %d errors", st, n)
	}
}

// blackholed returns a Redis cache connected, with opts, to a server of its
// own through a proxy that then swallows everything, and the proxy's
// address. The cache is closed when t ends.
func blackholed(t *testing.T, opts RedisOptions) (*Redis, string) {
	t.Helper()
	srv := cachetest.StartServer(t, 0)
	proxy := cachetest.StartProxy(t, srv.Addr)
	r, err := DialRedis("redis://"+proxy.Addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	proxy.Set(cachetest.Blackhole)
	return r, proxy.Addr
}

// eventually calls f until it succeeds, for 2 seconds at most: an operation
// with a short timeout may miss on a loaded machine.
func eventually(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRedisAbandoned: an operation whose caller gives up before Redis
// answers (its request's deadline passes, or it is cancelled) counts as
// abandoned, not as an error; one that times out on its own counts as an
// error.
func TestRedisAbandoned(t *testing.T) {
	r, addr := blackholed(t, RedisOptions{Timeout: 500 * time.Millisecond, Cooldown: -1})
	deadline := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(t.Context(), 50*time.Millisecond)
	}
	cancelled := func() (context.Context, context.CancelFunc) {
		// go-redis sees a cancellation only at the operation's timeout.
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		return ctx, cancel
	}
	for _, op := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		do   func(ctx context.Context) error
	}{
		{"get past the request's deadline", deadline, func(ctx context.Context) error { _, err := r.Get(ctx, []string{"k1", "k2"}); return err }},
		{"set past the request's deadline", deadline, func(ctx context.Context) error {
			return r.Set(ctx, []Entry{{Key: "k1", Value: []byte("v"), TTL: time.Minute, Version: 3}, {Key: "k2", Link: "k1", TTL: time.Minute}})
		}},
		{"delete past the request's deadline", deadline, func(ctx context.Context) error { return r.Delete(ctx, []string{"k1"}) }},
		{"get cancelled", cancelled, func(ctx context.Context) error { _, err := r.Get(ctx, []string{"k1"}); return err }},
	} {
		ctx, cancel := op.ctx()
		before := r.Stats()
		err := op.do(ctx)
		cancel()
		if err == nil {
			t.Errorf("%s, in a black hole: no error", op.name)
		}
		after := r.Stats()
		if got := after.Abandoned - before.Abandoned; got != 1 {
			t.Errorf("%s, in a black hole: Abandoned +%d; want +1", op.name, got)
		}
		if got := after.Errors - before.Errors; got != 0 {
			t.Errorf("%s, in a black hole: Errors +%d; want 0", op.name, got)
		}
	}

	// Its own timeout is a verdict on Redis: an error.
	short, err := DialRedis("redis://"+addr, RedisOptions{Timeout: 50 * time.Millisecond, Cooldown: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	if _, err := short.Get(t.Context(), []string{"k1"}); err == nil {
		t.Error("Get timing out in a black hole: no error")
	}
	if s := short.Stats(); s.Errors != 1 || s.Abandoned != 0 {
		t.Errorf("Get timing out in a black hole: Stats = %+v; want 1 error, 0 abandoned", s)
	}
}
