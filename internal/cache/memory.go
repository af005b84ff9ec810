package cache

import (
	"context"
	"hash/maphash"
	"math"
	"sync"
	"time"
	"unsafe"
)

// Defaults of MemoryOptions.
const (
	DefaultMaxEntries      = 100_000
	DefaultJanitorInterval = time.Minute
)

const (
	// memoryShards is the number of independently locked parts of a Memory.
	memoryShards = 16
	// evictionSample is how many entries a full shard looks at to choose
	// which one to evict.
	evictionSample = 8
)

// MemoryOptions configures a Memory cache. The zero value is usable.
type MemoryOptions struct {
	// MaxEntries bounds the number of entries, documents and links alike.
	// It is enforced per shard: each of the 16 shards holds at most
	// MaxEntries/16 entries, rounded up. Storing a new key in a full shard
	// evicts an entry: an expired one if it finds one among a few sampled
	// entries, else the sampled entry closest to expiry.
	//
	// default: 100_000
	MaxEntries int

	// JanitorInterval is how often a background goroutine removes expired
	// entries (expired entries are never returned, but they hold memory
	// until then). A negative value disables the janitor.
	//
	// default: 1 minute
	JanitorInterval time.Duration
}

// Memory is an in-process cache with the semantics of Redis: the same
// encoding, links followed once, expiry, and Stats (Errors stays zero). It is
// safe for concurrent use. Close stops its janitor goroutine.
type Memory struct {
	seed     maphash.Seed
	shards   [memoryShards]memShard
	shardMax int
	epoch    time.Time // clock origin: now() is monotonic
	n        counters

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type memShard struct {
	mu sync.RWMutex
	m  map[string]memEntry
	_  [64 - (unsafe.Sizeof(sync.RWMutex{})+unsafe.Sizeof(map[string]memEntry(nil)))%64]byte // keeps shards' locks on separate cache lines
}

type memEntry struct {
	raw []byte // tag byte + document or link target; never modified once stored
	exp int64  // expiry, in Memory.now() time
}

// NewMemory returns an empty Memory cache and starts its janitor.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.JanitorInterval == 0 {
		opts.JanitorInterval = DefaultJanitorInterval
	}
	m := &Memory{
		seed:     maphash.MakeSeed(),
		shardMax: (opts.MaxEntries + memoryShards - 1) / memoryShards,
		epoch:    time.Now(),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for i := range m.shards {
		m.shards[i].m = make(map[string]memEntry)
	}
	if opts.JanitorInterval > 0 {
		go m.janitor(opts.JanitorInterval)
	} else {
		close(m.done)
	}
	return m
}

// now returns the time elapsed since m was created, read from the monotonic
// clock.
func (m *Memory) now() int64 {
	return int64(time.Since(m.epoch))
}

func (m *Memory) shard(key string) *memShard {
	return &m.shards[maphash.String(m.seed, key)%memoryShards]
}

// shardBytes is shard for a key held in a []byte; maphash.Bytes and
// maphash.String agree on equal contents.
func (m *Memory) shardBytes(key []byte) *memShard {
	return &m.shards[maphash.Bytes(m.seed, key)%memoryShards]
}

func (m *Memory) lookup(key string, now int64) ([]byte, bool) {
	s := m.shard(key)
	s.mu.RLock()
	e, ok := s.m[key]
	s.mu.RUnlock()
	if !ok || e.exp <= now {
		return nil, false
	}
	return e.raw, true
}

func (m *Memory) lookupBytes(key []byte, now int64) ([]byte, bool) {
	s := m.shardBytes(key)
	s.mu.RLock()
	e, ok := s.m[string(key)]
	s.mu.RUnlock()
	if !ok || e.exp <= now {
		return nil, false
	}
	return e.raw, true
}

// Get returns the document of each key, in key order, nil for a miss, with
// the semantics of Redis.Get. The caller owns the returned slices, which may
// share one backing array. The error is always nil.
func (m *Memory) Get(_ context.Context, keys []string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	// Look every key up once, then copy the documents into one allocation.
	type found struct {
		doc []byte
		res result
	}
	founds := make([]found, len(keys))
	now := m.now()
	size := 0
	for i, key := range keys {
		raw, ok := m.lookup(key, now)
		if ok && len(raw) > 0 && raw[0] == tagLink {
			raw, ok = m.lookupBytes(raw[1:], now)
		}
		f := &founds[i]
		f.doc, f.res = decode(raw, ok)
		if f.res == hit {
			size += len(f.doc)
		}
	}
	var t tally
	buf := make([]byte, 0, size)
	for i, f := range founds {
		if f.res == hit {
			buf, out[i] = appendDoc(buf, f.doc)
		}
		t.add(f.res)
	}
	m.n.record(t)
	return out, nil
}

// Set stores copies of entries. It returns an error, before storing
// anything, if an entry has an empty key or a TTL that is not positive.
func (m *Memory) Set(_ context.Context, entries []Entry) error {
	if err := validate(entries); err != nil {
		return err
	}
	now := m.now()
	for i := range entries {
		e := &entries[i]
		version := e.Version // what put compares with
		if e.Replace {
			version = 0
		}
		m.put(e.Key, encode(e), now, int64(roundTTL(e.TTL)), version)
	}
	return nil
}

// put stores raw under key for ttl nanoseconds, evicting an entry if key is
// new and its shard is full. With version > 0 it leaves a live document of a
// higher version in place.
func (m *Memory) put(key string, raw []byte, now, ttl, version int64) {
	exp := now + ttl
	if ttl > math.MaxInt64-now {
		exp = math.MaxInt64
	}
	s := m.shard(key)
	s.mu.Lock()
	if old, ok := s.m[key]; ok && version > 0 && old.exp > now && storedVersion(old.raw) > version {
		s.mu.Unlock()
		return
	}
	if _, ok := s.m[key]; !ok && len(s.m) >= m.shardMax {
		if m.evict(s, now) {
			m.n.evictions.Add(1)
		}
	}
	s.m[key] = memEntry{raw: raw, exp: exp}
	s.mu.Unlock()
}

// evict frees at least one entry of the locked shard s. Among a few entries
// (Go's map iteration starts at a random place), it removes the expired ones
// if any, else the one closest to expiry, and reports whether it removed a
// live entry.
func (m *Memory) evict(s *memShard, now int64) (live bool) {
	var (
		victim    string
		victimExp int64 = math.MaxInt64
		expired   bool
		seen      int
	)
	for k, e := range s.m {
		if e.exp <= now {
			delete(s.m, k)
			expired = true
		} else if e.exp < victimExp || victim == "" {
			victim, victimExp = k, e.exp
		}
		if seen++; seen == evictionSample {
			break
		}
	}
	if expired {
		return false
	}
	delete(s.m, victim)
	return true
}

// Delete removes keys, documents or links alike. As with Redis, the links to
// a deleted document become dangling, which is a miss. The error is always
// nil.
func (m *Memory) Delete(_ context.Context, keys []string) error {
	for _, key := range keys {
		s := m.shard(key)
		s.mu.Lock()
		delete(s.m, key)
		s.mu.Unlock()
	}
	return nil
}

// Len returns the number of entries held, including expired entries that the
// janitor has not removed yet.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// Ping always returns nil: a Memory is always ready.
func (m *Memory) Ping(context.Context) error {
	return nil
}

// Stats returns the cache's counters.
func (m *Memory) Stats() Stats {
	return m.n.stats()
}

// Close stops the janitor and waits for it to return. The cache remains
// usable, without the janitor. Close always returns nil.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() { close(m.stop) })
	<-m.done
	return nil
}

func (m *Memory) janitor(interval time.Duration) {
	defer close(m.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sweep()
		}
	}
}

// sweep removes the expired entries, one shard at a time.
func (m *Memory) sweep() {
	for i := range m.shards {
		s := &m.shards[i]
		now := m.now()
		s.mu.Lock()
		for k, e := range s.m {
			if e.exp <= now {
				delete(s.m, k)
			}
		}
		s.mu.Unlock()
	}
}

// clear removes every entry.
func (m *Memory) clear() {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
}
