package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// store is the API shared by Redis and Memory, which the suite tests.
type store interface {
	Get(ctx context.Context, keys []string) ([][]byte, error)
	Set(ctx context.Context, entries []Entry) error
	Delete(ctx context.Context, keys []string) error
	Ping(ctx context.Context) error
	Stats() Stats
	Close() error
}

var (
	_ store = (*Redis)(nil)
	_ store = (*Memory)(nil)
)

// harness is one implementation under test, in a fresh namespace.
type harness struct {
	c  store
	ks Keyspace
	// writeRaw stores raw under key without the encoding of Set.
	writeRaw func(t *testing.T, key string, raw []byte)
}

// implementations returns a constructor of a harness for each
// implementation. The Redis one skips (or fails, in CI) without a Redis.
func implementations() map[string]func(t *testing.T) harness {
	return map[string]func(t *testing.T) harness{
		"Memory": func(t *testing.T) harness {
			m := NewMemory(MemoryOptions{})
			t.Cleanup(func() { _ = m.Close() })
			return harness{
				c:  m,
				ks: testKeyspace(t),
				writeRaw: func(_ *testing.T, key string, raw []byte) {
					m.setRaw(key, raw, time.Minute)
				},
			}
		},
		"Redis": func(t *testing.T) harness {
			r, raw := testRedis(t)
			return redisHarness(t, r, raw)
		},
		"RedisCluster": func(t *testing.T) harness {
			r, raw := testCluster(t)
			return redisHarness(t, r, raw)
		},
	}
}

// redisHarness is the harness of r, whose raw client writes raw values.
func redisHarness(t *testing.T, r *Redis, raw redis.UniversalClient) harness {
	return harness{
		c:  r,
		ks: testKeyspace(t),
		writeRaw: func(t *testing.T, key string, v []byte) {
			if err := raw.Set(context.Background(), key, v, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// forEach runs test as a subtest for each implementation.
func forEach(t *testing.T, test func(t *testing.T, h harness)) {
	for name, newHarness := range implementations() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, newHarness(t))
		})
	}
}

// key resolves a short key name of the tables: "email:x" and "phone:x" are
// aliases, anything else a customer ID.
func (h harness) key(name string) string {
	if kind, value, ok := strings.Cut(name, ":"); ok {
		return h.ks.Alias(kind, value)
	}
	return h.ks.Customer(name)
}

func (h harness) keys(names ...string) []string {
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = h.key(n)
	}
	return keys
}

func (h harness) doc(name, value string) Entry {
	return Entry{Key: h.key(name), Value: []byte(value), TTL: time.Minute}
}

func (h harness) link(name, target string) Entry {
	return Entry{Key: h.key(name), Link: h.key(target), TTL: time.Minute}
}

func (h harness) mustSet(t *testing.T, entries ...Entry) {
	t.Helper()
	if err := h.c.Set(t.Context(), entries); err != nil {
		t.Fatalf("Set: %v", err)
	}
}

func (h harness) mustGet(t *testing.T, keys ...string) [][]byte {
	t.Helper()
	got, err := h.c.Get(t.Context(), keys)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if len(got) != len(keys) {
		t.Fatalf("Get returned %d values for %d keys", len(got), len(keys))
	}
	return got
}

// wantMiss is the expected value of a miss in the tables.
const wantMiss = "\x00miss"

// checkValues compares Get's result with want, where wantMiss stands for nil.
func checkValues(t *testing.T, got [][]byte, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		switch {
		case want[i] == wantMiss && got[i] != nil:
			t.Errorf("value %d = %q, want a miss (nil)", i, got[i])
		case want[i] != wantMiss && got[i] == nil:
			t.Errorf("value %d is a miss (nil), want %q", i, want[i])
		case want[i] != wantMiss && string(got[i]) != want[i]:
			t.Errorf("value %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func statsDelta(after, before Stats) Stats {
	return Stats{
		Hits:      after.Hits - before.Hits,
		Misses:    after.Misses - before.Misses,
		Errors:    after.Errors - before.Errors,
		Corrupt:   after.Corrupt - before.Corrupt,
		Evictions: after.Evictions - before.Evictions,
	}
}

func TestGet(t *testing.T) {
	const (
		d1 = `{"id":"1","name":"Ada"}`
		d2 = `{"id":"2","name":"Grace"}`
	)
	type raw struct{ key, value string }
	tests := []struct {
		name    string
		set     func(h harness) []Entry
		raw     []raw // written without encoding, after set
		get     []string
		want    []string // wantMiss for a miss
		hits    uint64
		misses  uint64 // corrupt values included
		corrupt uint64
	}{{
		name: "document",
		set:  func(h harness) []Entry { return []Entry{h.doc("1", d1)} },
		get:  []string{"1"},
		want: []string{d1},
		hits: 1,
	}, {
		name:   "absent",
		get:    []string{"404"},
		want:   []string{wantMiss},
		misses: 1,
	}, {
		name: "link is followed",
		set: func(h harness) []Entry {
			return []Entry{h.doc("1", d1), h.link("email:ada@example.com", "1")}
		},
		get:  []string{"email:ada@example.com"},
		want: []string{d1},
		hits: 1,
	}, {
		name: "link to link is a miss",
		set: func(h harness) []Entry {
			return []Entry{h.doc("1", d1), h.link("email:ada@example.com", "1"), h.link("phone:+441", "email:ada@example.com")}
		},
		get:    []string{"phone:+441", "email:ada@example.com"},
		want:   []string{wantMiss, d1},
		hits:   1,
		misses: 1,
	}, {
		name:   "dangling link is a miss",
		set:    func(h harness) []Entry { return []Entry{h.link("email:gone@example.com", "404")} },
		get:    []string{"email:gone@example.com"},
		want:   []string{wantMiss},
		misses: 1,
	}, {
		name:   "link to itself is a miss",
		set:    func(h harness) []Entry { return []Entry{h.link("email:loop@example.com", "email:loop@example.com")} },
		get:    []string{"email:loop@example.com"},
		want:   []string{wantMiss},
		misses: 1,
	}, {
		name: "order kept with duplicates and misses",
		set: func(h harness) []Entry {
			return []Entry{h.doc("1", d1), h.doc("2", d2), h.link("email:grace@example.com", "2")}
		},
		get:    []string{"2", "404", "1", "email:grace@example.com", "1", "email:nobody@example.com", "2", "404"},
		want:   []string{d2, wantMiss, d1, d2, d1, wantMiss, d2, wantMiss},
		hits:   5,
		misses: 3,
	}, {
		name: "empty document is a hit",
		set:  func(h harness) []Entry { return []Entry{h.doc("1", "")} },
		get:  []string{"1"},
		want: []string{""},
		hits: 1,
	}, {
		name: "document starting with the link tag",
		set:  func(h harness) []Entry { return []Entry{h.doc("1", "link\x00\xff")} },
		get:  []string{"1"},
		want: []string{"link\x00\xff"},
		hits: 1,
	}, {
		name: "value of a link is ignored",
		set: func(h harness) []Entry {
			e := h.link("email:ada@example.com", "1")
			e.Value = []byte("ignored")
			return []Entry{h.doc("1", d1), e}
		},
		get:  []string{"email:ada@example.com"},
		want: []string{d1},
		hits: 1,
	}, {
		name: "later entry of one Set wins",
		set: func(h harness) []Entry {
			return []Entry{h.doc("1", d1), h.doc("1", d2), h.doc("2", d2), h.link("2", "1")}
		},
		get:  []string{"1", "2"},
		want: []string{d2, d2},
		hits: 2,
	}, {
		name:    "garbage is a corrupt miss",
		raw:     []raw{{"1", "garbage"}},
		get:     []string{"1"},
		want:    []string{wantMiss},
		misses:  1,
		corrupt: 1,
	}, {
		name:    "empty value is a corrupt miss",
		raw:     []raw{{"1", ""}},
		get:     []string{"1"},
		want:    []string{wantMiss},
		misses:  1,
		corrupt: 1,
	}, {
		name:    "link to garbage is a corrupt miss",
		set:     func(h harness) []Entry { return []Entry{h.link("email:ada@example.com", "1"), h.doc("2", d2)} },
		raw:     []raw{{"1", `{"id":"1"}`}},
		get:     []string{"email:ada@example.com", "2"},
		want:    []string{wantMiss, d2},
		hits:    1,
		misses:  1,
		corrupt: 1,
	}}
	for name, newHarness := range implementations() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					h := newHarness(t)
					if tt.set != nil {
						h.mustSet(t, tt.set(h)...)
					}
					for _, r := range tt.raw {
						h.writeRaw(t, h.key(r.key), []byte(r.value))
					}
					before := h.c.Stats()
					checkValues(t, h.mustGet(t, h.keys(tt.get...)...), tt.want)
					want := Stats{Hits: tt.hits, Misses: tt.misses, Corrupt: tt.corrupt}
					if got := statsDelta(h.c.Stats(), before); got != want {
						t.Errorf("stats delta = %+v, want %+v", got, want)
					}
				})
			}
		})
	}
}

func TestGetEmpty(t *testing.T) {
	forEach(t, func(t *testing.T, h harness) {
		for _, keys := range [][]string{nil, {}} {
			got, err := h.c.Get(t.Context(), keys)
			if err != nil || len(got) != 0 {
				t.Errorf("Get(%#v) = %q, %v; want no values, nil", keys, got, err)
			}
		}
	})
}

func TestDelete(t *testing.T) {
	forEach(t, func(t *testing.T, h harness) {
		h.mustSet(t, h.doc("1", "one"), h.doc("2", "two"), h.link("email:one@example.com", "1"), h.link("email:two@example.com", "2"))

		if err := h.c.Delete(t.Context(), h.keys("1", "email:two@example.com", "404")); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		got := h.mustGet(t, h.keys("1", "email:one@example.com", "2", "email:two@example.com")...)
		checkValues(t, got, []string{wantMiss, wantMiss, "two", wantMiss})

		for _, keys := range [][]string{nil, {}} {
			if err := h.c.Delete(t.Context(), keys); err != nil {
				t.Errorf("Delete(%#v) = %v, want nil", keys, err)
			}
		}
	})
}

func TestSetInvalid(t *testing.T) {
	forEach(t, func(t *testing.T, h harness) {
		valid := h.doc("1", "one")
		for name, bad := range map[string]Entry{
			"empty key":     {Value: []byte("x"), TTL: time.Minute},
			"zero TTL":      {Key: h.key("2"), Value: []byte("x")},
			"negative TTL":  {Key: h.key("2"), Value: []byte("x"), TTL: -time.Second},
			"link zero TTL": {Key: h.key("email:x"), Link: h.key("1")},
		} {
			err := h.c.Set(t.Context(), []Entry{valid, bad})
			if !errors.Is(err, errInvalidEntry) {
				t.Errorf("%s: Set = %v, want an invalid entry error", name, err)
			}
		}
		// Nothing was written, not even the valid entry.
		checkValues(t, h.mustGet(t, h.key("1")), []string{wantMiss})
		if got := h.c.Stats().Errors; got != 0 {
			t.Errorf("Errors = %d, want 0: invalid entries are the caller's error", got)
		}
		if err := h.c.Set(t.Context(), nil); err != nil {
			t.Errorf("Set(nil) = %v", err)
		}
	})
}

func TestTTL(t *testing.T) {
	const ttl = 150 * time.Millisecond
	forEach(t, func(t *testing.T, h harness) {
		start := time.Now()
		h.mustSet(t,
			Entry{Key: h.key("1"), Value: []byte("short"), TTL: ttl},
			Entry{Key: h.key("email:long@example.com"), Link: h.key("1"), TTL: time.Minute},
			Entry{Key: h.key("2"), Value: []byte("long"), TTL: time.Minute},
			Entry{Key: h.key("email:short@example.com"), Link: h.key("2"), TTL: ttl},
			Entry{Key: h.key("3"), Value: []byte("sub-millisecond"), TTL: time.Nanosecond},
		)
		keys := h.keys("1", "email:long@example.com", "2", "email:short@example.com")
		got := h.mustGet(t, keys...)
		if time.Since(start) < ttl-20*time.Millisecond {
			checkValues(t, got, []string{"short", "short", "long", "long"})
		}

		// Poll until the short-lived entries expire; the others stay.
		deadline := time.Now().Add(5 * time.Second)
		for {
			got = h.mustGet(t, keys...)
			if got[0] == nil && got[3] == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("entries with TTL %v still there after 5s: %q", ttl, got)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if elapsed := time.Since(start); elapsed < ttl {
			t.Errorf("entries expired after %v, before their TTL %v", elapsed, ttl)
		}
		checkValues(t, got, []string{wantMiss, wantMiss, "long", wantMiss})
	})
}

func TestHugeTTL(t *testing.T) {
	forEach(t, func(t *testing.T, h harness) {
		h.mustSet(t, Entry{Key: h.key("1"), Value: []byte("forever"), TTL: time.Duration(1<<63 - 1)})
		checkValues(t, h.mustGet(t, h.key("1")), []string{"forever"})
	})
}

func TestBigBatch(t *testing.T) {
	const n = 1000
	forEach(t, func(t *testing.T, h harness) {
		var entries []Entry
		var keys []string
		var want []string
		for i := range n {
			id := strconv.Itoa(i)
			doc := fmt.Sprintf(`{"id":%q,"pad":%q}`, id, strings.Repeat("x", i%200))
			entries = append(entries, h.doc(id, doc), h.link("email:"+id+"@example.com", id))
			if i%3 == 0 {
				keys = append(keys, h.key("email:"+id+"@example.com"))
			} else {
				keys = append(keys, h.key(id))
			}
			want = append(want, doc)
			if i%10 == 0 {
				keys = append(keys, h.key("missing-"+id))
				want = append(want, wantMiss)
			}
		}
		h.mustSet(t, entries...)
		checkValues(t, h.mustGet(t, keys...), want)
		if err := h.c.Delete(t.Context(), keys); err != nil {
			t.Fatal(err)
		}
	})
}

func TestValuesAreCopies(t *testing.T) {
	forEach(t, func(t *testing.T, h harness) {
		value := []byte("original")
		h.mustSet(t, Entry{Key: h.key("1"), Value: value, TTL: time.Minute})
		copy(value, "XXXXXXXX")
		got := h.mustGet(t, h.key("1"))
		checkValues(t, got, []string{"original"})
		copy(got[0], "YYYYYYYY")
		checkValues(t, h.mustGet(t, h.key("1")), []string{"original"})
	})
}

func TestConcurrentUse(t *testing.T) {
	const workers, rounds = 8, 50
	forEach(t, func(t *testing.T, h harness) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for r := range rounds {
					id := strconv.Itoa(r % 10)
					doc := []byte("doc-" + id)
					if err := h.c.Set(t.Context(), []Entry{h.doc(id, string(doc)), h.link("email:"+id, id)}); err != nil {
						t.Errorf("worker %d: Set: %v", w, err)
						return
					}
					got, err := h.c.Get(t.Context(), h.keys(id, "email:"+id))
					if err != nil {
						t.Errorf("worker %d: Get: %v", w, err)
						return
					}
					for _, v := range got {
						// Another worker may have deleted it, never changed it.
						if v != nil && !bytes.Equal(v, doc) {
							t.Errorf("worker %d: got %q, want %q", w, v, doc)
						}
					}
					if r%7 == 0 {
						if err := h.c.Delete(t.Context(), h.keys(id)); err != nil {
							t.Errorf("worker %d: Delete: %v", w, err)
						}
					}
				}
			})
		}
		wg.Wait()
		s := h.c.Stats()
		if s.Hits+s.Misses != workers*rounds*2 {
			t.Errorf("hits %d + misses %d != %d keys read", s.Hits, s.Misses, workers*rounds*2)
		}
	})
}

func TestPing(t *testing.T) {
	forEach(t, func(t *testing.T, h harness) {
		if err := h.c.Ping(t.Context()); err != nil {
			t.Errorf("Ping = %v", err)
		}
	})
}

// TestVersionedSet: a versioned document is not replaced by an older
// version, is replaced by the same or a newer one, and unversioned writes
// and writes with Replace replace anything.
func TestVersionedSet(t *testing.T) {
	forEach(t, func(t *testing.T, h harness) {
		k := h.key("cust")
		steps := []struct {
			value   string
			version int64
			replace bool
			want    string
		}{
			{"v5", 5, false, "v5"},
			{"v3", 3, false, "v5"},   // older: kept out
			{"v5b", 5, false, "v5b"}, // same version: replaced
			{"v9", 9, false, "v9"},   // newer: replaced
			{"v1", 1, false, "v9"},
			{"plain", 0, false, "plain"}, // unversioned: replaces anything
			{"v2", 2, false, "v2"},       // over an unversioned document
			{"v90", 90, false, "v90"},
			{"v4", 4, true, "v4"},  // Replace: over a newer version...
			{"v3", 3, false, "v4"}, // ...and stored as version 4
			{"v6", 6, false, "v6"},
		}
		for _, st := range steps {
			e := Entry{Key: k, Value: []byte(st.value), TTL: time.Minute, Version: st.version, Replace: st.replace}
			if err := h.c.Set(t.Context(), []Entry{e}); err != nil {
				t.Fatal(err)
			}
			if got := h.mustGet(t, k)[0]; string(got) != st.want {
				t.Errorf("after Set(%q, version %d, replace %v): Get = %q; want %q", st.value, st.version, st.replace, got, st.want)
			}
		}
		// Links in a versioned batch are written, and followed.
		alias := h.key("email:a@b.co")
		if err := h.c.Set(t.Context(), []Entry{
			{Key: k, Value: []byte("v20"), TTL: time.Minute, Version: 20},
			{Key: alias, Link: k, TTL: time.Minute, Version: 20},
		}); err != nil {
			t.Fatal(err)
		}
		if got := h.mustGet(t, alias)[0]; string(got) != "v20" {
			t.Errorf("Get through a link written in a versioned batch = %q; want v20", got)
		}
		// A batch of several documents, one older than the stored one, and
		// their links: the older one is kept out, the rest written.
		k2, alias2 := h.key("cust2"), h.key("email:c@d.co")
		if err := h.c.Set(t.Context(), []Entry{
			{Key: k, Value: []byte("v19"), TTL: time.Minute, Version: 19},
			{Key: k2, Value: []byte("w7"), TTL: time.Minute, Version: 7},
			{Key: alias, Link: k, TTL: time.Minute},
			{Key: alias2, Link: k2, TTL: time.Minute},
		}); err != nil {
			t.Fatal(err)
		}
		if got := h.mustGet(t, alias, alias2, k2); string(got[0]) != "v20" || string(got[1]) != "w7" || string(got[2]) != "w7" {
			t.Errorf("after a batch of two documents and their links: Get = %q; want [v20 w7 w7]", got)
		}
		// A batch that names a key twice: the later entry wins, whichever
		// of the two is versioned.
		for _, tc := range []struct {
			name          string
			first, second Entry
			want          string
		}{
			{"versioned, then plain", Entry{Value: []byte("v30"), Version: 30}, Entry{Value: []byte("plain")}, "plain"},
			{"plain, then versioned", Entry{Value: []byte("plain")}, Entry{Value: []byte("v31"), Version: 31}, "v31"},
			{"versioned, then a link", Entry{Value: []byte("v40"), Version: 40}, Entry{Link: k2}, "w7"},
			{"a link, then versioned", Entry{Link: k2}, Entry{Value: []byte("v41"), Version: 41}, "v41"},
		} {
			key := h.key("twice")
			tc.first.Key, tc.first.TTL = key, time.Minute
			tc.second.Key, tc.second.TTL = key, time.Minute
			if err := h.c.Set(t.Context(), []Entry{h.doc("other", "o"), tc.first, tc.second}); err != nil {
				t.Fatal(err)
			}
			if got := h.mustGet(t, key)[0]; string(got) != tc.want {
				t.Errorf("one key twice in a batch, %s: Get = %q; want %q", tc.name, got, tc.want)
			}
			if err := h.c.Delete(t.Context(), []string{key}); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.c.Set(t.Context(), []Entry{{Key: k, Value: []byte("x"), TTL: time.Minute, Version: -1}}); err == nil {
			t.Error("Set with a negative version succeeded; want an error")
		}
	})
}
