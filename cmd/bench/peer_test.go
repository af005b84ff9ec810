package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParsePeerFlags(t *testing.T) {
	c, err := parseFlags([]string{"-peer-cmd", "node /tmp/peer/index.mjs"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if p := c.peer; !p.on() || p.cmd != "node /tmp/peer/index.mjs" || p.path != "/" || p.name != "peer" || p.key != "" || p.warmup != 2*time.Second {
		t.Errorf("-peer-cmd defaults = %+v", p)
	}
	if c, err := parseFlags(nil, io.Discard); err != nil || c.peer.on() {
		t.Errorf("no peer flags: on = %v, %v", c.peer.on(), err)
	}
	running := []string{"-peer", "http://127.0.0.1:8090/", "-sim", "http://127.0.0.1:8081", "-redis", "127.0.0.1:6380", "-peer-pid", "42", "-peer-name", "other", "-peer-warmup", "0"}
	if c, err := parseFlags(running, io.Discard); err != nil || !c.peer.on() || c.peer.pid != 42 || c.peer.name != "other" || c.peer.warmup != 0 {
		t.Errorf("running peer: %+v, %v", c.peer, err)
	}
	if _, err := parseFlags([]string{"-peer-cmd", "x", "-peer-path", "/graphql", "-peer-key", "k", "-facade-bin", "/bin/true"}, io.Discard); err != nil {
		t.Errorf("-peer-path and -peer-key refused: %v", err)
	}
	for _, tc := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"-peer-name", "other"}, "-peer-name goes with -peer or -peer-cmd"},
		{[]string{"-peer-warmup", "1s", "-peer-key", "k"}, "-peer-key, -peer-warmup goes with"},
		{[]string{"-peer-cmd", "x", "-peer", "http://127.0.0.1:1/"}, "not both"},
		{[]string{"-peer-cmd", "  "}, "-peer-cmd is empty"},
		{[]string{"-peer", "http://127.0.0.1:1/", "-redis", "127.0.0.1:2"}, "-peer needs -sim and -redis"},
		{[]string{"-peer", "http://127.0.0.1:1/", "-sim", "http://127.0.0.1:2"}, "-peer needs -sim and -redis"},
		{[]string{"-peer", "http://10.1.2.3:1/", "-sim", "http://127.0.0.1:2", "-redis", "127.0.0.1:3"}, "not on loopback"},
		{[]string{"-peer", "ftp://127.0.0.1:1/", "-sim", "http://127.0.0.1:2", "-redis", "127.0.0.1:3"}, "want http://"},
		{[]string{"-peer-cmd", "x", "-peer-pid", "7"}, "-peer-pid goes with -peer"},
		{[]string{"-peer", "http://127.0.0.1:1/", "-sim", "http://127.0.0.1:2", "-redis", "127.0.0.1:3", "-peer-path", "/x"}, "-peer-path goes with -peer-cmd"},
		{[]string{"-peer-cmd", "x", "-peer-path", "graphql"}, "must start with /"},
		{[]string{"-peer-cmd", "x", "-peer-name", "customergraph"}, "-peer-name"},
		{[]string{"-peer-cmd", "x", "-peer-name", "CG"}, "-peer-name"},
		{[]string{"-peer-cmd", "x", "-peer-name", "a|b"}, "-peer-name"},
		{[]string{"-peer-cmd", "x", "-peer-name", " "}, "-peer-name"},
		{[]string{"-peer-cmd", "x", "-peer-warmup", "-1s"}, "-peer-warmup"},
		{[]string{"-peer-cmd", "x", "-facade", "http://127.0.0.1:1", "-sim", "http://127.0.0.1:2"}, "needs -redis"},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseFlags(%q) = %v, want an error about %q", tc.args, err, tc.want)
		}
	}
}

func TestPeerWorkloads(t *testing.T) {
	sel := func(list string) (string, error) {
		ws, err := selectWorkloads(list, vendorTiquo)
		if err != nil {
			t.Fatal(err)
		}
		ws, err = peerWorkloads(ws, list)
		return names(ws), err
	}
	if got, err := sel("all"); err != nil || got != "W0,W1-warm,W1-cold,W2,W3,W4" {
		t.Errorf("all = %s, %v", got, err)
	}
	if got, err := sel("w3, W1-warm"); err != nil || got != "W1-warm,W3" {
		t.Errorf("subset = %s, %v", got, err)
	}
	for _, list := range []string{"W1-warm,W5", "B-proxy", "B-direct,W0"} {
		if _, err := sel(list); err == nil || !strings.Contains(err.Error(), "cannot run against a peer") {
			t.Errorf("%s: %v, want an error", list, err)
		}
	}
	if _, err := peerWorkloads(nil, "all"); err == nil {
		t.Error("no workload at all is accepted")
	}
}

func TestSplitSpare(t *testing.T) {
	c := func(email string) simCustomer { return simCustomer{Number: "N" + email, Email: email} }
	cs := []simCustomer{c("a"), c(""), c("b"), c("c"), c(""), c("d"), c("")}
	rest, spare := splitSpare(cs, 2)
	if len(rest) != 3 || rest[2].Email != "b" || len(spare) != 2 || spare[0].Email != "c" || spare[1].Email != "d" {
		t.Errorf("splitSpare(2) = %v, %v", rest, spare)
	}
	if rest, spare := splitSpare(cs, 0); len(rest) != len(cs) || len(spare) != 0 {
		t.Errorf("splitSpare(0) = %v, %v", rest, spare)
	}
	if rest, spare := splitSpare(cs, 10); len(rest) != 0 || len(spare) != 4 {
		t.Errorf("splitSpare(10) = %v, %v", rest, spare)
	}
	b := &bench{customers: make([]simCustomer, 0, 100)}
	for i := range 100 {
		b.customers = append(b.customers, c(strconv.Itoa(i)))
	}
	b.reserveSpare()
	if len(b.spare) != 25 || len(b.customers) != 75 || b.spare[0].Email != "75" {
		t.Errorf("reserveSpare: %d spare from %s, %d left; want a quarter of 100, the last", len(b.spare), b.spare[0].Email, len(b.customers))
	}
}

// sideBySideRows are two servers' rows of W2, the peer's slower.
func sideBySideRows() (cg, peer []row) {
	redis := func(n int64) *int64 { return &n }
	cg = []row{
		{Workload: "W2 (first)", Requests: 1, P50ms: 10, P99ms: 10, Upstream: &simStats{List: 1, Get: 50, Total: 51}, RedisCommands: redis(300), PeakRSSBytes: 30 << 20},
		{Workload: "W2", Requests: 4000, ReqPerSec: 500, P50ms: 100, P99ms: 150, Upstream: &simStats{List: 4000, Total: 4000}, RedisCommands: redis(204000), PeakRSSBytes: 40 << 20},
	}
	peer = []row{
		{Workload: "W2 (first)", Server: "other", Requests: 1, P50ms: 40, P99ms: 40, Upstream: &simStats{List: 1, Get: 50, Total: 51}, RedisCommands: redis(22), PeakRSSBytes: 300 << 20},
		{Workload: "W2", Server: "other", Requests: 1000, Failed: 3, ReqPerSec: 125, P50ms: 400, P99ms: 600, Upstream: &simStats{List: 1000, Total: 1000}, RedisCommands: redis(2000), PeakRSSBytes: 320 << 20},
	}
	return cg, peer
}

func TestPairRows(t *testing.T) {
	cg, peer := sideBySideRows()
	pairs := pairRows(cg, peer)
	if len(pairs) != 2 {
		t.Fatalf("%d pairs, want 2", len(pairs))
	}
	first, warm := pairs[0], pairs[1]
	if first.Workload != "W2 (first)" || first.cg != &cg[0] || first.peer != &peer[0] || first.ReqPerSecRatio != nil || first.P99Ratio == nil || *first.P99Ratio != 0.25 {
		t.Errorf("first request pair = %+v", first)
	}
	if warm.ReqPerSecRatio == nil || *warm.ReqPerSecRatio != 4 || warm.P99Ratio == nil || *warm.P99Ratio != 0.25 {
		t.Errorf("warm pair ratios = %v, %v; want 4 and 0.25", warm.ReqPerSecRatio, warm.P99Ratio)
	}

	// The peer's run failed: its error row pairs with the row of the same
	// name and has no figures; the other row stands alone.
	failed := []row{{Workload: "W2", Server: "other", Notes: []string{"error: HTTP 400"}}}
	pairs = pairRows(cg, failed)
	if len(pairs) != 2 || pairs[0].peer != nil || pairs[1].peer != &failed[0] || pairs[1].ReqPerSecRatio != nil || pairs[1].P99Ratio != nil {
		t.Errorf("pairs with a failed peer = %+v", pairs)
	}
	if c := pairs[0].cells(); c[2] != "—" || c[3] != "n/a" || c[6] != "n/a" {
		t.Errorf("a pair without the peer's row: %q", c)
	}
	if c := pairs[1].cells(); c[2] != "n/a" || c[5] != "n/a" || c[8] != "n/a" || c[14] != "error" {
		t.Errorf("a pair with the peer's error row: %q", c)
	}
	// A peer row of a name customergraph lacks comes last, alone.
	pairs = pairRows(cg[:1], peer)
	if len(pairs) != 2 || pairs[1].Workload != "W2" || pairs[1].cg != nil || pairs[1].peer != &peer[1] {
		t.Errorf("unmatched peer row = %+v", pairs)
	}
}

func TestComparisonTable(t *testing.T) {
	cg, peer := sideBySideRows()
	var buf bytes.Buffer
	if err := writeComparison(&buf, "other", pairRows(cg, peer)); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"| workload   | req/s cg | req/s other | req/s ratio | p50/p99 ms cg | p50/p99 ms other | p99 ratio | upstream calls/req cg | upstream calls/req other | Redis cmds/req cg | Redis cmds/req other | peak RSS MB cg | peak RSS MB other | failed cg | failed other |\n" +
		"| ---------- | -------: | -----------: | ----------: | ------------: | ----------------: | --------: | --------------------: | ------------------------: | ----------------: | --------------------: | -------------: | -----------------: | --------: | ------------: |\n" +
		"| W2 (first) |      n/a |          n/a |         n/a | 10.00 / 10.00 |     40.00 / 40.00 |     0.25× |  51 (1 list + 50 get) |      51 (1 list + 50 get) |               300 |                    22 |           30.0 |              300.0 |         0 |             0 |\n" +
		"| W2         |      500 |          125 |       4.00× | 100.00 / 150.00 |   400.00 / 600.00 |     0.25× |    1 (1 list + 0 get) |        1 (1 list + 0 get) |                51 |                     2 |           40.0 |              320.0 |         0 |             3 |\n"
	// The widths follow the widest cell: compare cell by cell.
	gotLines, wantLines := strings.Split(buf.String(), "\n"), strings.Split(want, "\n")
	if len(gotLines) != len(wantLines) {
		t.Fatalf("side-by-side table:\n%s\nwant:\n%s", buf.String(), want)
	}
	for i := range wantLines {
		if i == 1 {
			continue // the separator's dashes depend on the widths
		}
		if g, w := strings.Fields(gotLines[i]), strings.Fields(wantLines[i]); strings.Join(g, " ") != strings.Join(w, " ") {
			t.Errorf("line %d:\n got %s\nwant %s", i, gotLines[i], wantLines[i])
		}
	}
	for _, l := range gotLines[:len(gotLines)-1] {
		if len([]rune(l)) != len([]rune(gotLines[0])) {
			t.Errorf("the table's lines do not line up:\n%s", buf.String())
			break
		}
	}
}

func TestWriteReportSideBySide(t *testing.T) {
	cg, peer := sideBySideRows()
	h := header{Date: time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC), NumCPU: 2, Peer: "other", Notes: []string{"Side by side with other."}}
	var buf bytes.Buffer
	if err := writeReport(&buf, h, append(cg, peer...), pairRows(cg, peer)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	side := strings.Index(out, "| workload   | req/s cg | req/s other | req/s ratio |")
	every := strings.Index(out, "| workload           | requests |")
	if side < 0 || every < side || !strings.Contains(out, "ratios are cg over other") {
		t.Fatalf("report: the side-by-side table, then every row, expected:\n%s", out)
	}
	for _, want := range []string{"| W2 (first) [other] |", "| W2 [other]         |", "| W2                 |"} {
		if !strings.Contains(out[every:], want) {
			t.Errorf("every row's table lacks %q:\n%s", want, out[every:])
		}
	}

	path := t.TempDir() + "/out.json"
	if err := writeJSONFile(path, h, append(cg, peer...), pairRows(cg, peer)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	var rep struct {
		Header     header `json:"header"`
		Rows       []row  `json:"rows"`
		Comparison []pair `json:"comparison"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Header.Peer != "other" || len(rep.Rows) != 4 || rep.Rows[2].Server != "other" || rep.Rows[0].Server != "" ||
		len(rep.Comparison) != 2 || rep.Comparison[0].ReqPerSecRatio != nil || rep.Comparison[1].ReqPerSecRatio == nil || *rep.Comparison[1].ReqPerSecRatio != 4 {
		t.Errorf("-json:\n%s", b)
	}
}
