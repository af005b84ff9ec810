package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestFmtNum(t *testing.T) {
	for x, want := range map[float64]string{
		0: "0", 1: "1", 51: "51", 2.5: "2.5", 1.809: "1.81", 0.005: "0.005", 0.0004: "0", 0.01: "0.01", 106.626: "106.63",
	} {
		if got := fmtNum(x); got != want {
			t.Errorf("fmtNum(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestCells(t *testing.T) {
	redis := int64(3000)
	w := row{
		Workload: "W2", Requests: 1000, Failed: 2, ReqPerSec: 459.6, P50ms: 126.274, P99ms: 326.2,
		Upstream:      &simStats{Get: 1810, List: 1000, Total: 2810},
		RedisCommands: &redis, PeakRSSBytes: 62 << 20,
		Notes:    []string{"repeated, warm"},
		Failures: []failure{{"HTTP 502: a|b", 2}},
	}
	got := strings.Join(w.cells(), " ; ")
	want := "W2 ; 1000 ; 2 ; 460 ; 126.27 ; 326.20 ; 2.81 (1 list + 1.81 get) ; 3 ; 62.0 ; repeated, warm; failed ×2: HTTP 502: a\\|b"
	if got != want {
		t.Errorf("cells:\n got %s\nwant %s", got, want)
	}

	single := row{Workload: "W3 (first)", Requests: 1, P50ms: 16.5, P99ms: 16.5, Upstream: &simStats{Get: 50, Total: 50}}
	if c := single.cells(); c[3] != "n/a" || c[6] != "50" || c[7] != "n/a" || c[8] != "n/a" {
		t.Errorf("single-request row cells = %q", c)
	}

	burst := row{Workload: "W4", Requests: 1000, Upstream: &simStats{Get: 5, Total: 5}, Bursts: 5}
	if c := burst.cells(); c[6] != "1 per burst" {
		t.Errorf("burst row upstream cell = %q", c[6])
	}

	failed := row{Workload: "W5", Notes: []string{"error: facade exited"}}
	if c := failed.cells(); c[1] != "0" || c[6] != "n/a" || c[9] != "error: facade exited" {
		t.Errorf("error row cells = %q", c)
	}
}

func TestMarkdownTable(t *testing.T) {
	got := markdownTable(tableColumns(), [][]string{
		{"W0", "20000", "0", "14172", "3.66", "13.97", "0", "0", "22.8", "framework floor"},
		{"B-proxy", "5", "0", "4557", "12.74", "128.69", "1", "n/a", "n/a", "ünïcode"},
	})
	want := "" +
		"| workload | requests | failed | req/s |   p50 |    p99 | upstream calls/req | Redis cmds/req | peak RSS (MB) | notes           |\n" +
		"| -------- | -------: | -----: | ----: | ----: | -----: | -----------------: | -------------: | ------------: | --------------- |\n" +
		"| W0       |    20000 |      0 | 14172 |  3.66 |  13.97 |                  0 |              0 |          22.8 | framework floor |\n" +
		"| B-proxy  |        5 |      0 |  4557 | 12.74 | 128.69 |                  1 |            n/a |           n/a | ünïcode         |\n"
	if got != want {
		t.Errorf("markdownTable:\n%s\nwant:\n%s", got, want)
	}
}

func TestWriteReport(t *testing.T) {
	var buf bytes.Buffer
	h := header{
		Date: time.Date(2025, 11, 23, 15, 4, 0, 0, time.UTC), NumCPU: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8 linux/amd64",
		SimLatency: "20ms", Customers: "20000", Concurrency: 64, N: 5000, Duration: 10 * time.Second,
		Notes: []string{"Redis: started by bench."},
	}
	if err := writeReport(&buf, h, []row{{Workload: "W0", Requests: 10, ReqPerSec: 100, Upstream: &simStats{}}}, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	wantHeader := "customergraph bench, 2025-11-23 15:04 UTC · NumCPU 2 · GOMAXPROCS 2 · go1.26.8 linux/amd64 · sim latency 20ms · 20000 customers · concurrency 64, closed loop · -n 5000 / -duration 10s per workload"
	if lines[0] != wantHeader {
		t.Errorf("header line:\n got %s\nwant %s", lines[0], wantHeader)
	}
	if lines[2] != "- Redis: started by bench." || !strings.HasPrefix(lines[4], "| workload ") || !strings.HasPrefix(lines[6], "| W0 ") {
		t.Errorf("report:\n%s", buf.String())
	}
}

func TestSummarizeRounds(t *testing.T) {
	rows := []row{
		{Workload: "W1-cold", Round: 1, Requests: 100, ReqPerSec: 1500, P50ms: 0.60, P99ms: 1.2},
		{Workload: "B-proxy", Round: 1, Requests: 100, ReqPerSec: 3000, P50ms: 0.30, P99ms: 0.8},
		{Workload: "W2 (first)", Round: 1, Requests: 1, P50ms: 15, P99ms: 15},
		{Workload: "W1-cold", Round: 2, Requests: 100, ReqPerSec: 1700, P50ms: 0.50, P99ms: 1.0},
		{Workload: "B-proxy", Round: 2, Requests: 100, ReqPerSec: 3200, P50ms: 0.28, P99ms: 0.7},
		{Workload: "W2 (first)", Round: 2, Requests: 1, P50ms: 13, P99ms: 13},
		{Workload: "W1-cold", Round: 3, Requests: 100, ReqPerSec: 1600, P50ms: 0.58, P99ms: 1.1},
		{Workload: "B-proxy", Round: 3, Notes: []string{"error: proxy exited"}}, // failed: no baseline this round
		{Workload: "W2 (first)", Round: 3, Requests: 1, P50ms: 14, P99ms: 14},
	}
	sums := summarizeRounds(rows)
	if len(sums) != 3 || sums[0].Workload != "W1-cold" || sums[1].Workload != "B-proxy" || sums[2].Workload != "W2 (first)" {
		t.Fatalf("summarizeRounds: got %+v; want W1-cold, B-proxy, W2 (first) in that order", sums)
	}
	cells := roundCells(sums)
	for i, want := range [][]string{
		{"W1-cold", "3", "0.58", "0.50–0.60", "1.10", "1600", "+0.26", "+0.30, +0.22"},
		{"B-proxy", "2", "0.29", "0.28–0.30", "0.75", "3100", "n/a", "n/a"},
		{"W2 (first)", "3", "14.00", "13.00–15.00", "14.00", "n/a", "+13.71", "+14.70, +12.72"},
	} {
		if got := strings.Join(cells[i], " ; "); got != strings.Join(want, " ; ") {
			t.Errorf("row %d:\n got %s\nwant %s", i, got, strings.Join(want, " ; "))
		}
	}
	if got := summarizeRounds([]row{{Workload: "W1-cold", Requests: 10}}); got != nil {
		t.Errorf("summarizeRounds of a run without rounds = %+v; want nil", got)
	}
}

func TestWriteReportRounds(t *testing.T) {
	var buf bytes.Buffer
	rows := []row{
		{Workload: "W1-cold", Round: 1, Requests: 10, P50ms: 0.6},
		{Workload: "B-proxy", Round: 1, Requests: 10, P50ms: 0.3},
		{Workload: "W1-cold", Round: 2, Requests: 10, P50ms: 0.5},
		{Workload: "B-proxy", Round: 2, Requests: 10, P50ms: 0.3},
	}
	if err := writeReport(&buf, header{}, rows, nil); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"| W1-cold #2 ", "Over 2 rounds", "| W1-cold  |    2 | 0.55 |", "+0.25 |", "+0.30, +0.20"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	buf.Reset()
	if err := writeReport(&buf, header{}, []row{{Workload: "W1-cold", Requests: 10}}, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "rounds") {
		t.Errorf("a report without -rounds has a table over rounds:\n%s", buf.String())
	}
}
