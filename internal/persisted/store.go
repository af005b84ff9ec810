package persisted

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Store holds the documents of automatic persisted queries by the SHA-256
// of their text. A hash's document never changes, so a store may keep
// copies of it anywhere.
//
// Get and Add never fail: a store that cannot answer (Redis down or slow)
// reports a miss, and a store that cannot write drops the write. Callers
// have verified that doc hashes to hash before calling Add.
type Store interface {
	Get(ctx context.Context, hash string) (doc string, ok bool)
	Add(ctx context.Context, hash, doc string)
}

// Defaults of Limits.
const (
	DefaultMaxEntries = 5_000
	DefaultMaxBytes   = 32 << 10
	DefaultTTL        = 24 * time.Hour
)

// Limits bound a store.
type Limits struct {
	// MaxEntries is how many documents the store keeps; past it, the one
	// used least recently goes.
	//
	// default: 5,000
	MaxEntries int
	// MaxBytes is the largest document stored. A larger one is still
	// served when the client sends its text, but it is not stored: the
	// client sends it whole each time.
	//
	// default: 32 KiB
	MaxBytes int
	// TTL is how long a document is kept after its last use.
	//
	// default: 24 hours
	TTL time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.TTL <= 0 {
		l.TTL = DefaultTTL
	}
	return l
}

// Memory is a Store in process memory, for one instance: a least recently
// used list bounded by Limits, whose entries expire TTL after their last
// use. It is safe for concurrent use.
type Memory struct {
	lru      *lru
	maxBytes int
}

// NewMemory returns an empty Memory store bounded by l.
func NewMemory(l Limits) *Memory {
	l = l.withDefaults()
	return &Memory{lru: newLRU(l.MaxEntries, l.TTL, time.Now), maxBytes: l.MaxBytes}
}

// Get returns the document of hash and refreshes its TTL.
func (m *Memory) Get(_ context.Context, hash string) (string, bool) {
	e, ok := m.lru.get(hash)
	return e.doc, ok
}

// Add stores doc under hash, unless it is larger than Limits.MaxBytes.
func (m *Memory) Add(_ context.Context, hash, doc string) {
	if len(doc) > m.maxBytes {
		return
	}
	m.lru.add(hash, doc, time.Time{})
}

// Len returns how many documents the store holds, expired ones included
// until they are looked up or pushed out.
func (m *Memory) Len() int { return m.lru.len() }

// lru is a bounded least recently used map of documents whose entries
// expire ttl after their last use.
type lru struct {
	max int
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	order *list.List // of *lruEntry, most recently used first
	byKey map[string]*list.Element
}

type lruEntry struct {
	hash, doc string
	expires   time.Time
	// synced is when a Redis store last wrote the entry to Redis (or
	// refreshed it there).
	synced time.Time
}

func newLRU(max int, ttl time.Duration, now func() time.Time) *lru {
	return &lru{max: max, ttl: ttl, now: now, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns a copy of hash's entry, refreshing its expiry and making it
// the most recently used.
func (c *lru) get(hash string) (lruEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[hash]
	if !ok {
		return lruEntry{}, false
	}
	e := el.Value.(*lruEntry)
	now := c.now()
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.byKey, hash)
		return lruEntry{}, false
	}
	e.expires = now.Add(c.ttl)
	c.order.MoveToFront(el)
	return *e, true
}

// add stores doc under hash as the most recently used entry, and drops
// the least recently used ones past the bound.
func (c *lru) add(hash, doc string, synced time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	expires := c.now().Add(c.ttl)
	if el, ok := c.byKey[hash]; ok {
		e := el.Value.(*lruEntry)
		e.doc, e.expires, e.synced = doc, expires, synced
		c.order.MoveToFront(el)
		return
	}
	c.byKey[hash] = c.order.PushFront(&lruEntry{hash: hash, doc: doc, expires: expires, synced: synced})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.byKey, oldest.Value.(*lruEntry).hash)
	}
}

// setSynced records that hash's entry, if still there, was written to
// Redis at t.
func (c *lru) setSynced(hash string, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[hash]; ok {
		el.Value.(*lruEntry).synced = t
	}
}

func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
