package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/redis/go-redis/v9"

	"customergraph/internal/cache/cachetest"
)

// composeFile is what the tests read of docker-compose.yml.
type composeFile struct {
	Services map[string]struct {
		Image       string         `yaml:"image"`
		Build       any            `yaml:"build"`
		PullPolicy  string         `yaml:"pull_policy"`
		Command     []string       `yaml:"command"`
		Entrypoint  []string       `yaml:"entrypoint"`
		DependsOn   map[string]any `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		Profiles    []string          `yaml:"profiles"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Deploy      struct {
			Replicas int `yaml:"replicas"`
		} `yaml:"deploy"`
	} `yaml:"services"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// TestComposeStack: the stack builds one image for both programs, checks
// each service's health (the programs by their -healthcheck mode, since
// the image has no shell) and starts each once what it needs is healthy.
func TestComposeStack(t *testing.T) {
	c := readCompose(t)
	facade, sim, redis := c.Services["facade"], c.Services["upstream-sim"], c.Services["redis"]
	if facade.Build == nil || facade.Image == "" || sim.Image != facade.Image || sim.Build != nil || sim.PullPolicy != "never" {
		t.Errorf("facade builds %q (build %v) and upstream-sim uses %q (build %v, pull_policy %q); want one image, built by the facade's service, never pulled for the simulator",
			facade.Image, facade.Build, sim.Image, sim.Build, sim.PullPolicy)
	}
	for name, want := range map[string][]string{
		"facade":       {"CMD", "/usr/local/bin/customergraph", "-healthcheck"},
		"upstream-sim": {"CMD", "/usr/local/bin/upstream-sim", "-healthcheck"},
		"redis":        {"CMD", "redis-cli", "ping"},
	} {
		got := c.Services[name].Healthcheck.Test
		if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
			t.Errorf("%s's health check = %q; want it to start with %q", name, got, want)
		}
	}
	if len(sim.Entrypoint) == 0 || sim.Entrypoint[0] != "/usr/local/bin/upstream-sim" {
		t.Errorf("upstream-sim's entrypoint = %q; want the simulator", sim.Entrypoint)
	}
	for _, dep := range []string{"redis", "upstream-sim"} {
		cond, _ := facade.DependsOn[dep].(map[string]any)
		if cond["condition"] != "service_healthy" {
			t.Errorf("facade depends on %s with %v; want condition service_healthy", dep, facade.DependsOn[dep])
		}
	}
	if policy := flagValue(redis.Command, "--maxmemory-policy"); !strings.HasPrefix(policy, "volatile-") {
		t.Errorf("redis --maxmemory-policy = %q; want a volatile-* policy, which never evicts the budget's keys (TestComposeRedisKeepsBudget)", policy)
	}
}

// flagValue returns the argument after name in args, or "".
func flagValue(args []string, name string) string {
	i := slices.Index(args, name)
	if i < 0 || i+1 >= len(args) {
		return ""
	}
	return args[i+1]
}

// TestComposeRedisKeepsBudget: on a Redis configured as the compose
// stack's is, with its memory full of cache entries, the eviction policy
// drops cache entries and never the upstream budget: what instances have
// spent stays spent.
func TestComposeRedisKeepsBudget(t *testing.T) {
	policy := flagValue(readCompose(t).Services["redis"].Command, "--maxmemory-policy")
	srv := cachetest.StartServer(t, 0)
	rdb := cachetest.NewClient(srv.Addr)
	defer rdb.Close()
	ctx := t.Context()
	if err := rdb.ConfigSet(ctx, "maxmemory-policy", policy).Err(); err != nil {
		t.Fatalf("CONFIG SET maxmemory-policy %q: %v", policy, err)
	}
	s := newStack(t, stackOptions{redisAddr: srv.Addr})
	remaining := func() int {
		t.Helper()
		r := s.post(`{ customer(customerNumber: "CUST-000007") { id } }`, nil)
		var ext struct{ Budget struct{ Remaining int } }
		if err := json.Unmarshal(r.Extensions, &ext); err != nil || len(r.Errors) > 0 {
			t.Fatalf("lookup: %s %+v", r.Extensions, r.Errors)
		}
		return ext.Budget.Remaining
	}
	for _, n := range []string{"CUST-000001", "CUST-000002", "CUST-000003"} {
		s.query(fmt.Sprintf(`{ customer(customerNumber: %q) { id } }`, n), nil, nil)
	}
	before := remaining() // 4 spent
	if before != 996 {
		t.Fatalf("remaining after 4 calls = %d; want 996", before)
	}
	// Fill the memory with cache entries (they all have a TTL, as the
	// facade's do) until Redis must evict.
	if err := rdb.ConfigSet(ctx, "maxmemory", "4mb").Err(); err != nil {
		t.Fatal(err)
	}
	value := strings.Repeat("x", 1024)
	for i := 0; i < 40_000; i += 500 {
		p := rdb.Pipeline()
		for j := i; j < i+500; j++ {
			p.Set(ctx, fmt.Sprintf("cg:filler:%d", j), value, 0)
			p.PExpire(ctx, fmt.Sprintf("cg:filler:%d", j), 3_600_000)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("fill: %v", err)
		}
	}
	info := rdb.Info(ctx, "stats").Val()
	if !strings.Contains(info, "evicted_keys:") || strings.Contains(info, "evicted_keys:0\r") {
		t.Fatalf("Redis evicted nothing; the test did not fill its memory:\n%s", info)
	}
	// The customer's record may have been evicted: a miss costs a call,
	// counted from what was spent before, never from a full bucket.
	rdb.ConfigSet(ctx, "maxmemory", "0")
	s.query(`{ customer(customerNumber: "CUST-000008") { id } }`, nil, nil)
	if got := remaining(); got > before-1 {
		t.Errorf("remaining after the eviction = %d; want at most %d: the budget was evicted and refilled", got, before-1)
	}
}

// TestComposeClusterProfile: the cluster profile runs three replicas of
// the facade behind a load balancer, on a Redis Cluster of six nodes made
// three masters with a replica each; the facades name cluster nodes of the
// file; and the nodes' settings, on real redis-server processes, make a
// cluster that a facade with the replicas' environment serves from.
func TestComposeClusterProfile(t *testing.T) {
	c := readCompose(t)
	var nodes []string
	for name, svc := range c.Services {
		if strings.HasPrefix(name, "redis-node-") {
			nodes = append(nodes, name)
			if !slices.Equal(svc.Profiles, []string{"cluster"}) {
				t.Errorf("%s's profiles = %q; want [cluster]", name, svc.Profiles)
			}
			for flag, want := range map[string]string{"--cluster-enabled": "yes", "--cluster-require-full-coverage": "no"} {
				if got := flagValue(svc.Command, flag); got != want {
					t.Errorf("%s: %s %q; want %q", name, flag, got, want)
				}
			}
			if policy := flagValue(svc.Command, "--maxmemory-policy"); !strings.HasPrefix(policy, "volatile-") {
				t.Errorf("%s: --maxmemory-policy %q; want a volatile-* policy, which never evicts the budget", name, policy)
			}
		}
	}
	slices.Sort(nodes)
	if len(nodes) != 6 {
		t.Fatalf("cluster nodes %q; want six", nodes)
	}
	init := strings.Join(c.Services["redis-cluster-init"].Command, " ")
	for _, n := range nodes {
		if !strings.Contains(init, n+":6379") {
			t.Errorf("redis-cluster-init does not name %s: %s", n, init)
		}
	}
	if !strings.Contains(init, "--cluster create") || !strings.Contains(init, "--cluster-replicas 1") {
		t.Errorf("redis-cluster-init = %s; want redis-cli --cluster create with a replica per master", init)
	}

	f := c.Services["facade-replicas"]
	if f.Deploy.Replicas != 3 || f.Environment["REDIS_MODE"] != "cluster" || !slices.Equal(f.Profiles, []string{"cluster"}) {
		t.Errorf("facade-replicas: %d replicas, REDIS_MODE %q, profiles %q; want 3, cluster, [cluster]", f.Deploy.Replicas, f.Environment["REDIS_MODE"], f.Profiles)
	}
	o, err := redis.ParseClusterURL(f.Environment["REDIS_URL"])
	if err != nil {
		t.Fatalf("facade-replicas' REDIS_URL: %v", err)
	}
	for _, a := range o.Addrs {
		if host, _, _ := strings.Cut(a, ":"); !slices.Contains(nodes, host) {
			t.Errorf("REDIS_URL names %s, which is not a node of the file", a)
		}
	}
	if cond, _ := f.DependsOn["redis-cluster-init"].(map[string]any); cond["condition"] != "service_completed_successfully" {
		t.Errorf("facade-replicas waits for redis-cluster-init with %v; want service_completed_successfully", f.DependsOn["redis-cluster-init"])
	}
	lb := c.Services["lb"]
	if cond, _ := lb.DependsOn["facade-replicas"].(map[string]any); cond["condition"] != "service_healthy" || len(lb.Volumes) != 1 {
		t.Fatalf("lb: depends on %v, volumes %q; want the healthy replicas and one configuration file", lb.DependsOn, lb.Volumes)
	}
	conf, err := os.ReadFile(strings.Split(lb.Volumes[0], ":")[0])
	if err != nil || !strings.Contains(string(conf), "server facade-replicas:8080") {
		t.Errorf("the load balancer's configuration (%v) does not balance over facade-replicas:8080", err)
	}

	// The nodes' own arguments, on a real cluster, and a facade with the
	// replicas' environment on it (the cluster's addresses being this
	// machine's): it answers, from the cache the second time.
	cluster := cachetest.StartCluster(t, cachetest.ClusterOptions{Args: c.Services[nodes[0]].Command[1:]})
	env := map[string]string{}
	for k, v := range f.Environment {
		switch k {
		case "REDIS_URL", "UPSTREAM_URL", "UPSTREAM_API_KEY", "FACADE_API_KEYS", "ADMIN_API_KEYS", "LOG_FORMAT":
		default:
			env[k] = v
		}
	}
	s := newStack(t, stackOptions{cluster: cluster, env: env})
	if !s.cfg.RedisCluster {
		t.Fatal("the replicas' environment does not select REDIS_MODE=cluster")
	}
	cu := s.customers(1)[0]
	for i := range 2 {
		if r := s.lookup(testKey, cu.ID); !found(r, cu.ID) {
			t.Fatalf("lookup %d: %+v", i, r.Errors)
		}
		if i == 0 {
			waitCached(t, s, []simCustomer{cu})
			s.resetStats()
		}
	}
	if st := s.stats(); st.Total != 0 {
		t.Errorf("the second lookup cost %d upstream calls; want 0", st.Total)
	}
}
