package persisted

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/cache"
)

// Runner runs Redis commands as one bounded operation: *cache.Redis, whose
// timeout, breaker, counters and log the store thereby shares with the
// cache. A Runner returns an error, promptly, when Redis fails, is slow or
// is being skipped; redis.Nil is an answer.
type Runner interface {
	Do(ctx context.Context, op string, keys int, fn func(ctx context.Context, c redis.UniversalClient) error) error
}

// localEntries bounds the in-process copy a Redis store keeps in front of
// Redis.
const localEntries = 1024

// Redis is a Store shared by every instance using the same Redis and
// keyspace. Each document is a string key with a TTL; an index, a sorted set
// of the hashes by last use, bounds their number: registering past
// Limits.MaxEntries deletes the least recently used documents. Both live
// under the keyspace's hash tag, so they share one Redis Cluster slot and
// each Lua script below touches one node.
//
// In front of Redis, an in-process LRU (up to 1,024 entries, the same TTL)
// answers repeated lookups without a round trip; a document served from it
// is refreshed in Redis every TTL/10 at most, so it stays alive there for
// the other instances.
//
// A document read from Redis is served only if its SHA-256 is its hash: a
// value written there by anyone else is a miss.
type Redis struct {
	redis      Runner
	keys       cache.Keyspace
	docPrefix  string // keys.PersistedQuery("")
	index      string
	local      *lru
	ttl        time.Duration
	resync     time.Duration
	maxEntries int
	maxBytes   int
	now        func() time.Time
}

// NewRedis returns a store over r with the keys of ks (see
// cache.Keyspace.PersistedQuery), bounded by l.
func NewRedis(r Runner, ks cache.Keyspace, l Limits) *Redis {
	l = l.withDefaults()
	return &Redis{
		redis:      r,
		keys:       ks,
		docPrefix:  ks.PersistedQuery(""),
		index:      ks.PersistedQueryIndex(),
		local:      newLRU(min(l.MaxEntries, localEntries), l.TTL, time.Now),
		ttl:        l.TTL,
		resync:     l.TTL / 10,
		maxEntries: l.MaxEntries,
		maxBytes:   l.MaxBytes,
		now:        time.Now,
	}
}

// The scripts take KEYS[1], the document, and KEYS[2], the index; scores
// are Redis's own clock in microseconds, so instances whose clocks differ
// agree on the order. trimScript ends both: it drops from the index the
// hashes whose documents have expired (last used more than a TTL ago) and,
// past ARGV[2] entries, the least recently used ones with their documents.
// Keys of dropped documents are the prefix ARGV[3] and the hash, in the
// same hash-tagged slot as KEYS.
const (
	nowScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = tonumber(ARGV[1])
`
	trimScript = `
redis.call('ZADD', KEYS[2], string.format('%.0f', now), ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.format('%.0f', now - ttl * 1000))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[2])
if over > 0 then
	local old = redis.call('ZRANGE', KEYS[2], 0, over - 1)
	redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
	for _, h in ipairs(old) do
		redis.call('DEL', ARGV[3] .. h)
	end
end
redis.call('PEXPIRE', KEYS[2], ttl)
`
)

// lookupScript returns the document (false if none) and, if there is one,
// refreshes its TTL and its place in the index. ARGV: ttl ms, max entries,
// document key prefix, hash.
var lookupScript = redis.NewScript(nowScript + `
local doc = redis.call('GET', KEYS[1])
if not doc then
	return false
end
redis.call('PEXPIRE', KEYS[1], ttl)
` + trimScript + `
return doc
`)

// registerScript stores the document ARGV[5] with its TTL and puts it first
// in the index. ARGV as lookupScript's, then the document.
var registerScript = redis.NewScript(nowScript + `
redis.call('SET', KEYS[1], ARGV[5], 'PX', ttl)
` + trimScript + `
return 0
`)

// Get returns the document of hash from the local copy or from Redis, and
// refreshes its TTL. A Redis error, timeout or skip is a miss.
func (s *Redis) Get(ctx context.Context, hash string) (string, bool) {
	if e, ok := s.local.get(hash); ok {
		if now := s.now(); now.Sub(e.synced) >= s.resync {
			s.local.setSynced(hash, now)
			s.register(ctx, hash, e.doc)
		}
		return e.doc, true
	}
	var doc string
	err := s.redis.Do(ctx, "persisted query get", 2, func(ctx context.Context, c redis.UniversalClient) error {
		var err error
		doc, err = lookupScript.Run(ctx, c, []string{s.docPrefix + hash, s.index}, s.args(hash)...).Text()
		return err
	})
	if err != nil || len(doc) > s.maxBytes || Hash(doc) != hash {
		// Down, slow, absent, or not what was registered: the client
		// sends the text, which overwrites a wrong value.
		return "", false
	}
	s.local.add(hash, doc, s.now())
	return doc, true
}

// Add stores doc under hash, in Redis and locally, unless it is larger than
// Limits.MaxBytes or was written to Redis less than TTL/10 ago.
func (s *Redis) Add(ctx context.Context, hash, doc string) {
	if len(doc) > s.maxBytes {
		return
	}
	now := s.now()
	if e, ok := s.local.get(hash); ok && now.Sub(e.synced) < s.resync {
		return
	}
	s.local.add(hash, doc, now)
	s.register(ctx, hash, doc)
}

// register writes doc to Redis. A failure is the cache's to count and log;
// the document stays in the local copy.
func (s *Redis) register(ctx context.Context, hash, doc string) {
	_ = s.redis.Do(ctx, "persisted query register", 2, func(ctx context.Context, c redis.UniversalClient) error {
		err := registerScript.Run(ctx, c, []string{s.docPrefix + hash, s.index}, append(s.args(hash), doc)...).Err()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		return err
	})
}

func (s *Redis) args(hash string) []any {
	return []any{strconv.FormatInt(max(s.ttl.Milliseconds(), 1), 10), strconv.Itoa(s.maxEntries), s.docPrefix, hash}
}
