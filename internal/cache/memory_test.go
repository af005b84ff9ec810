package cache

import (
	"strconv"
	"testing"
	"time"
)

func TestMemoryEviction(t *testing.T) {
	const maxEntries = 64
	m := NewMemory(MemoryOptions{MaxEntries: maxEntries})
	defer m.Close()
	ks := NewKeyspace("eviction")

	const n = 1000
	for i := range n {
		key := ks.Customer(strconv.Itoa(i))
		if err := m.Set(t.Context(), []Entry{{Key: key, Value: []byte("v"), TTL: time.Minute}}); err != nil {
			t.Fatal(err)
		}
		// The entry just stored is never the one evicted.
		if got, _ := m.Get(t.Context(), []string{key}); got[0] == nil {
			t.Fatalf("entry %d evicted right after it was stored", i)
		}
	}
	if got := m.Len(); got > maxEntries {
		t.Errorf("Len = %d, want at most MaxEntries %d", got, maxEntries)
	}
	if got, want := m.Stats().Evictions, uint64(n-m.Len()); got != want {
		t.Errorf("Evictions = %d, want %d", got, want)
	}

	// Overwriting a key of a full shard evicts nothing.
	before := m.Stats().Evictions
	key := ks.Customer(strconv.Itoa(n - 1))
	if err := m.Set(t.Context(), []Entry{{Key: key, Value: []byte("w"), TTL: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	if got := m.Stats().Evictions; got != before {
		t.Errorf("overwrite evicted %d entries", got-before)
	}
}

func TestMemoryEvictsExpiredFirst(t *testing.T) {
	// One entry per shard: every new key in a full shard evicts.
	m := NewMemory(MemoryOptions{MaxEntries: memoryShards, JanitorInterval: -1})
	defer m.Close()
	ks := NewKeyspace("expired")
	var entries []Entry
	for i := range 200 {
		entries = append(entries, Entry{Key: ks.Customer(strconv.Itoa(i)), Value: []byte("v"), TTL: time.Millisecond})
	}
	if err := m.Set(t.Context(), entries); err != nil {
		t.Fatal(err)
	}
	evicted := m.Stats().Evictions
	time.Sleep(5 * time.Millisecond)
	for i := range entries {
		entries[i].Key = ks.Alias("new", strconv.Itoa(i))
		entries[i].TTL = time.Minute
	}
	if err := m.Set(t.Context(), entries); err != nil {
		t.Fatal(err)
	}
	// The first new key of each shard replaces an expired entry, which is
	// not counted; later ones evict live entries.
	if got, max := m.Stats().Evictions-evicted, uint64(len(entries)-1); got >= max || got < uint64(len(entries)-memoryShards) {
		t.Errorf("%d evictions of live entries, want %d to %d", got, len(entries)-memoryShards, max-1)
	}
}

func TestMemoryJanitor(t *testing.T) {
	m := NewMemory(MemoryOptions{JanitorInterval: 10 * time.Millisecond})
	ks := NewKeyspace("janitor")
	var entries []Entry
	for i := range 100 {
		ttl := 20 * time.Millisecond
		if i == 0 {
			ttl = time.Minute
		}
		entries = append(entries, Entry{Key: ks.Customer(strconv.Itoa(i)), Value: []byte("v"), TTL: ttl})
	}
	if err := m.Set(t.Context(), entries); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for m.Len() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("Len = %d 5s after the entries expired, want 1", m.Len())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// Still usable after Close.
	got, err := m.Get(t.Context(), []string{entries[0].Key})
	if err != nil || got[0] == nil {
		t.Errorf("Get after Close = %q, %v", got, err)
	}
}

func TestMemoryNoJanitor(t *testing.T) {
	m := NewMemory(MemoryOptions{JanitorInterval: -1})
	done := make(chan struct{})
	go func() { m.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocks without a janitor")
	}
}

func TestRoundTTL(t *testing.T) {
	const maxDuration = time.Duration(1<<63 - 1)
	for _, tt := range []struct{ in, want time.Duration }{
		{time.Nanosecond, time.Millisecond},
		{time.Millisecond, time.Millisecond},
		{time.Millisecond + 1, 2 * time.Millisecond},
		{time.Minute, time.Minute},
		{maxDuration, maxDuration - maxDuration%time.Millisecond},
	} {
		if got := roundTTL(tt.in); got != tt.want {
			t.Errorf("roundTTL(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
