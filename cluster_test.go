package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/cache/cachetest"
)

// TestClusterSharedByInstances: facades on one Redis Cluster share what
// they share on one Redis server — records and aliases, the upstream
// budget, a 429's pause, persisted queries, invalidations and Xtrakit's
// alias index — by the same tests.
func TestClusterSharedByInstances(t *testing.T) {
	c := cachetest.SharedCluster(t)
	o := stackOptions{cluster: c}
	t.Run("records and aliases", func(t *testing.T) { testTwoInstancesShareRedis(t, o) })
	t.Run("budget", func(t *testing.T) { testBudgetSharedByInstances(t, o) })
	t.Run("429 pause", func(t *testing.T) { testRetryAfterPause(t, o) })
	t.Run("persisted queries", func(t *testing.T) { testAPQAcrossInstances(t, o) })
	t.Run("invalidation", func(t *testing.T) { testCacheInvalidation(t, o) })
	t.Run("invalidation of in-memory lists, over pub/sub", func(t *testing.T) { testCacheInvalidationReachesEveryInstance(t, c) })
	t.Run("Xtrakit alias index", func(t *testing.T) { testXtrakitIndexedLookups(t, c) })
}

// TestClusterSpreadsTenantKeys: the records and aliases of one tenant,
// cached through the facade, are on every master of the cluster.
func TestClusterSpreadsTenantKeys(t *testing.T) {
	c := cachetest.SharedCluster(t)
	s := newStack(t, stackOptions{cluster: c, customers: 120, env: map[string]string{"UPSTREAM_BUDGET": "0"}})
	cs := s.customers(60)
	var q strings.Builder
	q.WriteString("{")
	for i, cu := range cs {
		fmt.Fprintf(&q, " e%d: customer(email: %q) { id }", i, *cu.Email)
	}
	q.WriteString(" }")
	if r := s.post(q.String(), nil); len(r.Errors) > 0 {
		t.Fatalf("60 lookups: errors %+v", r.Errors)
	}
	ks := s.keyspace()
	pattern := strings.TrimSuffix(ks.Customer(""), "c:") + "*"
	var per map[string]int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		per = keysPerMaster(t, c, pattern)
		total := 0
		for _, n := range per {
			total += n
		}
		if total >= 4*len(cs) || time.Now().After(deadline) { // a record, its email, phone and number
			break
		}
	}
	masters := c.Masters(t)
	for _, m := range masters {
		if per[m] == 0 {
			t.Errorf("master %s holds none of the tenant's keys (%v); want some on each of the %d masters", m, per, len(masters))
		}
	}
	t.Logf("the tenant's keys per master: %v", per)
}

// keysPerMaster counts the keys matching pattern on each master of c.
func keysPerMaster(t *testing.T, c *cachetest.Cluster, pattern string) map[string]int {
	t.Helper()
	var mu sync.Mutex
	per := map[string]int{}
	err := c.Client(t).ForEachMaster(t.Context(), func(ctx context.Context, m *redis.Client) error {
		keys, err := m.Keys(ctx, pattern).Result()
		mu.Lock()
		per[m.Options().Addr] = len(keys)
		mu.Unlock()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return per
}

// failoverPhase holds the requests of one phase of TestClusterFailover.
type failoverPhase struct {
	name      string
	latencies []time.Duration
	failures  []string
	upstream  int64 // upstream calls made during the phase
}

func (p *failoverPhase) quantile(q float64) time.Duration {
	if len(p.latencies) == 0 {
		return 0
	}
	s := slices.Clone(p.latencies)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// TestClusterFailover: two facades on a 3-master, 3-replica cluster, under
// a bounded load of lookups by email and by customer number; the master
// holding the tenant's upstream budget is killed, or stopped (SIGSTOP: it
// neither refuses nor resets, and is first taken for a slow one). Every query is answered, while its slots move (from the
// upstream, once per customer and instance, then from the fallback) and
// after (from the cache again): the cluster client follows the new
// topology by itself. The latencies of each phase are logged.
func TestClusterFailover(t *testing.T) {
	for _, tt := range []struct {
		name string
		stop func(t *testing.T, c *cachetest.Cluster, addr string)
	}{
		{"killed", func(t *testing.T, c *cachetest.Cluster, addr string) { c.Kill(t, addr) }},
		// No refusal, no reset: a host that died or fell off the network.
		{"stopped", func(t *testing.T, c *cachetest.Cluster, addr string) { c.Pause(t, addr) }},
	} {
		t.Run(tt.name, func(t *testing.T) { testClusterFailover(t, tt.stop) })
	}
}

func testClusterFailover(t *testing.T, fail func(t *testing.T, c *cachetest.Cluster, addr string)) {
	c := cachetest.StartCluster(t, cachetest.ClusterOptions{})
	// The budget stays on, with room for the whole load, and its master is
	// the one killed: its script meets the failover too.
	env := map[string]string{"UPSTREAM_BUDGET": "1000000", "UPSTREAM_BUDGET_CLIENT_SHARE": "1"}
	a := newStack(t, stackOptions{cluster: c, customers: 300, env: env})
	b := newStack(t, stackOptions{upstream: a, env: env})
	cs := a.customers(150)
	const byEmail = `query($v: String!) { customer(email: $v) { id } }`
	const byNumber = `query($v: String!) { customer(customerNumber: $v) { id } }`
	ask := func(s *stack, i int, email bool) (string, error) {
		q, v := byNumber, cs[i].CustomerNumber
		if email {
			q, v = byEmail, *cs[i].Email
		}
		var out struct{ Customer *struct{ ID string } }
		r := s.post(q, map[string]any{"v": v})
		if err := json.Unmarshal(r.Data, &out); err != nil || len(r.Errors) > 0 || out.Customer == nil || out.Customer.ID != cs[i].ID {
			return "", fmt.Errorf("%s: data %s, errors %+v", v, r.Data, r.Errors)
		}
		return out.Customer.ID, nil
	}
	// Warm: every customer by both keys, then every write replicated.
	for i := range cs {
		for _, email := range []bool{true, false} {
			if _, err := ask(a, i, email); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitCached(t, a, cs)
	// Every write on a replica too, whichever master dies.
	c.WaitReplicated(t, 10*time.Second)

	var (
		mu     sync.Mutex
		phase  *failoverPhase
		phases []*failoverPhase
	)
	begin := func(name string) {
		mu.Lock()
		defer mu.Unlock()
		if phase != nil {
			phase.upstream = a.stats().Total
		}
		a.resetStats()
		phase = &failoverPhase{name: name}
		phases = append(phases, phase)
	}
	begin("before")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				s := a
				if n%2 == 1 {
					s = b
				}
				t0 := time.Now()
				_, err := ask(s, rng.IntN(len(cs)), rng.IntN(2) == 0)
				d := time.Since(t0)
				mu.Lock()
				phase.latencies = append(phase.latencies, d)
				if err != nil {
					phase.failures = append(phase.failures, err.Error())
				}
				mu.Unlock()
				time.Sleep(2 * time.Millisecond) // bounded: six clients, each pausing between queries
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	victim := c.MasterOf(t, a.keyspace().Limit("budget"))
	begin("master down, slots moving")
	killed := time.Now()
	fail(t, c, victim)
	readyDuring := readiness(t, a)
	c.WaitHealthy(t, 30*time.Second)
	whole := time.Now()
	failover := whole.Sub(killed)
	begin("after the failover")
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	mu.Lock()
	phase.upstream = a.stats().Total
	mu.Unlock()
	for _, s := range []*stack{a, b} {
		t.Logf("cache: hits %v, misses %v, fallback %v, errors %v, skipped %v", s.metric("customergraph_cache_hits_total"), s.metric("customergraph_cache_misses_total"),
			s.metric("customergraph_cache_fallback_total"), s.metric("customergraph_cache_errors_total"), s.metric("customergraph_cache_skipped_total"))
	}
	t.Logf("one master of three down; the cluster was whole again %v later (cluster-node-timeout 1s)", failover.Round(time.Millisecond))
	t.Logf("%-28s %8s %8s %9s %9s %9s %9s", "phase", "queries", "failed", "p50", "p99", "max", "upstream")
	for _, p := range phases {
		t.Logf("%-28s %8d %8d %9v %9v %9v %9d", p.name, len(p.latencies), len(p.failures),
			p.quantile(0.5).Round(10*time.Microsecond), p.quantile(0.99).Round(10*time.Microsecond),
			p.quantile(1).Round(10*time.Microsecond), p.upstream)
	}
	for i, p := range phases {
		// While a stopped master is still taken for a slow one, the
		// queries on its slots wait out Redis's patience (up to about 2 s)
		// rather than spend the upstream budget: on a loaded machine the
		// phase can end before the six clients ask many more times. It
		// must hold at least as many queries as there are clients.
		want := 50
		if i == 1 {
			want = 6
		}
		if len(p.latencies) < want {
			t.Errorf("phase %q: %d queries; want a load (at least %d)", p.name, len(p.latencies), want)
		}
		if len(p.failures) > 0 {
			t.Errorf("phase %q: %d of %d queries failed; want none, e.g. %s", p.name, len(p.failures), len(p.latencies), p.failures[0])
		}
	}
	if phases[0].upstream != 0 {
		t.Errorf("before the kill: %d upstream calls; want 0, all warm", phases[0].upstream)
	}
	// While the slots move, what the dead master held is fetched once per
	// instance and kept in its fallback: at most one call per instance
	// and lookup key, not one per request.
	if p := phases[1]; p.upstream > int64(2*2*len(cs)) {
		t.Errorf("while the slots moved: %d upstream calls for %d queries; want at most %d, each customer's keys fetched once per instance", p.upstream, len(p.latencies), 2*2*len(cs))
	}

	// Ready all along (the cache is never fatal), and saying what it lacks.
	if readyDuring.status != http.StatusOK || !strings.HasPrefix(readyDuring.cache, "degraded") {
		t.Errorf("/readyz with a master dead: %d, cache %q; want 200 and a degraded cache", readyDuring.status, readyDuring.cache)
	}
	if after := readiness(t, a); after.status != http.StatusOK || after.cache != "ok" {
		t.Errorf("/readyz after the failover: %d, cache %q; want 200 and ok", after.status, after.cache)
	}
	if !strings.Contains(a.logs.String()+b.logs.String(), "budget: redis failed") {
		t.Error("no instance says its budget went on without the killed master: the failover did not reach the budget")
	}

	// Caching resumes: within seconds of the failover, a pass over every
	// customer, by both keys, through both instances, costs no upstream
	// call (the promoted replica's copies, or what was cached again); and
	// customers first cached after the failover are read back from the
	// cache by the other instance. An instance may need a moment more
	// than the cluster: its slot map is reloaded from a node that may be
	// the quiet one, and waits out that connection's read timeout.
	fresh := a.customers(160)[150:]
	for pass := 1; ; pass++ {
		a.resetStats()
		for i := range cs {
			for _, email := range []bool{true, false} {
				for _, s := range []*stack{a, b} {
					if _, err := ask(s, i, email); err != nil {
						t.Errorf("after the failover: %v", err)
					}
				}
			}
		}
		for _, cu := range fresh {
			if r := a.lookup(testKey, cu.ID); !found(r, cu.ID) {
				t.Errorf("new customer %s after the failover: errors %+v", cu.ID, r.Errors)
			}
		}
		waitCached(t, a, fresh)
		warm := a.stats().Total - int64(len(fresh))
		a.resetStats()
		for _, cu := range fresh {
			if r := b.lookup(testKey, cu.ID); !found(r, cu.ID) {
				t.Errorf("new customer %s through the other instance: errors %+v", cu.ID, r.Errors)
			}
		}
		reread := a.stats().Total
		if warm <= 0 && reread == 0 {
			t.Logf("pass %d over every customer found all cached; it ended %v after the cluster was whole", pass, time.Since(whole).Round(time.Millisecond))
			break
		}
		if time.Since(whole) > 20*time.Second {
			t.Fatalf("20s after the failover, a pass over %d warm lookups cost %d upstream calls and %d customers cached since cost %d when read again; want 0",
				4*len(cs), warm, len(fresh), reread)
		}
		fresh = a.customers(160 + 10*pass)[150+10*pass:]
		time.Sleep(200 * time.Millisecond)
	}
}

// waitCached waits (up to 10s) until every record of cs is in s's cache:
// the write-backs land after the answers.
func waitCached(t *testing.T, s *stack, cs []simCustomer) {
	t.Helper()
	rdb := s.redis()
	for _, cu := range cs {
		k := s.keyspace().Customer(cu.ID)
		for deadline := time.Now().Add(10 * time.Second); rdb.Exists(t.Context(), k).Val() == 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("customer %s was never cached", cu.ID)
			}
		}
	}
}

// TestMemoryPerCachedCustomer measures what one cached customer costs a
// Redis — its record and its aliases (email, phone, customer number) —
// for the README's sizing section: the used_memory of a private
// redis-server before and after 800 customers are cached through the
// facade, each looked up once by email.
func TestMemoryPerCachedCustomer(t *testing.T) {
	srv := cachetest.StartServer(t, 0)
	const n = 800
	s := newStack(t, stackOptions{redisAddr: srv.Addr, customers: 1000, env: map[string]string{"UPSTREAM_BUDGET": "0"}})
	cs := s.customers(n)
	if len(cs) != n {
		t.Fatalf("%d customers with an email and a phone; want %d", len(cs), n)
	}
	rdb := s.redis()
	used := func() int64 {
		t.Helper()
		info := rdb.Info(t.Context(), "memory").Val()
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
				var b int64
				fmt.Sscan(v, &b)
				return b
			}
		}
		t.Fatal("INFO memory has no used_memory")
		return 0
	}
	before := used()
	for i := 0; i < len(cs); i += 100 {
		var q strings.Builder
		q.WriteString("{")
		for j, c := range cs[i:min(i+100, len(cs))] {
			fmt.Fprintf(&q, " c%d: customer(email: %q) { id }", j, *c.Email)
		}
		q.WriteString(" }")
		if r := s.post(q.String(), nil); len(r.Errors) > 0 {
			t.Fatalf("lookups: %+v", r.Errors)
		}
	}
	waitCached(t, s, cs)
	keys := len(s.keys(strings.TrimSuffix(s.keyspace().Customer(""), "c:") + "*"))
	per := float64(used()-before) / float64(len(cs))
	t.Logf("%d customers cached as %d keys: %.0f bytes of Redis memory each (used_memory, jemalloc; a replica holds as much again)", len(cs), keys, per)
	if keys != 4*len(cs) {
		t.Errorf("%d keys for %d customers; want 4 each: the record, its email, phone and customer number", keys, len(cs))
	}
	if per < 200 || per > 8192 {
		t.Errorf("%.0f bytes per cached customer; want a plausible figure between 200 B and 8 KiB", per)
	}
}

// TestClusterCredentials: a cluster whose nodes require a user and a
// password is served with them from REDIS_URL; the password never reaches a
// log or a response (the suite's leak check), and a wrong one degrades to
// the upstream without failing a query.
func TestClusterCredentials(t *testing.T) {
	c := cachetest.SharedCluster(t)
	user, pw := "cg-"+randomHex(4), "pw-"+randomHex(12)
	for _, addr := range c.Addrs() {
		n := cachetest.NewClient(addr)
		err := n.Do(t.Context(), "acl", "setuser", user, "on", ">"+pw, "~*", "&*", "+@all").Err()
		n.Close()
		if err != nil {
			t.Fatalf("ACL SETUSER on %s: %v", addr, err)
		}
	}
	withCreds := func(pass string) string {
		return strings.Replace(c.URL(), "redis://", "redis://"+user+":"+pass+"@", 1)
	}
	for _, tt := range []struct {
		name, url string
		cached    bool
	}{
		{"right password", withCreds(pw), true},
		{"wrong password", withCreds("not-" + pw), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{env: map[string]string{"REDIS_MODE": "cluster", "REDIS_URL": tt.url, "UPSTREAM_BUDGET": "0"}})
			cu := s.customers(1)[0]
			for i := range 2 {
				if r := s.lookup(testKey, cu.ID); !found(r, cu.ID) {
					t.Fatalf("lookup %d: %+v", i, r.Errors)
				}
				if i == 0 && tt.cached {
					rdb := c.Client(t)
					k := s.keyspace().Customer(cu.ID)
					for deadline := time.Now().Add(5 * time.Second); rdb.Exists(t.Context(), k).Val() == 0; time.Sleep(5 * time.Millisecond) {
						if time.Now().After(deadline) {
							t.Fatal("the customer was never cached")
						}
					}
				}
				if i == 0 {
					s.resetStats()
				}
			}
			calls := s.stats().Total
			if tt.cached && calls != 0 {
				t.Errorf("second lookup cost %d upstream calls; want 0, from the cluster", calls)
			}
			if !tt.cached && strings.Contains(s.logs.String(), pw) {
				t.Error("the log holds the password")
			}
		})
	}
}

// readiness is what /readyz says of a stack.
func readiness(t *testing.T, s *stack) (r struct {
	status int
	cache  string
}) {
	t.Helper()
	resp, err := http.Get(s.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Cache string }
	json.NewDecoder(resp.Body).Decode(&body)
	r.status, r.cache = resp.StatusCode, body.Cache
	return r
}

// TestRedisModeMismatch: a REDIS_MODE that does not match the server is
// said at start, with the setting to change, and queries are still
// answered.
func TestRedisModeMismatch(t *testing.T) {
	c := cachetest.SharedCluster(t)
	for _, tt := range []struct {
		name string
		o    stackOptions
		want string
	}{
		{"single on a cluster node", stackOptions{redisAddr: c.Addrs()[0]}, "REDIS_URL names a Redis Cluster node: set REDIS_MODE=cluster"},
		{"cluster on one server", stackOptions{env: map[string]string{"REDIS_MODE": "cluster"}}, "REDIS_MODE=cluster, but REDIS_URL names a Redis server without cluster mode: set REDIS_MODE=single"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, tt.o)
			if !strings.Contains(s.logs.String(), tt.want) {
				t.Errorf("the start-up log does not say %q:\n%s", tt.want, s.logs)
			}
			cu := s.customers(1)[0]
			if r := s.lookup(testKey, cu.ID); !found(r, cu.ID) {
				t.Errorf("lookup: %+v; want the customer, from the upstream", r.Errors)
			}
		})
	}
	// Matching modes say nothing of the kind.
	for _, o := range []stackOptions{{cluster: c}, {}} {
		if s := newStack(t, o); strings.Contains(s.logs.String(), "set REDIS_MODE=") {
			t.Errorf("a matching mode logged a mismatch:\n%s", s.logs)
		}
	}
}
