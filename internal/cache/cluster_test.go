package cache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/cache/cachetest"
)

// nodeTrips counts, per node address, the round trips a cluster client
// sends: a command alone or a pipeline, each one trip.
type nodeTrips struct {
	mu    sync.Mutex
	trips map[string]int
}

func (n *nodeTrips) hook(c *redis.ClusterClient) {
	c.OnNewNode(func(node *redis.Client) {
		addr := node.Options().Addr
		node.AddHook(tripHook{count: func() {
			n.mu.Lock()
			n.trips[addr]++
			n.mu.Unlock()
		}})
	})
}

func (n *nodeTrips) take() map[string]int {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := n.trips
	n.trips = map[string]int{}
	return t
}

type tripHook struct{ count func() }

func (h tripHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h tripHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.count()
		return next(ctx, cmd)
	}
}

func (h tripHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.count()
		return next(ctx, cmds)
	}
}

// clusterCache returns a Redis cache on c whose round trips per node trips
// counts.
func clusterCache(t *testing.T, c *cachetest.Cluster, opts RedisOptions) (*Redis, *nodeTrips) {
	t.Helper()
	opts.Cluster = true
	client, err := ParseRedisURL(c.URL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	trips := &nodeTrips{trips: map[string]int{}}
	trips.hook(client.(*redis.ClusterClient))
	r := NewRedis(client, opts)
	t.Cleanup(func() { _ = r.Close() })
	return r, trips
}

// TestClusterSpreadsATenant: the documents and aliases of one tenant land
// on every master of a cluster, while its limits and its persisted
// queries share one slot.
func TestClusterSpreadsATenant(t *testing.T) {
	c := cachetest.SharedCluster(t)
	r, _ := clusterCache(t, c, RedisOptions{Timeout: testTimeout, DialTimeout: testTimeout})
	ks := testKeyspace(t)
	var entries []Entry
	for i := range 60 {
		doc := ks.Customer(fmt.Sprint("k", i))
		entries = append(entries,
			Entry{Key: doc, Value: []byte("doc"), TTL: time.Minute},
			Entry{Key: ks.Alias("email", fmt.Sprintf("c%d@example.com", i)), Link: doc, TTL: time.Minute})
	}
	if err := r.Set(t.Context(), entries); err != nil {
		t.Fatal(err)
	}
	masters := c.Masters(t)
	per := map[string]int{}
	for _, e := range entries {
		per[c.MasterOf(t, e.Key)]++
	}
	for _, m := range masters {
		if per[m] < 10 {
			t.Errorf("master %s holds %d of the tenant's 120 keys; want them spread over all %d masters (%v)", m, per[m], len(masters), per)
		}
	}
	together := []string{ks.Limit("budget"), ks.Limit("budget:client-1"), ks.PersistedQuery("ab"), ks.PersistedQueryIndex()}
	slot := c.Client(t).ClusterKeySlot(t.Context(), together[0]).Val()
	for _, k := range together[1:] {
		if got := c.Client(t).ClusterKeySlot(t.Context(), k).Val(); got != slot {
			t.Errorf("key %q in slot %d; want %d, with %q", k, got, slot, together[0])
		}
	}
}

// TestClusterRoundTrips: a batch of lookups by alias costs one pipeline
// per master in a first round, and one per master holding a link's target
// in a second: at most two round trips per master, two in a row.
func TestClusterRoundTrips(t *testing.T) {
	c := cachetest.SharedCluster(t)
	r, trips := clusterCache(t, c, RedisOptions{Timeout: testTimeout, DialTimeout: testTimeout})
	ks := testKeyspace(t)
	var entries []Entry
	var docs, aliases []string
	for i := range 50 {
		doc := ks.Customer(fmt.Sprint("k", i))
		alias := ks.Alias("email", fmt.Sprintf("c%d@example.com", i))
		docs, aliases = append(docs, doc), append(aliases, alias)
		entries = append(entries, Entry{Key: doc, Value: []byte(fmt.Sprint("doc", i)), TTL: time.Minute},
			Entry{Key: alias, Link: doc, TTL: time.Minute})
	}
	if err := r.Set(t.Context(), entries); err != nil {
		t.Fatal(err)
	}
	// One round trip per master holding keys of the batch, then one per
	// master holding the targets of the links read.
	nodes := func(keys []string) map[string]bool {
		set := map[string]bool{}
		for _, k := range keys {
			set[c.MasterOf(t, k)] = true
		}
		return set
	}
	both := func(a, b map[string]bool) (n, most int) {
		per := map[string]int{}
		for m := range a {
			per[m]++
		}
		for m := range b {
			per[m]++
		}
		for _, v := range per {
			n += v
			most = max(most, v)
		}
		return n, most
	}
	docsTrips, _ := both(nodes(docs), nil)
	aliasTrips, aliasMost := both(nodes(aliases), nodes(docs))
	mixedTrips, mixedMost := both(nodes(append(slices.Clone(aliases), docs...)), nodes(docs))
	tests := []struct {
		name      string
		keys      []string
		wantTrips int // in all, over the masters
		maxOne    int // on any one master
	}{
		{"50 documents", docs, docsTrips, 1},
		{"50 aliases", aliases, aliasTrips, aliasMost},
		{"50 aliases and their documents", append(slices.Clone(aliases), docs...), mixedTrips, mixedMost},
	}
	masters := len(c.Masters(t))
	if docsTrips != masters || aliasMost != 2 {
		t.Fatalf("the batch's keys are on %d of %d masters; want them on every one", docsTrips, masters)
	}
	for _, tt := range tests {
		trips.take()
		got, err := r.Get(t.Context(), tt.keys)
		if err != nil {
			t.Fatalf("%s: Get: %v", tt.name, err)
		}
		for i, v := range got {
			if want := fmt.Sprint("doc", i%50); string(v) != want {
				t.Fatalf("%s: value %d = %q; want %q", tt.name, i, v, want)
			}
		}
		per := trips.take()
		total := 0
		for addr, n := range per {
			total += n
			if n > tt.maxOne {
				t.Errorf("%s: %d round trips to %s; want at most %d", tt.name, n, addr, tt.maxOne)
			}
		}
		if total != tt.wantTrips {
			t.Errorf("%s: %d round trips in all (%v); want %d, over %d masters", tt.name, total, per, tt.wantTrips, masters)
		}
		t.Logf("%s: %d round trips over %d masters", tt.name, total, len(per))
	}
}

// seedVictim caches 60 documents through r, waits until every replica has
// them, and returns their keys, the master of the first (the one the test
// takes down) and how many of them that master holds.
func seedVictim(t *testing.T, c *cachetest.Cluster, r *Redis) (keys []string, victim string, onVictim int) {
	t.Helper()
	ks := testKeyspace(t)
	var entries []Entry
	for i := range 60 {
		k := ks.Customer(fmt.Sprint("k", i))
		keys = append(keys, k)
		entries = append(entries, Entry{Key: k, Value: []byte("doc"), TTL: time.Minute})
	}
	if err := r.Set(t.Context(), entries); err != nil {
		t.Fatal(err)
	}
	c.WaitReplicated(t, 10*time.Second) // so its replica has them all
	victim = c.MasterOf(t, keys[0])
	for _, k := range keys {
		if c.MasterOf(t, k) == victim {
			onVictim++
		}
	}
	return keys, victim, onVictim
}

// countHits counts the values of a Get that are not misses.
func countHits(got [][]byte) int {
	n := 0
	for _, v := range got {
		if v != nil {
			n++
		}
	}
	return n
}

// waitAllHits waits (up to 10s) until r reads every key, without error:
// after a failover, once the client has followed the new slot map.
func waitAllHits(t *testing.T, r *Redis, keys []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := r.Get(t.Context(), keys)
		hits := countHits(got)
		if err == nil && hits == len(keys) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the failover: %d of %d hits, error %v; want all, no error", hits, len(keys), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClusterMasterDies: while a master is dead, its keys are misses and
// the others' are hits (ErrPartial), the cache is not skipped, and once a
// replica has taken its slots the same client reads them again, without
// being told.
func TestClusterMasterDies(t *testing.T) {
	c := cachetest.StartCluster(t, cachetest.ClusterOptions{})
	r, _ := clusterCache(t, c, RedisOptions{Timeout: 200 * time.Millisecond, DialTimeout: 200 * time.Millisecond})
	keys, victim, onVictim := seedVictim(t, c, r)
	c.Kill(t, victim)

	got, err := r.Get(t.Context(), keys)
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("Get with a dead master: error %v; want ErrPartial", err)
	}
	if hits, want := countHits(got), len(keys)-onVictim; hits != want {
		t.Errorf("Get with a dead master: %d hits; want %d (the %d keys of the live masters)", hits, want, want)
	}
	if st := r.Stats(); st.Skipped != 0 {
		t.Errorf("Stats = %+v; want nothing skipped: the cluster is there", st)
	}
	if err := r.Ping(t.Context()); !errors.Is(err, ErrPartial) {
		t.Errorf("Ping with a dead master: %v; want ErrPartial", err)
	}
	// What cannot be written to the dead master is kept in the fallback
	// and read back while its slots move.
	if err := r.Set(t.Context(), []Entry{{Key: keys[0], Value: []byte("meanwhile"), TTL: time.Minute, Version: 2}}); !errors.Is(err, ErrPartial) && err == nil {
		t.Errorf("Set on the dead master: %v; want an error", err)
	}
	if got, err := r.Get(t.Context(), keys[:1]); string(got[0]) != "meanwhile" || !errors.Is(err, ErrPartial) {
		t.Errorf("Get on the dead master after a Set = %q, %v; want the fallback's copy", got[0], err)
	}

	c.WaitHealthy(t, 30*time.Second)
	waitAllHits(t, r, keys)
	if err := r.Ping(t.Context()); err != nil {
		t.Errorf("Ping after the failover: %v; want every master to answer", err)
	}
	if got := c.MasterOf(t, keys[0]); got == victim {
		t.Errorf("key served by %s after the failover; want the promoted replica", got)
	}
	// Writes reach the new master too.
	if err := r.Set(t.Context(), []Entry{{Key: keys[0], Value: []byte("new"), TTL: time.Minute, Version: 3}}); err != nil {
		t.Errorf("Set after the failover: %v", err)
	}
	if got, _ := r.Get(t.Context(), keys[:1]); string(got[0]) != "new" {
		t.Errorf("Get after the failover's Set = %q; want \"new\"", got[0])
	}
	if err := r.Delete(t.Context(), keys); err != nil {
		t.Errorf("Delete after the failover: %v", err)
	}
}

// TestParseClusterURL: REDIS_MODE=cluster reads the URL as go-redis's
// ParseClusterURL does — TLS, a user and password, every node — and tunes
// the client for a cache; a bad URL's error does not quote the password.
func TestParseClusterURL(t *testing.T) {
	client, err := ParseRedisURL("rediss://cg-user:s3cret-pw@h1.example:7000?addr=h2.example:7001&addr=h3.example:7002",
		RedisOptions{Cluster: true, Timeout: 30 * time.Millisecond, Patience: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	cc, ok := client.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("ParseRedisURL with Cluster = %T; want a cluster client", client)
	}
	o := cc.Options()
	if got := strings.Join(o.Addrs, ","); got != "h1.example:7000,h2.example:7001,h3.example:7002" {
		t.Errorf("Addrs = %s; want the three nodes", got)
	}
	if o.TLSConfig == nil || o.Username != "cg-user" || o.Password != "s3cret-pw" {
		t.Errorf("TLS %v, user %q, password set %v; want TLS and the URL's credentials", o.TLSConfig != nil, o.Username, o.Password != "")
	}
	if o.ReadTimeout != time.Second || o.MaxRedirects != clusterRedirects || o.MinRetryBackoff != 0 || o.DialerRetries != 1 || !o.ContextTimeoutEnabled {
		t.Errorf("options = read timeout %v, redirects %d, backoff %v, dial attempts %d, context timeouts %v; want 1s, %d, none, 1, on",
			o.ReadTimeout, o.MaxRedirects, o.MinRetryBackoff, o.DialerRetries, o.ContextTimeoutEnabled, clusterRedirects)
	}
	for _, bad := range []string{"redis://u:s3cret-pw@h1:7000?dial_timeout=soon", "http://u:s3cret-pw@h1:7000", "redis://u:s3cret-pw@h1:7000/%zz"} {
		_, err := ParseRedisURL(bad, RedisOptions{Cluster: true})
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseRedisURL(%q) error = %v; want an error without the password", strings.ReplaceAll(bad, "s3cret-pw", "…"), err)
		}
	}
}

// TestClusterMasterStops: a master that stops answering without refusing
// or resetting anything (SIGSTOP, as a host that died) is first waited for
// — a timeout is slowness, not a miss — then, once it leaves a PING of its
// own unanswered for a cooldown, skipped: its keys are misses at once, the
// others hits. After the failover the same client reads every key again.
func TestClusterMasterStops(t *testing.T) {
	c := cachetest.StartCluster(t, cachetest.ClusterOptions{})
	r, trips := clusterCache(t, c, RedisOptions{Timeout: 50 * time.Millisecond, DialTimeout: 100 * time.Millisecond, Cooldown: 300 * time.Millisecond, Patience: time.Second})
	keys, victim, onVictim := seedVictim(t, c, r)
	c.Pause(t, victim)

	_, err := r.Get(t.Context(), keys)
	if !errors.Is(err, ErrSlow) {
		t.Fatalf("first Get with a stopped master: %v; want ErrSlow (a timeout is no verdict)", err)
	}
	var got [][]byte
	start := time.Now()
	for n := 2; ; n *= 2 {
		got, err = r.Get(WithPatience(t.Context(), n), keys)
		if errors.Is(err, ErrPartial) {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("5s after the master stopped, Get still says %v; want ErrPartial once its PING went unanswered", err)
		}
	}
	t.Logf("the stopped master's keys were skipped %v after the first timeout", time.Since(start).Round(time.Millisecond))
	if hits, want := countHits(got), len(keys)-onVictim; hits != want {
		t.Errorf("Get with the master skipped: %d hits; want %d", hits, want)
	}
	// Skipped: nothing is sent to it any more.
	trips.take()
	if _, err := r.Get(t.Context(), keys); !errors.Is(err, ErrPartial) {
		t.Errorf("Get with the master skipped: %v; want ErrPartial", err)
	}
	if n := trips.take()[victim]; n != 0 {
		t.Errorf("Get with the master skipped sent it %d round trips; want none", n)
	}

	c.WaitHealthy(t, 30*time.Second)
	waitAllHits(t, r, keys)
	c.Resume(t, victim)
}
