package cachetest

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestClusterOptions(t *testing.T) {
	for _, tt := range []struct {
		name    string
		o       ClusterOptions
		want    clusterConfig
		wantErr string // in the error, "" for none
	}{
		{"zero", ClusterOptions{}, clusterConfig{masters: 3, replicas: 1, nodeTimeout: time.Second}, ""},
		{"no replicas", ClusterOptions{Replicas: -1}, clusterConfig{masters: 3, replicas: 0, nodeTimeout: time.Second}, ""},
		{"all set", ClusterOptions{Masters: 4, Replicas: 2, NodeTimeout: 500 * time.Millisecond, Args: []string{"--maxmemory", "1mb"}},
			clusterConfig{masters: 4, replicas: 2, nodeTimeout: 500 * time.Millisecond, args: []string{"--maxmemory", "1mb"}}, ""},
		{"two masters", ClusterOptions{Masters: 2}, clusterConfig{}, "Masters is 2"},
		{"negative masters", ClusterOptions{Masters: -1}, clusterConfig{}, "Masters is -1"},
		{"replicas -2", ClusterOptions{Replicas: -2}, clusterConfig{}, "Replicas is -2"},
		{"negative node timeout", ClusterOptions{NodeTimeout: -time.Second}, clusterConfig{}, "NodeTimeout is -1s"},
		{"node timeout under 1ms", ClusterOptions{NodeTimeout: time.Microsecond}, clusterConfig{}, "NodeTimeout is 1µs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.o.config()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("config() error = %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("config() = %+v, %v; want %+v, nil", got, err, tt.want)
			}
		})
	}
}

// recorder is a testing.TB that records Skipf and Fatalf, which end the
// goroutine, as they do on a *testing.T.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestClusterWithoutBinaries: without redis-cli and redis-server a test
// is skipped, but fails when Redis is required, as in CI.
func TestClusterWithoutBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "")
	for _, tt := range []struct {
		name     string
		start    func(testing.TB)
		require  string // EnvRequire
		wantSkip bool
	}{
		{"StartCluster", func(t testing.TB) { StartCluster(t, ClusterOptions{}) }, "", true},
		{"StartCluster required", func(t testing.TB) { StartCluster(t, ClusterOptions{}) }, "1", false},
		{"SharedCluster", func(t testing.TB) { SharedCluster(t) }, "", true},
		{"SharedCluster required", func(t testing.TB) { SharedCluster(t) }, "1", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvRequire, tt.require)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				tt.start(r)
			}()
			<-done
			switch {
			case tt.wantSkip && (r.skipped == "" || r.failed != ""):
				t.Errorf("got skip %q, failure %q; want a skip only", r.skipped, r.failed)
			case !tt.wantSkip && (r.failed == "" || r.skipped != ""):
				t.Errorf("got skip %q, failure %q; want a failure only", r.skipped, r.failed)
			case !strings.Contains(r.skipped+r.failed, "no redis-"):
				t.Errorf("got %q; want it to name the missing binary", r.skipped+r.failed)
			}
		})
	}
}

func TestStartCluster(t *testing.T) {
	for _, tt := range []struct {
		name         string
		start        func(testing.TB) *Cluster
		masters      int
		nodes        int
		replicaLinks int
	}{
		{"shared", SharedCluster, 3, 6, 3},
		{"no replicas", func(t testing.TB) *Cluster { return StartCluster(t, ClusterOptions{Replicas: -1}) }, 3, 3, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.start(t)
			addrs := c.Addrs()
			if len(addrs) != tt.nodes {
				t.Errorf("Addrs() = %v; want %d nodes", addrs, tt.nodes)
			}
			masters := c.Masters(t)
			if len(masters) != tt.masters {
				t.Errorf("Masters() = %v; want %d", masters, tt.masters)
			}
			if want := slices.Sorted(slices.Values(addrs[:tt.masters])); !slices.Equal(masters, want) {
				t.Errorf("Masters() = %v; want the first nodes started, %v", masters, want)
			}
			o, err := redis.ParseClusterURL(c.URL())
			if err != nil {
				t.Fatalf("ParseClusterURL(%q): %v", c.URL(), err)
			}
			if !slices.Equal(o.Addrs, addrs) {
				t.Errorf("ParseClusterURL(%q).Addrs = %v; want %v", c.URL(), o.Addrs, addrs)
			}
			ctx := context.Background()
			replicas := 0
			for _, addr := range addrs {
				cl := NewClient(addr)
				defer cl.Close()
				if got, err := cl.ConfigGet(ctx, "cluster-node-timeout").Result(); err != nil || got["cluster-node-timeout"] != "1000" {
					t.Errorf("%s: CONFIG GET cluster-node-timeout = %v, %v; want 1000", addr, got, err)
				}
				info, err := cl.Info(ctx, "replication").Result()
				if err != nil {
					t.Fatalf("%s: INFO replication: %v", addr, err)
				}
				if infoField(info, "master_link_status") == "up" {
					replicas++
				}
			}
			if replicas != tt.replicaLinks {
				t.Errorf("got %d replicas with their link to the master up; want %d", replicas, tt.replicaLinks)
			}
			if got := c.Client(t).ClusterNodes(ctx).Val(); strings.Count(got, "connected") != tt.nodes {
				t.Errorf("CLUSTER NODES through Client:\n%s\nwant %d connected nodes", got, tt.nodes)
			}
		})
	}
	t.Run("shared twice", func(t *testing.T) {
		t.Parallel()
		if a, b := SharedCluster(t), SharedCluster(t); a != b {
			t.Errorf("SharedCluster returned %p, then %p; want the same cluster", a, b)
		}
	})
}

// TestClusterHashTags: keys whose hash tags hash to the ranges of different
// masters are stored on those masters.
func TestClusterHashTags(t *testing.T) {
	t.Parallel()
	c := SharedCluster(t)
	cl := c.Client(t)
	ctx := context.Background()
	masters := c.Masters(t)
	seen := map[string]string{} // tag by master
	// The tags' slots, 15495, 3300 and 7365, are in the three masters'
	// ranges.
	for _, tag := range []string{"a", "b", "c"} {
		key := "{" + tag + "}" + Namespace(t)
		m := c.MasterOf(t, key)
		if !slices.Contains(masters, m) {
			t.Errorf("MasterOf(%q) = %s; want one of Masters() %v", key, m, masters)
		}
		if other, ok := seen[m]; ok {
			t.Errorf("MasterOf(%q) = %s; want another master than that of tag %q", key, m, other)
		}
		seen[m] = tag
		if err := cl.Set(ctx, key, tag, time.Minute).Err(); err != nil {
			t.Fatalf("SET %s through Client: %v", key, err)
		}
		if got, err := cl.Get(ctx, key).Result(); err != nil || got != tag {
			t.Errorf("GET %s through Client = %q, %v; want %q", key, got, err, tag)
		}
		direct := NewClient(m)
		defer direct.Close()
		if n, err := direct.Exists(ctx, key).Result(); err != nil || n != 1 {
			t.Errorf("EXISTS %s on %s = %d, %v; want 1", key, m, n, err)
		}
	}
}

// TestClusterFailover kills a master: its replica takes over its slots
// with their data, and the killed master, restarted, rejoins as a replica.
func TestClusterFailover(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, ClusterOptions{})
	ctx := context.Background()
	key := "{failover}" + Namespace(t)
	old := c.MasterOf(t, key)
	before := c.Masters(t)

	// The SET and the WAIT go over one connection, as WAIT needs.
	direct := NewClient(old)
	defer direct.Close()
	var acked *redis.Cmd
	if _, err := direct.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, key, "kept", 0)
		acked = p.Do(ctx, "WAIT", 1, 1000)
		return nil
	}); err != nil {
		t.Fatalf("SET and WAIT on %s: %v", old, err)
	}
	if n, err := acked.Int(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 1000 after the SET = %d, %v; want 1 replica", n, err)
	}

	killed := time.Now()
	c.Kill(t, old)
	c.WaitHealthy(t, 15*time.Second)
	t.Logf("failover of %s took %v", old, time.Since(killed).Round(time.Millisecond))

	after := c.Masters(t)
	if len(after) != 3 || slices.Contains(after, old) {
		t.Errorf("Masters() after killing %s = %v; want 3 others", old, after)
	}
	if slices.Equal(after, before) {
		t.Errorf("Masters() after killing %s = %v; want them changed", old, after)
	}
	now := c.MasterOf(t, key)
	if now == old || slices.Contains(before, now) {
		t.Errorf("MasterOf(%q) after killing %s = %s; want a former replica", key, old, now)
	}
	if got, err := c.Client(t).Get(ctx, key).Result(); err != nil || got != "kept" {
		t.Errorf("GET %s after the failover = %q, %v; want %q", key, got, err, "kept")
	}

	restarted := time.Now()
	c.Restart(t, old)
	var nodes []clusterNodeLine
	for deadline := time.Now().Add(15 * time.Second); ; {
		var err error
		if nodes, err = c.clusterNodes(now); err != nil {
			t.Fatal(err)
		}
		if rejoined(nodes, old) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after Restart(%s), %s sees %+v; want 6 connected nodes, %s a replica", old, now, nodes, old)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.WaitHealthy(t, 15*time.Second)
	t.Logf("rejoin of %s took %v", old, time.Since(restarted).Round(time.Millisecond))
	if got := c.Masters(t); !slices.Equal(got, after) {
		t.Errorf("Masters() after Restart(%s) = %v; want them unchanged, %v", old, got, after)
	}
	info, err := direct.Info(ctx, "replication").Result()
	if err != nil {
		t.Fatalf("%s: INFO replication: %v", old, err)
	}
	_, want, _ := net.SplitHostPort(now)
	if got := infoField(info, "master_port"); got != want {
		t.Errorf("restarted %s replicates port %s; want %s, its slots' master", old, got, want)
	}
	// It came back empty, and has the key again from its new master.
	var got *redis.StringCmd
	if _, err := direct.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ReadOnly(ctx)
		got = p.Get(ctx, key)
		return nil
	}); err != nil || got.Val() != "kept" {
		t.Errorf("READONLY, GET %s on the restarted %s = %q, %v; want %q", key, old, got.Val(), err, "kept")
	}
}

// rejoined reports whether nodes, a CLUSTER NODES, shows 6 connected
// nodes, none failing, addr a replica.
func rejoined(nodes []clusterNodeLine, addr string) bool {
	if len(nodes) != 6 {
		return false
	}
	for _, n := range nodes {
		if !n.connected || n.failing() || n.addr == addr && !n.has("slave") {
			return false
		}
	}
	return true
}

// TestClusterWithoutReplicas kills a master that has no replica: its slots
// go unserved, the cluster is not healthy, and it serves them again once
// restarted.
func TestClusterWithoutReplicas(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, ClusterOptions{Replicas: -1})
	key := "{x}" + Namespace(t)
	m := c.MasterOf(t, key)
	c.Kill(t, m)
	c.Kill(t, m) // does nothing
	err := c.waitHealthy(time.Second)
	if err == nil || !strings.Contains(err.Error(), m+", which is not running") {
		t.Errorf("waitHealthy with %s killed: %v; want it to name %s not running", m, err, m)
	}
	if got := c.Masters(t); len(got) != 2 || slices.Contains(got, m) {
		t.Errorf("Masters() with %s killed = %v; want the 2 others", m, got)
	}
	c.Restart(t, m)
	c.WaitHealthy(t, 15*time.Second)
	if got := c.MasterOf(t, key); got != m {
		t.Errorf("MasterOf(%q) after Restart = %s; want %s again", key, got, m)
	}
	if got := c.Masters(t); len(got) != 3 {
		t.Errorf("Masters() after Restart = %v; want 3", got)
	}
}

func TestParseClusterNodes(t *testing.T) {
	const text = "" +
		"07c3 127.0.0.1:30004@40004 slave e7d1 0 1426238317239 4 connected\n" +
		"67ed 127.0.0.1:30002@40002,host2 master - 0 1426238316232 2 connected 5461-10922 [5460-<-292f]\n" +
		"292f 127.0.0.1:30003@40003 myself,master - 0 0 3 connected 10923-16383 0 1-5459\n" +
		"e7d1 127.0.0.1:30001@40001 master,fail - 1426238316232 1426238315000 1 disconnected\n"
	nodes, err := parseClusterNodes(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []clusterNodeLine{
		{id: "07c3", addr: "127.0.0.1:30004", flags: []string{"slave"}, masterID: "e7d1", connected: true},
		{id: "67ed", addr: "127.0.0.1:30002", flags: []string{"master"}, masterID: "-", connected: true, slots: [][2]int{{5461, 10922}}},
		{id: "292f", addr: "127.0.0.1:30003", flags: []string{"myself", "master"}, masterID: "-", connected: true, slots: [][2]int{{10923, 16383}, {0, 0}, {1, 5459}}},
		{id: "e7d1", addr: "127.0.0.1:30001", flags: []string{"master", "fail"}, masterID: "-"},
	}
	if fmt.Sprint(nodes) != fmt.Sprint(want) {
		t.Errorf("parseClusterNodes =\n%+v\nwant\n%+v", nodes, want)
	}
	masters := slotMasters(nodes)
	for _, tt := range []struct {
		slot int
		want string
	}{{0, "127.0.0.1:30003"}, {5459, "127.0.0.1:30003"}, {5460, ""}, {5461, "127.0.0.1:30002"}, {16383, "127.0.0.1:30003"}} {
		if got := masters[tt.slot]; got != tt.want {
			t.Errorf("slot %d: got master %q; want %q", tt.slot, got, tt.want)
		}
	}
	for _, bad := range []string{"a b c\n", "x 127.0.0.1:1@2 master - 0 0 1 connected 5-3\n", "x 127.0.0.1:1@2 master - 0 0 1 connected 16384\n"} {
		if _, err := parseClusterNodes(bad); err == nil {
			t.Errorf("parseClusterNodes(%q) succeeded; want an error", bad)
		}
	}
}

func TestReplicasAt(t *testing.T) {
	const info = "# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=7004,state=online,offset=1234,lag=0\r\nmaster_repl_offset:1234\r\n"
	for _, tt := range []struct {
		info   string
		offset int64
		want   bool
	}{
		{info, 1234, true},
		{info, 1000, true},
		{info, 1235, false},
		{"# Replication\r\nrole:master\r\nconnected_slaves:0\r\n", 0, false},
	} {
		if got := replicasAt(tt.info, tt.offset); got != tt.want {
			t.Errorf("replicasAt(…, %d) = %v; want %v", tt.offset, got, tt.want)
		}
	}
}
