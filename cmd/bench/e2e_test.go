package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"customergraph/internal/cache/cachetest"
)

// TestEndToEnd builds the facade and the simulator, starts them and a
// redis-server, and runs W0 and W1-warm with 200 requests each. Without
// redis-server on PATH it uses the Redis in CUSTOMERGRAPH_REDIS_ADDR, as
// the other Redis tests do, else it skips, or fails when CI is set.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the facade, the simulator and Redis")
	}
	args := []string{
		"-workloads", "W0,W1-warm", "-n", "200", "-duration", "10s", "-c", "8",
		"-customers", "1000", "-latency", "0",
	}
	ownRedis := true
	if _, err := exec.LookPath("redis-server"); err != nil {
		addr := os.Getenv("CUSTOMERGRAPH_REDIS_ADDR")
		switch {
		case addr != "":
			args, ownRedis = append(args, "-redis", addr), false
		case (os.Getenv("CI") != "" || os.Getenv("CUSTOMERGRAPH_REQUIRE_REDIS") != ""):
			t.Fatal("CI (or CUSTOMERGRAPH_REQUIRE_REDIS) is set but there is no redis-server on PATH and CUSTOMERGRAPH_REDIS_ADDR is unset")
		default:
			t.Skip("no redis-server on PATH and CUSTOMERGRAPH_REDIS_ADDR is unset")
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	b := runBench(ctx, t, args, "| W0 ", "| W1-warm ", "sim latency 0s", "1000 customers")
	rows := reportRows(t, b, 2)
	for _, r := range rows {
		if r.Requests != 200 || r.Failed != 0 || r.P50ms <= 0 || r.P99ms < r.P50ms {
			t.Errorf("%s: %d requests, %d failed, p50 %.2f, p99 %.2f; want 200, 0 and sane latencies", r.Workload, r.Requests, r.Failed, r.P50ms, r.P99ms)
		}
		if r.Upstream == nil || r.Upstream.Total != 0 {
			t.Errorf("%s: upstream %+v, want 0 calls (W1-warm is warmed before the run)", r.Workload, r.Upstream)
		}
		if r.RedisCommands == nil {
			t.Errorf("%s: Redis commands not counted", r.Workload)
		}
		if _, err := os.Stat("/proc/self/status"); err == nil && r.PeakRSSBytes <= 0 {
			t.Errorf("%s: no peak RSS", r.Workload)
		}
	}
	// A shared Redis counts other tests' commands too.
	if w0 := rows[0]; ownRedis && w0.RedisCommands != nil && *w0.RedisCommands != 0 {
		t.Errorf("W0 made %d Redis commands, want 0", *w0.RedisCommands)
	}
}

// TestEndToEndCluster runs W1-warm on a Redis Cluster that bench starts
// (-redis-mode cluster): every request from the cache, the Redis commands
// counted over the masters, and the report saying where they ran.
func TestEndToEndCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the facade, the simulator and six Redis nodes")
	}
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") != "" || os.Getenv("CUSTOMERGRAPH_REQUIRE_REDIS") != "" {
				t.Fatalf("CI (or CUSTOMERGRAPH_REQUIRE_REDIS) is set but there is no %s on PATH", bin)
			}
			t.Skipf("no %s on PATH", bin)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	b := runBench(ctx, t, []string{"-redis-mode", "cluster", "-workloads", "W1-warm", "-n", "300", "-duration", "10s", "-c", "8",
		"-customers", "1000", "-latency", "0"}, "| W1-warm ", "a Redis Cluster of 3 masters with 1 replica each")
	rows := reportRows(t, b, 1)
	r := rows[0]
	if r.Requests != 300 || r.Failed != 0 || r.Upstream == nil || r.Upstream.Total != 0 {
		t.Errorf("W1-warm on a cluster: %d requests, %d failed, upstream %+v; want 300, 0 and no upstream call", r.Requests, r.Failed, r.Upstream)
	}
	// A lookup by email on a cluster: the alias, then its record.
	if r.RedisCommands == nil || *r.RedisCommands < 2*300 {
		t.Errorf("W1-warm on a cluster: %v Redis commands over the masters; want two GETs per request", r.RedisCommands)
	}
}

// TestEndToEndMemory runs W1-warm and W1-cold with -redis-mode memory: the
// facade caches in its own memory, whatever Redis the environment names.
// The environment names a redis-server the test starts, which must end
// the run without a command from the facade; the warm lookups
// cost no upstream call and the cold ones a get each.
func TestEndToEndMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the facade and the simulator")
	}
	srv := cachetest.StartServer(t, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	addr := srv.Addr
	watch := newRedisStats(addr, false)
	defer watch.Close()
	before, err := watch.commandCalls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("REDIS_URL", "redis://"+addr)
	b := runBench(ctx, t, []string{"-redis-mode", "memory", "-workloads", "W1-warm,W1-cold", "-n", "200", "-duration", "10s", "-c", "4",
		"-customers", "1000", "-latency", "0"}, "| W1-warm ", "| W1-cold ", "Redis: none (-redis-mode memory)")
	rows := reportRows(t, b, 2)
	for i, want := range []int64{0, 200} {
		r := rows[i]
		if r.Requests != 200 || r.Failed != 0 || r.Upstream == nil || r.Upstream.Total != want || r.Upstream.Get != want {
			t.Errorf("%s: %d requests, %d failed, upstream %+v; want 200, 0 and %d gets", r.Workload, r.Requests, r.Failed, r.Upstream, want)
		}
		if r.RedisCommands != nil {
			t.Errorf("%s: %d Redis commands counted; want none counted", r.Workload, *r.RedisCommands)
		}
	}
	after, err := watch.commandCalls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if by, n := commandDelta(before, after); n != 0 {
		t.Errorf("the environment's Redis got %d commands (%v) during the run; want none", n, by)
	}
}

// TestEndToEndSideBySide runs W1-warm and W1-cold side by side with a
// second customergraph process as the peer, started by -peer-cmd through
// sh with the environment bench gives it. The peer keeps one cache
// namespace across workloads, so W1-cold costs it a get per request only
// if Redis was emptied before its run: W1-warm cached 100 of its
// customers. It needs a redis-server of its own, which bench flushes.
func TestEndToEndSideBySide(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts two facades, the simulator and Redis")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("CUSTOMERGRAPH_REQUIRE_REDIS") != "" {
			t.Fatal("CI (or CUSTOMERGRAPH_REQUIRE_REDIS) is set but there is no redis-server on PATH: the side-by-side run flushes its Redis, so it needs one of its own")
		}
		t.Skip("no redis-server on PATH: the side-by-side run flushes its Redis, so it needs one of its own")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	root, err := moduleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "customergraph")
	if err := goBuild(ctx, root, ".", bin); err != nil {
		t.Fatal(err)
	}
	peerCmd := "FACADE_API_KEYS=twin-key UPSTREAM_BUDGET=0 CACHE_NAMESPACE=twin LOG_LEVEL=warn UPSTREAM_VENDOR= KOMERZA_STORE_ID= " +
		"'" + strings.ReplaceAll(bin, "'", `'\''`) + "'"
	args := []string{
		"-workloads", "W1-warm,W1-cold", "-n", "300", "-duration", "10s", "-c", "8",
		"-customers", "1000", "-latency", "0", "-facade-bin", bin,
		"-peer-cmd", peerCmd, "-peer-path", "/graphql", "-peer-key", "twin-key", "-peer-name", "twin", "-peer-warmup", "300ms",
	}
	b := runBench(ctx, t, args, "req/s ratio", "| W1-warm ", "| W1-cold [twin] ", "Side by side with twin")
	var rep struct {
		Rows       []row  `json:"rows"`
		Comparison []pair `json:"comparison"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Rows {
		got = append(got, r.label())
	}
	if strings.Join(got, ",") != "W1-warm,W1-warm [twin],W1-cold,W1-cold [twin]" {
		t.Fatalf("rows %q, want each workload against customergraph, then the peer", got)
	}
	for _, r := range rep.Rows {
		name := r.label()
		if r.Requests != 300 || r.Failed != 0 {
			t.Errorf("%s: %d requests, %d failed; want 300, 0: %v %v", name, r.Requests, r.Failed, r.Failures, r.Notes)
		}
		wantGets := int64(0)
		if r.Workload == "W1-cold" {
			wantGets = 300
		}
		if r.Upstream == nil || r.Upstream.Get != wantGets || r.Upstream.Total != wantGets {
			t.Errorf("%s: upstream %+v, want %d gets and nothing else", name, r.Upstream, wantGets)
		}
		if r.RedisCommands == nil || *r.RedisCommands == 0 {
			t.Errorf("%s: Redis commands %v, want them counted", name, r.RedisCommands)
		}
		if r.PeakRSSBytes <= 0 {
			t.Errorf("%s: no peak RSS", name)
		}
	}
	if len(rep.Comparison) != 2 {
		t.Fatalf("%d side-by-side lines, want 2", len(rep.Comparison))
	}
	for _, p := range rep.Comparison {
		if p.ReqPerSecRatio == nil || *p.ReqPerSecRatio <= 0 || p.P99Ratio == nil || *p.P99Ratio <= 0 {
			t.Errorf("%s: ratios %v, %v; want both", p.Workload, p.ReqPerSecRatio, p.P99Ratio)
		}
	}
}

// runBench runs the benchmark with args and -json, fails t if it fails or
// its printed report lacks any of want, and returns the JSON it wrote.
func runBench(ctx context.Context, t *testing.T, args []string, want ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	if err := run(ctx, append(args, "-json", out), &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	t.Logf("\n%s", stdout.String())
	for _, w := range want {
		if !strings.Contains(stdout.String(), w) {
			t.Errorf("the report lacks %q", w)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reportRows returns the rows of bench's -json report b, failing t unless
// there are n.
func reportRows(t *testing.T, b []byte, n int) []row {
	t.Helper()
	var rep struct {
		Rows []row `json:"rows"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != n {
		t.Fatalf("%d rows, want %d", len(rep.Rows), n)
	}
	return rep.Rows
}
