package persisted

import (
	"context"
	"testing"
	"time"

	"customergraph/internal/fakeclock"
)

// TestLRU: the least recently used entry goes past the bound, and an entry
// expires TTL after its last use, not after it was added.
func TestLRU(t *testing.T) {
	clock := fakeclock.New()
	c := newLRU(2, time.Minute, clock.Now)
	c.add("a", "A", time.Time{})
	c.add("b", "B", time.Time{})
	if _, ok := c.get("a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.add("c", "C", time.Time{})
	if _, ok := c.get("b"); ok {
		t.Error("b, the least recently used, was kept past the bound")
	}
	for k, want := range map[string]string{"a": "A", "c": "C"} {
		if e, ok := c.get(k); !ok || e.doc != want {
			t.Errorf("get(%q) = %+v, %v; want %s", k, e, ok, want)
		}
	}
	if n := c.len(); n != 2 {
		t.Errorf("len %d; want 2", n)
	}

	clock.Advance(50 * time.Second)
	c.get("a") // a lives a minute from now; c does not
	clock.Advance(20 * time.Second)
	if _, ok := c.get("c"); ok {
		t.Error("c outlived its TTL")
	}
	if _, ok := c.get("a"); !ok {
		t.Error("a expired though used within its TTL")
	}
	if n := c.len(); n != 1 {
		t.Errorf("len %d after an expiry; want 1", n)
	}
	c.add("a", "A2", clock.Now())
	if e, _ := c.get("a"); e.doc != "A2" || !e.synced.Equal(clock.Now()) {
		t.Errorf("re-added entry is %+v", e)
	}
}

// TestMemoryMaxBytes: a document over the bound is not stored.
func TestMemoryMaxBytes(t *testing.T) {
	m := NewMemory(Limits{MaxEntries: 10, MaxBytes: 5})
	ctx := context.Background()
	m.Add(ctx, "small", "12345")
	m.Add(ctx, "large", "123456")
	if _, ok := m.Get(ctx, "small"); !ok {
		t.Error("a document of MaxBytes was not stored")
	}
	if _, ok := m.Get(ctx, "large"); ok || m.Len() != 1 {
		t.Errorf("a document over MaxBytes was stored (%d entries)", m.Len())
	}
}
