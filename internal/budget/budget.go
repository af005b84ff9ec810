// Package budget spends an upstream's request budget.
//
// A Limiter is a token bucket per upstream key: it holds Limit tokens and
// refills at Limit per Window, and every request to the upstream, retries
// included, takes one. Each client (see WithClient) also has a bucket of its
// own, a ClientShare of the whole, so that one client cannot spend all of
// it. The buckets live in Redis, in the tenant's namespace, and are shared
// by every instance; one Lua script takes from both in one round trip. When
// Redis fails or is slow (past its timeout), each instance goes on with local
// buckets that start from the last figures Redis gave it.
//
// A Limiter also keeps the pause an upstream asks for with a 429 and its
// Retry-After: until it is over, Take refuses every request of the instance,
// and of every instance that shares the budget through Redis.
package budget

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/cache"
)

// Errors Take refuses with, for errors.Is. The error is a *WaitError.
var (
	// ErrPaused: the upstream asked to wait (a 429 with Retry-After).
	ErrPaused = errors.New("the upstream asked to wait")
	// ErrSpent: the budget shared by every client is spent.
	ErrSpent = errors.New("upstream request budget spent")
	// ErrClientSpent: the client's share of the budget is spent.
	ErrClientSpent = errors.New("client's share of the upstream request budget spent")
)

// WaitError is a refusal of Take: Err is one of ErrPaused, ErrSpent and
// ErrClientSpent, and RetryAfter says when a request may be made again.
type WaitError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *WaitError) Error() string { return e.Err.Error() }
func (e *WaitError) Unwrap() error { return e.Err }

// Defaults of Config.
const (
	DefaultWindow = time.Hour
	// redisPause is how long a Limiter uses its local buckets alone after
	// a Redis failure, before it asks Redis again.
	redisPause = time.Second
)

// Config configures a Limiter. The zero Config has no budget: Take refuses
// only during a pause.
type Config struct {
	// Limit is the number of requests the upstream allows per Window: the
	// bucket's size and its refill per Window. 0: no budget.
	Limit int
	// Window is the period of Limit. Default 1h.
	Window time.Duration
	// ClientShare is the part of Limit (0 to 1) that one client may spend:
	// each client has a bucket of that part of the size, refilled at that
	// part of the rate. 0 or 1: no bucket per client.
	ClientShare float64
	// Redis shares the buckets and pauses between instances. nil: this
	// instance only. Its timeouts bound every Take.
	Redis redis.UniversalClient
	// Keys is the tenant's keyspace: the shared state lives under its
	// Limit keys.
	Keys cache.Keyspace
	// Now is the clock of the local buckets and pauses. Default time.Now.
	Now func() time.Time
	// Logger receives Redis failures, at most one line a second. Default
	// slog.Default().
	Logger *slog.Logger
}

// Limiter takes tokens from one upstream key's budget. It is safe for
// concurrent use.
type Limiter struct {
	limit      int
	clientCap  int // 0: no bucket per client
	window     time.Duration
	rdb        redis.UniversalClient
	sharedKey  string
	clientKeys func(string) string
	now        func() time.Time
	log        *slog.Logger

	pausedUntil atomic.Int64 // unix nanoseconds of now()
	redisAfter  atomic.Int64 // unix nanoseconds: ask Redis again only after
	remaining   atomic.Int64 // last known remaining of the shared bucket
	redisErrors atomic.Uint64

	mu      sync.Mutex
	shared  bucket
	clients map[string]*bucket
}

// New returns a Limiter for cfg.
func New(cfg Config) *Limiter {
	l := &Limiter{
		limit:  max(cfg.Limit, 0),
		window: cfg.Window,
		rdb:    cfg.Redis,
		now:    cfg.Now,
		log:    cfg.Logger,
	}
	if l.window <= 0 {
		l.window = DefaultWindow
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if cfg.ClientShare > 0 && cfg.ClientShare < 1 && l.limit > 0 {
		l.clientCap = max(1, int(cfg.ClientShare*float64(l.limit)))
	}
	if l.rdb != nil {
		keys := cfg.Keys
		l.sharedKey = keys.Limit("budget")
		l.clientKeys = func(client string) string { return keys.Limit("budget:" + client) }
	}
	l.shared = bucket{tokens: float64(l.limit), at: l.now()}
	l.clients = make(map[string]*bucket)
	l.remaining.Store(int64(l.limit))
	return l
}

// Stats are a Limiter's figures.
type Stats struct {
	Limit       int    // 0: no budget
	Remaining   int    // in the shared bucket, as last seen
	RedisErrors uint64 // Takes and Pauses that Redis failed
}

// Stats returns the Limiter's figures.
func (l *Limiter) Stats() Stats {
	return Stats{Limit: l.limit, Remaining: int(l.remaining.Load()), RedisErrors: l.redisErrors.Load()}
}

// Paused reports whether a pause is in force on this instance, and for how
// much longer. Take also finds the pauses of other instances.
func (l *Limiter) Paused() (time.Duration, bool) {
	now := l.now().UnixNano()
	if until := l.pausedUntil.Load(); now < until {
		return time.Duration(until - now), true
	}
	return 0, false
}

// Take takes a token for one request to the upstream, from the shared
// bucket and from the bucket of ctx's client (ClientFrom). It returns nil,
// or a *WaitError saying why not and for how long. It records the figures
// in ctx's Usage, if Track installed one.
func (l *Limiter) Take(ctx context.Context) error {
	now := l.now()
	if until := l.pausedUntil.Load(); now.UnixNano() < until {
		return &WaitError{Err: ErrPaused, RetryAfter: time.Duration(until - now.UnixNano())}
	}
	if l.limit == 0 {
		return nil
	}
	client := ClientFrom(ctx)
	if l.clientCap == 0 {
		client = ""
	}
	if l.rdb != nil && now.UnixNano() >= l.redisAfter.Load() {
		d, err := l.takeShared(ctx, client)
		if err == nil {
			return l.decided(ctx, d)
		}
		l.redisErrors.Add(1)
		// Unless the caller gave up, let Redis be for a while; one of the
		// Takes that failed together says so.
		if prev := l.redisAfter.Load(); ctx.Err() == nil && l.redisAfter.CompareAndSwap(prev, now.Add(redisPause).UnixNano()) {
			l.log.Warn("budget: redis failed; counting on this instance alone for a while", "err", err, "for", redisPause)
		}
	}
	return l.decided(ctx, l.takeLocal(now, client))
}

// decision is the answer to one Take.
type decision struct {
	ok        bool
	reason    error // when refused
	wait      time.Duration
	remaining int
	client    int // -1: no bucket for this client
}

// decided records d and returns its error.
func (l *Limiter) decided(ctx context.Context, d decision) error {
	l.remaining.Store(int64(d.remaining))
	if u, ok := ctx.Value(usageKey{}).(*usage); ok {
		r := Report{Limit: l.limit, Remaining: d.remaining}
		if d.client >= 0 {
			r.ClientRemaining = &d.client
		}
		u.record(r)
	}
	if d.ok {
		return nil
	}
	if errors.Is(d.reason, ErrPaused) {
		l.pauseLocal(l.now(), d.wait)
	}
	return &WaitError{Err: d.reason, RetryAfter: d.wait}
}

// Pause refuses every request for d, on this instance and, when the budget
// is shared through Redis, on every instance sharing it. A shorter pause
// than one in force changes nothing here.
func (l *Limiter) Pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	l.pauseLocal(l.now(), d)
	if l.rdb == nil || l.limit == 0 {
		return // Take asks Redis only with a budget
	}
	ctx = context.WithoutCancel(ctx) // the pause matters beyond the request that met it
	if err := pauseScript.Run(ctx, l.rdb, []string{l.sharedKey}, d.Milliseconds()).Err(); err != nil {
		l.redisErrors.Add(1)
		l.log.Warn("budget: redis failed; the pause holds on this instance only", "err", err)
	}
}

func (l *Limiter) pauseLocal(now time.Time, d time.Duration) {
	until := now.Add(d).UnixNano()
	for {
		cur := l.pausedUntil.Load()
		if cur >= until || l.pausedUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// The budget's keys have no TTL, so that a Redis whose memory policy
// evicts only keys with one (volatile-lru, volatile-ttl, ...) never evicts
// them to make room for cached customers: an evicted bucket would be full
// again, and the upstream's allowance spent twice. They are few: one
// bucket per upstream key and one per client of it.

// pauseScript pauses the shared bucket KEYS[1] for ARGV[1] ms from now
// (Redis's clock) unless a longer pause is in force. The pause is a field
// of the bucket's hash rather than a key with a TTL, for the same reason.
var pauseScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil'))
if cur == nil or cur < untilMs then
	redis.call('HSET', KEYS[1], 'pausedUntil', untilMs)
end
redis.call('PERSIST', KEYS[1])
return 0
`)

// takeScript takes a token from the shared bucket KEYS[1] and, if given, the
// client's bucket KEYS[2], unless the shared bucket is paused or either
// bucket is empty. A bucket is a hash of its tokens and the time they were
// counted (Redis's clock, in ms), and for the shared one the end of a
// pause; a missing bucket is full. ARGV: the shared size, the client's
// size, the window in ms; each bucket refills its size per window. It
// returns {taken (1/0), shared tokens left, client tokens left (-1 without
// a client), ms to wait, reason (0 taken, 1 paused, 2 shared bucket empty,
// 3 client's bucket empty)}.
var takeScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[3])
local function level(key, size)
	local v = redis.call('HMGET', key, 'tokens', 'at')
	local tokens, at = tonumber(v[1]), tonumber(v[2])
	if tokens == nil or at == nil then
		return size
	end
	if now > at then
		tokens = tokens + (now - at) * size / window
	end
	return math.min(size, tokens)
end
local function save(key, tokens)
	redis.call('HSET', key, 'tokens', tostring(tokens), 'at', now)
	redis.call('PERSIST', key) -- a bucket written with a TTL by an older version
end
local gsize, csize = tonumber(ARGV[1]), tonumber(ARGV[2])
local hasClient = #KEYS >= 2
local g, c = level(KEYS[1], gsize), -1
if hasClient then
	c = level(KEYS[2], csize)
end
local pause = (tonumber(redis.call('HGET', KEYS[1], 'pausedUntil')) or now) - now
if pause > 0 then
	return {0, math.floor(g), math.floor(c), pause, 1}
end
if g >= 1 and (not hasClient or c >= 1) then
	g = g - 1
	save(KEYS[1], g)
	if hasClient then
		c = c - 1
		save(KEYS[2], c)
	end
	return {1, math.floor(g), math.floor(c), 0, 0}
end
local wait, reason = 0, 3
if g < 1 then
	wait, reason = math.ceil((1 - g) * window / gsize), 2
end
if hasClient and c < 1 then
	wait = math.max(wait, math.ceil((1 - c) * window / csize))
end
return {0, math.floor(g), math.floor(c), wait, reason}
`)

// takeShared runs takeScript and syncs the local buckets with its answer.
func (l *Limiter) takeShared(ctx context.Context, client string) (decision, error) {
	keys := []string{l.sharedKey}
	if client != "" {
		keys = append(keys, l.clientKeys(client))
	}
	vals, err := takeScript.Run(ctx, l.rdb, keys, l.limit, l.clientCap, l.window.Milliseconds()).Int64Slice()
	if err == nil && len(vals) != 5 {
		err = errors.New("budget: script returned " + strconv.Itoa(len(vals)) + " values")
	}
	if err != nil {
		return decision{}, err
	}
	d := decision{ok: vals[0] == 1, remaining: int(max(vals[1], 0)), client: -1, wait: time.Duration(vals[3]) * time.Millisecond}
	if client != "" {
		d.client = int(max(vals[2], 0))
	}
	switch vals[4] {
	case 1:
		d.reason = ErrPaused
	case 2:
		d.reason = ErrSpent
	case 3:
		d.reason = ErrClientSpent
	}
	// Should Redis fail next, go on from these figures.
	now := l.now()
	l.mu.Lock()
	l.shared = bucket{tokens: float64(d.remaining), at: now}
	if client != "" {
		l.clients[client] = &bucket{tokens: float64(d.client), at: now}
	}
	l.mu.Unlock()
	return d, nil
}

// takeLocal takes from this instance's buckets.
func (l *Limiter) takeLocal(now time.Time, client string) decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	size := float64(l.limit)
	g := l.shared.level(now, size, l.window)
	d := decision{remaining: int(g), client: -1}
	var (
		cb       *bucket
		c, csize float64
	)
	if client != "" {
		csize = float64(l.clientCap)
		if cb = l.clients[client]; cb == nil {
			cb = &bucket{tokens: csize, at: now}
			l.clients[client] = cb
		}
		c = cb.level(now, csize, l.window)
		d.client = int(c)
	}
	if g >= 1 && (cb == nil || c >= 1) {
		l.shared = bucket{tokens: g - 1, at: now}
		d.ok, d.remaining = true, int(g-1)
		if cb != nil {
			*cb = bucket{tokens: c - 1, at: now}
			d.client = int(c - 1)
		}
		return d
	}
	d.reason = ErrClientSpent
	if g < 1 {
		d.reason, d.wait = ErrSpent, refillTime(1-g, size, l.window)
	}
	if cb != nil && c < 1 {
		d.wait = max(d.wait, refillTime(1-c, csize, l.window))
	}
	return d
}

// bucket is a local token bucket: tokens counted at a time.
type bucket struct {
	tokens float64
	at     time.Time
}

// level returns the tokens b holds at now, refilled at size per window.
func (b bucket) level(now time.Time, size float64, window time.Duration) float64 {
	t := b.tokens
	if el := now.Sub(b.at); el > 0 {
		t += size * float64(el) / float64(window)
	}
	return math.Min(t, size)
}

// refillTime is how long a bucket of size per window takes to gain n tokens,
// rounded up to the millisecond.
func refillTime(n, size float64, window time.Duration) time.Duration {
	d := time.Duration(math.Ceil(n * float64(window) / size))
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}
