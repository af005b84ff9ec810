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
		case os.Getenv("CI") != "":
			t.Fatal("CI is set but there is no redis-server on PATH and CUSTOMERGRAPH_REDIS_ADDR is unset")
		default:
			t.Skip("no redis-server on PATH and CUSTOMERGRAPH_REDIS_ADDR is unset")
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	err := run(ctx, append(args, "-json", out), &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	t.Logf("\n%s", stdout.String())

	for _, want := range []string{"| W0 ", "| W1-warm ", "sim latency 0s", "1000 customers"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Rows []row `json:"rows"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rep.Rows))
	}
	for _, r := range rep.Rows {
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
	if w0 := rep.Rows[0]; ownRedis && w0.RedisCommands != nil && *w0.RedisCommands != 0 {
		t.Errorf("W0 made %d Redis commands, want 0", *w0.RedisCommands)
	}
}
