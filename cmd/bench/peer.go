package main

// Side by side: the workloads against customergraph and against another
// GraphQL server (the peer) over the same simulator and Redis.
//
// With -peer-cmd, bench starts the peer afresh for every workload, as it
// does the facade: sh -c runs the command with PORT, UPSTREAM_URL,
// UPSTREAM_API_KEY and REDIS_URL set to a free loopback port, bench's
// simulator, its key and bench's Redis, and the peer must serve GraphQL
// at http://127.0.0.1:$PORT followed by -peer-path. With -peer, it is the
// GraphQL endpoint of a peer already running over the -sim and -redis
// given.
//
// For every workload, customergraph runs first and the peer second, each
// against a fresh process where bench starts them. Before each server's
// run bench gives it -peer-warmup of unmeasured customer(email:) lookups of
// customers that no workload asks for (a JIT compiler and connection pools
// warm up), then empties Redis with FLUSHDB: every run starts with an
// empty cache, so cold rows are cold for both and neither server reuses
// what the other cached.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// spareCustomers is how many customers with an email bench keeps out of
// every workload in peer mode, for the warm-up lookups (at most a quarter
// of those the simulator has).
const spareCustomers = 1000

// peerConfig is the command line's peer part.
type peerConfig struct {
	url    string // -peer: a running peer's GraphQL endpoint
	cmd    string // -peer-cmd: the shell command that starts one
	path   string // -peer-path: the endpoint's path, with -peer-cmd
	name   string // -peer-name: its name in the tables
	key    string // -peer-key: sent as Authorization: Bearer
	pid    int    // -peer-pid: with -peer, the process whose tree's RSS is reported
	warmup time.Duration
}

// on reports whether bench runs side by side with a peer.
func (p peerConfig) on() bool { return p.url != "" || p.cmd != "" }

// register defines the peer flags on fs.
func (p *peerConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&p.cmd, "peer-cmd", "", "side by side: start another GraphQL server per workload with this shell command "+
		"(sh -c, with PORT, UPSTREAM_URL, UPSTREAM_API_KEY and REDIS_URL set to bench's), and run the workloads the peer can run against it too")
	fs.StringVar(&p.url, "peer", "", "side by side with a running GraphQL server: its endpoint (http://127.0.0.1:port/path); needs -sim and -redis, the ones it uses")
	fs.StringVar(&p.path, "peer-path", "/", "with -peer-cmd: the path of the peer's GraphQL endpoint")
	fs.StringVar(&p.name, "peer-name", "peer", "with -peer or -peer-cmd: the peer's name in the tables")
	fs.StringVar(&p.key, "peer-key", "", "with -peer or -peer-cmd: a client key to send the peer as Authorization: Bearer (default: none)")
	fs.IntVar(&p.pid, "peer-pid", 0, "with -peer: its process ID, to report the peak RSS of its process tree")
	fs.DurationVar(&p.warmup, "peer-warmup", 2*time.Second, "with -peer or -peer-cmd: unmeasured lookups each server gets before each workload, after which Redis is flushed (0: none)")
}

// checkPeer validates the peer flags, with the rest of the command line.
// fs tells which flags were given.
func (c config) checkPeer(fs *flag.FlagSet) error {
	p := c.peer
	if !p.on() {
		var set []string
		fs.Visit(func(f *flag.Flag) {
			if strings.HasPrefix(f.Name, "peer-") {
				set = append(set, "-"+f.Name)
			}
		})
		if len(set) > 0 {
			return fmt.Errorf("%s goes with -peer or -peer-cmd", strings.Join(set, ", "))
		}
		return nil
	}
	pathSet := false
	fs.Visit(func(f *flag.Flag) { pathSet = pathSet || f.Name == "peer-path" })
	name := strings.TrimSpace(p.name)
	switch {
	case p.url != "" && p.cmd != "":
		return errors.New("give -peer (a running peer) or -peer-cmd (a command that starts one), not both")
	case strings.TrimSpace(p.cmd) == "" && p.url == "":
		return errors.New("-peer-cmd is empty")
	case p.url != "" && (c.simURL == "" || c.redisAddr == ""):
		return errors.New("-peer needs -sim and -redis, the simulator and the Redis that peer uses: bench counts calls there and flushes that Redis")
	case p.pid != 0 && p.url == "":
		return errors.New("-peer-pid goes with -peer; bench knows the process it starts with -peer-cmd")
	case pathSet && p.cmd == "":
		return errors.New("-peer-path goes with -peer-cmd; with -peer the path is the URL's")
	case !strings.HasPrefix(p.path, "/"):
		return fmt.Errorf("-peer-path %q must start with /", p.path)
	case name == "" || strings.ContainsAny(name, "|[]\n") || strings.EqualFold(name, "customergraph") || strings.EqualFold(name, "cg"):
		return fmt.Errorf("-peer-name %q: want a short name other than customergraph, without | [ ]", p.name)
	case p.warmup < 0:
		return errors.New("-peer-warmup must not be negative")
	case !c.ownsFacade() && c.redisAddr == "":
		return errors.New("-facade with a peer needs -redis, the Redis both servers use")
	}
	if p.url != "" {
		if err := checkLoopbackURL(p.url); err != nil {
			return fmt.Errorf("-peer: %w", err)
		}
	}
	return nil
}

// runsOnPeer reports whether w can run against a peer: its documents use
// only { __typename }, customer(email:), customerByIdentifier(identifier:),
// customers(first:) { nodes } and the Customer fields id, customerNumber,
// displayName, email, phone, status and W2's detail field — what a schema
// over the same customer API is expected to have. W5 asks for every field
// of customergraph's Customer; the baselines are not GraphQL.
func (w workload) runsOnPeer() bool {
	switch w.name {
	case "W0", "W1-warm", "W1-cold", "W2", "W3", "W4":
		return true
	}
	return false
}

// peerWorkloads keeps of ws, selected from list, the workloads that run
// against a peer: with "all" it drops the others, and naming one of them
// is an error.
func peerWorkloads(ws []workload, list string) ([]workload, error) {
	all := strings.TrimSpace(list) == "" || strings.EqualFold(strings.TrimSpace(list), "all")
	var out, not, can []workload
	for _, w := range ws {
		if w.runsOnPeer() {
			out = append(out, w)
		} else {
			not = append(not, w)
		}
	}
	for _, w := range allWorkloads() {
		if w.runsOnPeer() {
			can = append(can, w)
		}
	}
	if len(not) > 0 && !all {
		return nil, fmt.Errorf("%s cannot run against a peer (W5 asks for fields only customergraph has; the baselines are not GraphQL): with -peer or -peer-cmd, pick from %s",
			names(not), names(can))
	}
	if len(out) == 0 {
		return nil, errors.New("no workload to run against the peer")
	}
	return out, nil
}

// names returns the workloads' names, comma-separated.
func names(ws []workload) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = w.name
	}
	return strings.Join(s, ",")
}

// splitSpare returns cs without its last k customers that have an email,
// and those k customers, in order; fewer when cs has not so many.
func splitSpare(cs []simCustomer, k int) (rest, spare []simCustomer) {
	i := len(cs)
	n := 0
	for i > 0 && n < k {
		i--
		if cs[i].Email != "" {
			n++
		}
	}
	for _, c := range cs[i:] {
		if c.Email != "" {
			spare = append(spare, c)
		}
	}
	return cs[:i], spare
}

// reserveSpare sets aside the warm-up's customers: the last ones with an
// email that bench read, at most spareCustomers and a quarter of them.
func (b *bench) reserveSpare() {
	emails := 0
	for _, c := range b.customers {
		if c.Email != "" {
			emails++
		}
	}
	b.customers, b.spare = splitSpare(b.customers, min(spareCustomers, emails/4))
}

// startPeer starts the peer for the workload name with -peer-cmd and waits
// until it answers { __typename }; with -peer it returns the peer given.
func (b *bench) startPeer(ctx context.Context, name string) (*facade, error) {
	p := b.cfg.peer
	if p.url != "" {
		return &facade{endpoint: p.url, key: p.key, pid: p.pid}, nil
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		return nil, errors.New("sh is not on PATH: it runs -peer-cmd")
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	env := withEnv(os.Environ(), map[string]string{
		"PORT":             port,
		"UPSTREAM_URL":     b.sim.url,
		"UPSTREAM_API_KEY": b.cfg.simKey,
		"REDIS_URL":        "redis://" + b.redisAddr,
	})
	c, err := b.procs.start("peer-"+name, sh, []string{"-c", p.cmd}, env)
	if err != nil {
		return nil, err
	}
	f := &facade{endpoint: "http://" + addr + p.path, key: p.key, pid: c.pid(), proc: c}
	probe := func(ctx context.Context) error {
		res, _, err := runOne(ctx, b.client, f.gql(gqlBody(queryTypename, nil)))
		if err == nil && res.failed > 0 {
			err = errors.New(res.failures[0].Message)
		}
		return err
	}
	if err := waitReady(ctx, c, probe); err != nil {
		_ = c.stop(killGrace)
		return nil, fmt.Errorf("-peer-cmd: %w", err)
	}
	return f, nil
}

// levelStart is what every server gets in peer mode before a workload:
// -peer-warmup of lookups of the spare customers, then FLUSHDB.
func (b *bench) levelStart(ctx context.Context, f *facade) error {
	if d := b.cfg.peer.warmup; d > 0 && len(b.spare) > 0 {
		bodies := byEmailBodies(b.spare)
		res, err := runLoad(ctx, b.client, loadSpec{
			n: max(1, int(d.Seconds()*100_000)), duration: d, concurrency: b.cfg.concurrency,
			request: func(i int) request { return f.gql(bodies[i%len(bodies)]) },
		})
		switch {
		case err != nil:
			return err
		case res.failed > 0:
			return fmt.Errorf("-peer-warmup: %d of %d lookups failed, e.g. %s", res.failed, res.requests, res.failures[0].Message)
		}
	}
	if err := b.redis.flushDB(ctx); err != nil {
		return fmt.Errorf("FLUSHDB before the run: %w", err)
	}
	return nil
}

// peerNotes are the report's notes on a side-by-side run.
func (b *bench) peerNotes() []string {
	p := b.cfg.peer
	var how string
	if p.cmd != "" {
		how = fmt.Sprintf("started afresh for every workload with sh -c %s, PORT, UPSTREAM_URL, UPSTREAM_API_KEY and REDIS_URL set to bench's, GraphQL at %s", quoteCmd(p.cmd), p.path)
	} else {
		how = p.url + ", given with -peer: not a fresh process per workload"
		if p.pid == 0 {
			how += "; its peak RSS is n/a (give -peer-pid)"
		} else {
			how += "; its peak RSS is that of its process tree since it started"
		}
	}
	return []string{
		fmt.Sprintf("Side by side with %s: %s.", p.name, how),
		fmt.Sprintf("Every workload runs against customergraph, then against %s, on the same simulator and Redis. Before each server's run, bench sends it %s of unmeasured customer(email:) lookups of %d customers no workload asks for, then FLUSHDB empties Redis: each run starts with an empty cache, so cold rows are cold for both, and neither reuses what the other cached.",
			p.name, p.warmup, len(b.spare)),
		"Peak RSS, for both, is the sum of the VmHWM of every process of the server's process tree (a cluster's primary and workers, a shell that started them) at the end of the run, warm-up included: each process's own peak, so never less than the tree's peak at any one moment.",
		fmt.Sprintf("Ratios are customergraph's figure over %s's: a req/s ratio above 1 and a p99 ratio below 1 are in customergraph's favour.", p.name),
	}
}

// quoteCmd returns cmd in backquotes for the report, or its length when it
// would not fit in a note.
func quoteCmd(cmd string) string {
	cmd = strings.Join(strings.Fields(cmd), " ")
	if len(cmd) > 300 {
		return "(" + strconv.Itoa(len(cmd)) + " characters)"
	}
	return "`" + strings.ReplaceAll(cmd, "`", "'") + "`"
}

// pair is one line of the side-by-side table: a row of customergraph's
// and the peer's row of the same name; either may be missing.
type pair struct {
	Workload string `json:"workload"`
	cg, peer *row
	// ReqPerSecRatio and P99Ratio are customergraph's over the peer's,
	// nil when either side lacks the figure.
	ReqPerSecRatio *float64 `json:"reqPerSecRatio"`
	P99Ratio       *float64 `json:"p99Ratio"`
}

// pairRows pairs customergraph's rows of a workload with the peer's by
// name, in customergraph's order, then any peer row without a match.
func pairRows(cg, peer []row) []pair {
	used := make([]bool, len(peer))
	var out []pair
	for i := range cg {
		p := pair{Workload: cg[i].Workload, cg: &cg[i]}
		for j := range peer {
			if !used[j] && peer[j].Workload == cg[i].Workload {
				used[j], p.peer = true, &peer[j]
				break
			}
		}
		out = append(out, p)
	}
	for j := range peer {
		if !used[j] {
			out = append(out, pair{Workload: peer[j].Workload, peer: &peer[j]})
		}
	}
	for i := range out {
		out[i].ratios()
	}
	return out
}

// ratios sets the pair's ratios from its rows.
func (p *pair) ratios() {
	p.ReqPerSecRatio, p.P99Ratio = nil, nil
	if p.cg == nil || p.peer == nil {
		return
	}
	if p.cg.ReqPerSec > 0 && p.peer.ReqPerSec > 0 {
		r := p.cg.ReqPerSec / p.peer.ReqPerSec
		p.ReqPerSecRatio = &r
	}
	if p.cg.Requests > 0 && p.peer.Requests > 0 && p.cg.P99ms > 0 && p.peer.P99ms > 0 {
		r := p.cg.P99ms / p.peer.P99ms
		p.P99Ratio = &r
	}
}

// comparisonColumns returns the side-by-side table's columns; peer is the
// peer's name.
func comparisonColumns(peer string) []column {
	cols := []column{{"workload", false}}
	for _, c := range []struct{ title, ratio string }{
		{"req/s", "req/s ratio"}, {"p50/p99 ms", "p99 ratio"}, {"upstream calls/req", ""},
		{"Redis cmds/req", ""}, {"peak RSS MB", ""}, {"failed", ""},
	} {
		cols = append(cols, column{c.title + " cg", true}, column{c.title + " " + peer, true})
		if c.ratio != "" {
			cols = append(cols, column{c.ratio, true})
		}
	}
	return cols
}

// cells formats the pair's line of the side-by-side table.
func (p pair) cells() []string {
	side := func(r *row, f func(r *row) string) string {
		if r == nil {
			return "—"
		}
		return f(r)
	}
	both := func(f func(r *row) string) []string { return []string{side(p.cg, f), side(p.peer, f)} }
	reqs := func(r *row) string {
		if r.ReqPerSec <= 0 {
			return "n/a"
		}
		return strconv.FormatFloat(r.ReqPerSec, 'f', 0, 64)
	}
	lat := func(r *row) string {
		if r.Requests == 0 {
			return "n/a"
		}
		return strconv.FormatFloat(r.P50ms, 'f', 2, 64) + " / " + strconv.FormatFloat(r.P99ms, 'f', 2, 64)
	}
	failed := func(r *row) string {
		if r.Requests == 0 {
			return "error"
		}
		return strconv.Itoa(r.Failed)
	}
	out := []string{p.Workload}
	out = append(out, both(reqs)...)
	out = append(out, ratioCell(p.ReqPerSecRatio))
	out = append(out, both(lat)...)
	out = append(out, ratioCell(p.P99Ratio))
	out = append(out, both(func(r *row) string { return r.upstreamCell() })...)
	out = append(out, both(func(r *row) string { return r.redisCell() })...)
	out = append(out, both(func(r *row) string { return rssCell(r.PeakRSSBytes) })...)
	out = append(out, both(failed)...)
	return out
}

// ratioCell formats a ratio with two decimals, "n/a" when nil.
func ratioCell(r *float64) string {
	if r == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*r, 'f', 2, 64) + "×"
}

// writeComparison prints the side-by-side table.
func writeComparison(w io.Writer, peer string, pairs []pair) error {
	cells := make([][]string, len(pairs))
	for i, p := range pairs {
		for _, c := range p.cells() {
			cells[i] = append(cells[i], escapeCell(c))
		}
	}
	_, err := io.WriteString(w, markdownTable(comparisonColumns(peer), cells))
	return err
}
