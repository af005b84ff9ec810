package persisted

import (
	"context"
	"fmt"
	"testing"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/cache/cachetest"
)

// testStore returns a Redis store over the test Redis, in a keyspace of
// its own, and a raw client to inspect it.
func testStore(t *testing.T, l Limits) (*Redis, cache.Keyspace) {
	t.Helper()
	r, err := cache.DialRedis("redis://"+cachetest.Redis(t), cache.RedisOptions{Timeout: 2 * time.Second, Cooldown: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	ks := cache.NewKeyspace(cachetest.Namespace(t))
	return NewRedis(r, ks, l), ks
}

func docs(n int) (hashes, bodies []string) {
	for i := range n {
		b := fmt.Sprintf("query Q%d { __typename }", i)
		hashes, bodies = append(hashes, Hash(b)), append(bodies, b)
	}
	return hashes, bodies
}

// TestRedisStoreIndex: the index holds one hash per live document, loses
// the hashes of expired documents at the next write, and its eviction
// deletes the documents it drops. Every store here is fresh, so each read
// goes to Redis.
func TestRedisStoreIndex(t *testing.T) {
	ctx := context.Background()
	l := Limits{MaxEntries: 3, TTL: time.Second}
	s, ks := testStore(t, l)
	c := cachetest.Client(t)
	hashes, bodies := docs(5)

	s.Add(ctx, hashes[0], bodies[0])
	time.Sleep(1100 * time.Millisecond) // the first expires
	for i := 1; i < 5; i++ {
		s.Add(ctx, hashes[i], bodies[i])
	}
	members, err := c.ZRange(ctx, ks.PersistedQueryIndex(), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(members) != fmt.Sprint(hashes[2:]) {
		t.Errorf("index holds %v; want the 3 newest, oldest first: %v", members, hashes[2:])
	}
	for i, h := range hashes {
		want := int64(1)
		if i < 2 { // expired, evicted
			want = 0
		}
		if n := c.Exists(ctx, ks.PersistedQuery(h)).Val(); n != want {
			t.Errorf("document %d: %d keys; want %d", i, n, want)
		}
	}
	if ttl := c.PTTL(ctx, ks.PersistedQueryIndex()).Val(); ttl <= 0 || ttl > time.Second {
		t.Errorf("index TTL %v; want at most the documents' TTL", ttl)
	}

	fresh := NewRedis(s.redis, ks, l)
	for i := 2; i < 5; i++ {
		if got, ok := fresh.Get(ctx, hashes[i]); !ok || got != bodies[i] {
			t.Errorf("Get(%d) = %q, %v", i, got, ok)
		}
	}
}

// TestRedisStoreVerifies: a value under a hash that is not its SHA-256 is a
// miss, and a registration overwrites it.
func TestRedisStoreVerifies(t *testing.T) {
	ctx := context.Background()
	s, ks := testStore(t, Limits{})
	c := cachetest.Client(t)
	hashes, bodies := docs(1)
	c.Set(ctx, ks.PersistedQuery(hashes[0]), "query Evil { __typename }", time.Minute)
	if got, ok := s.Get(ctx, hashes[0]); ok {
		t.Fatalf("served %q for a hash it does not have", got)
	}
	s.Add(ctx, hashes[0], bodies[0])
	if got, ok := NewRedis(s.redis, ks, Limits{}).Get(ctx, hashes[0]); !ok || got != bodies[0] {
		t.Errorf("after registration: %q, %v", got, ok)
	}
}

// TestRedisStoreLocalRefresh: a document served from the local copy is
// written to Redis again once TTL/10 has passed, so it lives on there for
// the other instances.
func TestRedisStoreLocalRefresh(t *testing.T) {
	ctx := context.Background()
	s, ks := testStore(t, Limits{TTL: time.Second})
	c := cachetest.Client(t)
	hashes, bodies := docs(1)
	s.Add(ctx, hashes[0], bodies[0])
	key := ks.PersistedQuery(hashes[0])
	for range 12 { // 1.2s of local hits, past the TTL of the first write
		time.Sleep(100 * time.Millisecond)
		if _, ok := s.Get(ctx, hashes[0]); !ok {
			t.Fatal("local copy lost")
		}
	}
	if c.Exists(ctx, key).Val() != 1 {
		t.Error("a document in use expired in Redis")
	}
	c.Del(ctx, key) // gone from Redis (evicted, flushed): the local copy restores it
	time.Sleep(150 * time.Millisecond)
	s.Get(ctx, hashes[0])
	if c.Exists(ctx, key).Val() != 1 {
		t.Error("the local copy did not restore the document in Redis")
	}
}
