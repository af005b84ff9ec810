// Command bench measures customergraph end to end and prints a Markdown
// table.
//
//	go run ./cmd/bench                                # every workload
//	go run ./cmd/bench -latency 0 -n 5000 -duration 10s
//	go run ./cmd/bench -workloads W1-warm,B-direct,B-proxy -json out.json
//	go run ./cmd/bench -list
//	go run ./cmd/bench -vendor komerza                # W0, W1 and W2 against Komerza
//	go run ./cmd/bench -peer-cmd 'node /path/to/server.mjs' -peer-name other
//	go run ./cmd/bench -redis-mode cluster -workloads W1-warm,W3
//	go run ./cmd/bench -latency 0 -c 1 -workloads W1-cold,B-proxy -rounds 8
//
// It builds the facade and the simulator (cmd/upstream-sim) into a
// temporary directory and starts them, and a redis-server, as separate
// processes on loopback; each facade workload gets a fresh facade process,
// with an empty cache namespace, so that its peak RSS and its cache are its
// own. Any of them can be given instead: -sim, -redis and -facade take the
// address of one already running, -facade-bin and -sim-bin a binary to
// start. Every address must be on loopback, and every request goes through
// a dialer that refuses anything else.
//
// Each workload is bounded by -n requests and -duration, whichever comes
// first, and stops by itself. Around each measured run bench resets the
// simulator's counters (after the warm-up) and reads them afterwards, and
// takes the difference of Redis's INFO commandstats. Children run in their
// own process groups and are stopped on exit, on error and on Ctrl-C.
//
// -vendor (tiquo, the default; komerza; xtrakit) picks the customer API:
// bench starts the simulator with that -vendor (and -store for Komerza) and
// the facade with UPSTREAM_VENDOR (and KOMERZA_STORE_ID). Only W0, W1-warm,
// W1-cold and W2 have variants for every vendor, and their rows are named
// after it, e.g. "W1-warm (komerza)"; the other workloads are Tiquo's, so
// "all" leaves them out and naming one is an error.
//
// -redis-mode cluster runs the facade on a Redis Cluster (REDIS_MODE=cluster):
// one of three masters with a replica each that bench starts itself, or the
// cluster -redis names a node of. Redis cmds/req is then summed over the
// masters.
//
// -rounds N runs the workloads N times in turn, in one session, each run
// with a fresh facade and cache namespace, and prints after the table each
// workload's medians over the rounds; with B-proxy among the workloads,
// also each workload's p50 over the proxy hop's in the same round, which
// is how a latency target relative to the proxy is best read on a shared
// machine.
//
// -peer-cmd (or -peer, the URL of one already running) runs the workloads
// whose documents need only the common part of a customer schema (see
// runsOnPeer) against another GraphQL server over the same simulator and
// Redis as well, alternating with customergraph per workload, and prints
// the two side by side with their ratios (see peer.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	interrupted := ctx.Err() != nil // before stop, which cancels ctx
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case interrupted:
		fmt.Fprintln(os.Stderr, "bench: interrupted; every process it started is stopped:", err)
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// config is bench's command line.
type config struct {
	n           int
	duration    time.Duration
	concurrency int
	rate        float64
	customers   int
	latency     time.Duration
	workloads   string
	rounds      int
	vendor      vendor
	store       string // Komerza's store ID
	list        bool
	jsonPath    string

	facadeBin string
	simBin    string
	facadeURL string
	facadePID int
	simURL    string
	redisAddr string
	redisMode string // redisSingle, redisCluster or redisMemory
	facadeKey string
	simKey    string

	peer peerConfig
}

// ownsFacade reports whether bench starts the facade itself.
func (c config) ownsFacade() bool { return c.facadeURL == "" }

// ownsSim reports whether bench starts the simulator itself.
func (c config) ownsSim() bool { return c.simURL == "" }

// parseFlags parses and checks the command line.
func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintln(out, "usage: go run ./cmd/bench [flags]")
		fmt.Fprintln(out, "\nRuns fixed workloads against customergraph on loopback and prints a Markdown table.")
		fmt.Fprintln(out, "\nflags:")
		fs.PrintDefaults()
	}
	fs.IntVar(&c.n, "n", 20000, "requests per workload (at most)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "duration per workload (at most)")
	fs.IntVar(&c.concurrency, "c", 64, "concurrent workers")
	fs.Float64Var(&c.rate, "rate", 0, "open loop: requests per second per workload, spread over the -c workers (0 = closed loop: each worker sends as fast as it is answered)")
	fs.IntVar(&c.customers, "customers", 20000, "simulator data set size (when bench starts the simulator)")
	fs.DurationVar(&c.latency, "latency", 20*time.Millisecond, "simulator latency per API request (when bench starts the simulator)")
	fs.StringVar(&c.workloads, "workloads", "all", "comma-separated workloads to run (see -list)")
	fs.IntVar(&c.rounds, "rounds", 1, "run the workloads this many times in turn, and print each one's medians over the rounds (with B-proxy among them, also each one's p50 over B-proxy's in the same round)")
	vendorName := fs.String("vendor", string(vendorTiquo), "the customer API of the simulator and the facade: tiquo, komerza or xtrakit")
	fs.StringVar(&c.store, "store", defaultKomerzaStore, "with -vendor komerza: the store ID (a UUID) of the simulator and the facade")
	fs.BoolVar(&c.list, "list", false, "list the workloads and exit")
	fs.StringVar(&c.jsonPath, "json", "", "also write the raw results to this file")
	fs.StringVar(&c.facadeBin, "facade-bin", "", "facade binary to start (default: go build . in the module)")
	fs.StringVar(&c.simBin, "sim-bin", "", "simulator binary to start (default: go build ./cmd/upstream-sim)")
	fs.StringVar(&c.facadeURL, "facade", "", "use this running facade (http://127.0.0.1:port) instead of starting one; needs -sim")
	fs.IntVar(&c.facadePID, "facade-pid", 0, "with -facade: its process ID, to report its peak RSS")
	fs.StringVar(&c.simURL, "sim", "", "use this running simulator (http://127.0.0.1:port) instead of starting one")
	fs.StringVar(&c.redisAddr, "redis", "", "use this running Redis (127.0.0.1:port; with -redis-mode cluster, a node of the cluster) instead of starting redis-server; with -peer or -peer-cmd, bench empties its database 0 (FLUSHDB) before every run, so give a Redis of its own")
	fs.StringVar(&c.redisMode, "redis-mode", redisSingle, "single: one redis-server; cluster: a Redis Cluster of 3 masters and 3 replicas started by bench, or the cluster -redis is a node of (the facade runs with REDIS_MODE=cluster); memory: no Redis, the facade's in-process cache (what the facade costs without its Redis round trips)")
	fs.StringVar(&c.facadeKey, "facade-key", "bench-key", "client key the facade accepts")
	fs.StringVar(&c.simKey, "sim-key", "sim-key", "API key the simulator accepts")
	c.peer.register(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	v, err := parseVendor(*vendorName)
	if err != nil {
		return c, err
	}
	c.vendor = v
	storeSet := false
	fs.Visit(func(f *flag.Flag) { storeSet = storeSet || f.Name == "store" })
	if storeSet && c.vendor != vendorKomerza {
		return c, fmt.Errorf("-store goes with -vendor komerza, not %s", c.vendor)
	}
	c.store = strings.ToLower(strings.TrimSpace(c.store))
	if err := c.check(); err != nil {
		return c, err
	}
	return c, c.checkPeer(fs)
}

// check validates the flags' values together.
func (c config) check() error {
	switch {
	case c.n < 1:
		return errors.New("-n must be at least 1")
	case c.duration <= 0:
		return errors.New("-duration must be positive")
	case c.rounds < 1 || c.rounds > 100:
		return errors.New("-rounds must be between 1 and 100")
	case c.rate < 0 || c.rate > 1_000_000:
		return errors.New("-rate must be between 0 and 1000000")
	case c.concurrency < 1 || c.concurrency > 10000:
		return errors.New("-c must be between 1 and 10000")
	case c.ownsSim() && (c.customers < minCustomers || c.customers > 1_000_000):
		return fmt.Errorf("-customers must be between %d and 1000000", minCustomers)
	case c.latency < 0:
		return errors.New("-latency must not be negative")
	case c.vendor == vendorKomerza && !uuidPattern.MatchString(c.store):
		return fmt.Errorf("-store %q is not a UUID such as %s", c.store, defaultKomerzaStore)
	case c.facadeURL != "" && c.simURL == "":
		return errors.New("-facade needs -sim, the simulator that facade uses: bench counts upstream calls there")
	case c.facadePID != 0 && c.facadeURL == "":
		return errors.New("-facade-pid goes with -facade")
	case c.facadeURL != "" && c.facadeBin != "", c.simURL != "" && c.simBin != "":
		return errors.New("give a running process (-facade, -sim) or a binary to start (-facade-bin, -sim-bin), not both")
	case c.redisMode != redisSingle && c.redisMode != redisCluster && c.redisMode != redisMemory:
		return fmt.Errorf("-redis-mode %q: want single, cluster or memory", c.redisMode)
	case c.redisMode == redisMemory && c.facadeURL != "":
		return errors.New("-redis-mode memory starts the facade without Redis: leave out -facade")
	case c.redisMode == redisMemory && c.redisAddr != "":
		return errors.New("-redis-mode memory runs the facade without Redis: leave out -redis")
	case c.redisMode == redisMemory && c.peer.on():
		return errors.New("-redis-mode memory runs customergraph alone: the peers compared with -peer or -peer-cmd cache in Redis")
	case c.redisMode == redisCluster && c.peer.on():
		return errors.New("-redis-mode cluster runs customergraph alone: the peers compared with -peer or -peer-cmd use one Redis server")
	case c.rounds > 1 && c.peer.on():
		return errors.New("-rounds runs customergraph alone: a side-by-side run alternates the servers per workload already")
	}
	if c.facadeURL != "" {
		if err := checkLoopbackURL(c.facadeURL); err != nil {
			return fmt.Errorf("-facade: %w", err)
		}
	}
	if c.simURL != "" {
		if err := checkLoopbackURL(c.simURL); err != nil {
			return fmt.Errorf("-sim: %w", err)
		}
	}
	if c.redisAddr != "" {
		if err := checkLoopbackAddr(c.redisAddr); err != nil {
			return fmt.Errorf("-redis: %w", err)
		}
	}
	return nil
}

// run is the whole command: the B-proxy process when args ask for it, else
// the benchmark.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if isProxyMode(args) {
		return runProxy(ctx, args, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.list {
		for _, w := range allWorkloads() {
			if w.runsOn(cfg.vendor) {
				fmt.Fprintf(stdout, "%-9s %s\n", w.name, w.about)
			}
		}
		return nil
	}
	ws, err := selectWorkloads(cfg.workloads, cfg.vendor)
	if err != nil {
		return err
	}
	if cfg.peer.on() {
		if ws, err = peerWorkloads(ws, cfg.workloads); err != nil {
			return err
		}
	}

	tmp, err := os.MkdirTemp("", "customergraph-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	procs := newSupervisor(tmp)
	defer procs.close() // runs before RemoveAll: children first
	b := &bench{
		cfg:    cfg,
		log:    stderr,
		tmp:    tmp,
		procs:  procs,
		client: newClient(max(cfg.concurrency, burstSize)),
		runID:  time.Now().UTC().Format("20060102T150405") + "-" + strconv.Itoa(os.Getpid()),
	}
	defer b.close()
	if err := b.setUp(ctx, ws); err != nil {
		return err
	}

	h := b.header()
	// The servers each workload runs against, in turn: customergraph
	// (""), then the peer in a side-by-side run.
	servers := []string{""}
	if cfg.peer.on() {
		servers = append(servers, cfg.peer.name)
	}
	var (
		rows  []row
		pairs []pair
	)
	failed, runs := 0, 0
	for round := 1; round <= cfg.rounds; round++ {
		if cfg.rounds > 1 {
			b.round = round
			b.progress("round %d of %d", round, cfg.rounds)
		}
		for _, w := range ws {
			var got [2][]row
			for i, server := range servers {
				b.onPeer = server != ""
				name := cfg.vendor.label(w.name)
				if b.onPeer {
					name += " on " + server
				}
				b.progress("%s: %s", name, w.about)
				start := time.Now()
				rs, err := w.run(ctx, b)
				if ctx.Err() != nil {
					return fmt.Errorf("interrupted during %s", name)
				}
				runs++
				if err != nil {
					failed++
					b.progress("%s failed: %v", name, err)
					msg, _, _ := strings.Cut(err.Error(), "\n")
					rs = append(rs, row{Workload: cfg.vendor.label(w.name), Notes: []string{"error: " + msg}})
				}
				for j := range rs {
					rs[j].Server = server
					rs[j].Round = b.round
				}
				got[i] = rs
				rows = append(rows, rs...)
				b.progress("%s done in %s", name, time.Since(start).Round(10*time.Millisecond))
			}
			if cfg.peer.on() {
				pairs = append(pairs, pairRows(got[0], got[1])...)
			}
		}
	}
	b.onPeer = false

	fmt.Fprintln(stdout)
	if err := writeReport(stdout, h, rows, pairs); err != nil {
		return err
	}
	if cfg.jsonPath != "" {
		if err := writeJSONFile(cfg.jsonPath, h, rows, pairs); err != nil {
			return fmt.Errorf("write -json: %w", err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d workload runs failed", failed, runs)
	}
	return nil
}

// bench is one benchmark session: the system under test, the processes it
// runs as, and the clients that load and observe it.
type bench struct {
	cfg    config
	log    io.Writer // progress lines
	tmp    string    // binaries and children's logs
	procs  *supervisor
	client *http.Client
	runID  string // makes the cache namespaces of this session unique

	sim       *simClient
	redisAddr string      // the facade's Redis; "" with -facade and no -redis
	redis     *redisStats // nil when Redis commands are not counted
	ownRedis  bool        // bench started the Redis: the facade is its only client
	// redisNodes are the nodes of the Redis Cluster bench started; nil
	// on one server or a cluster given with -redis.
	redisNodes []string
	facadeBin  string // "" with -facade
	simBin     string // "" with -sim
	customers  []simCustomer
	// spare are customers no workload asks for, the warm-up's in peer
	// mode (see levelStart); they are not in customers.
	spare []simCustomer
	// onPeer makes the workloads run against the peer (see onFacade).
	onPeer bool
	// round is the round under way with -rounds above 1, else 0.
	round int
}

// progress prints a progress line on stderr.
func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.log, "bench: "+format+"\n", args...)
}

// close releases the clients; the supervisor stops the processes.
func (b *bench) close() {
	if b.redis != nil {
		b.redis.Close()
	}
	b.client.CloseIdleConnections()
}

// header describes this session for the report.
func (b *bench) header() header {
	h := header{
		Date:        time.Now(),
		Vendor:      string(b.cfg.vendor),
		NumCPU:      runtime.NumCPU(),
		GOMAXPROCS:  runtime.GOMAXPROCS(0),
		GoVersion:   runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		SimLatency:  b.cfg.latency.String(),
		Customers:   strconv.Itoa(b.cfg.customers),
		Concurrency: b.cfg.concurrency,
		Rate:        b.cfg.rate,
		N:           b.cfg.n,
		Duration:    b.cfg.duration,
	}
	if v := b.cfg.vendor; v != vendorTiquo {
		h.Notes = append(h.Notes, vendorNote(v, b.cfg.store))
	}
	if !b.cfg.ownsSim() {
		h.SimLatency, h.Customers = "external", "external"
		h.Notes = append(h.Notes, "simulator "+b.cfg.simURL+" given with -sim: its latency and size are its own.")
	}
	switch {
	case b.cfg.redisMode == redisMemory:
		h.Notes = append(h.Notes, "Redis: none (-redis-mode memory): the facade caches in its own memory, so its rows show what it costs without its Redis round trips; Redis cmds/req is n/a.")
	case b.ownRedis && b.cfg.redisMode == redisCluster:
		h.Notes = append(h.Notes, fmt.Sprintf("Redis: a Redis Cluster of %d masters with %d replica each, started by bench; the facade (REDIS_MODE=cluster) is its only client, so Redis cmds/req, summed over the masters, is the facade's alone.", clusterMasters, clusterReplicas))
	case b.redis != nil && b.cfg.redisMode == redisCluster:
		h.Notes = append(h.Notes, "Redis: the Redis Cluster of "+b.cfg.redisAddr+", given with -redis and -redis-mode cluster; Redis cmds/req, summed over its masters, counts every client.")
	case b.ownRedis && b.cfg.peer.on():
		h.Notes = append(h.Notes, "Redis: redis-server started by bench; bench starts both servers, one at a time, so Redis cmds/req is the measured server's alone.")
	case b.ownRedis:
		h.Notes = append(h.Notes, "Redis: redis-server started by bench; the facade is its only client, so Redis cmds/req is the facade's alone.")
	case b.redis != nil:
		h.Notes = append(h.Notes, "Redis: "+b.cfg.redisAddr+" given with -redis; Redis cmds/req counts every client of that server, so it is the facade's only if the facade is its only client.")
	default:
		h.Notes = append(h.Notes, "Redis cmds/req: n/a (give -redis with the facade's Redis to count them).")
	}
	if b.redis != nil {
		h.Notes = append(h.Notes, "Redis cmds/req is the difference of INFO commandstats, INFO left out: commands run inside Lua scripts count too (one EVALSHA reading two keys is 3), and -json splits them by command.")
	}
	if b.cfg.ownsFacade() {
		h.Notes = append(h.Notes, "Facade: a fresh process per workload, with an empty cache namespace; peak RSS is its VmHWM at the end of the row's run.")
	} else {
		rss := "peak RSS is n/a (give -facade-pid)"
		if b.cfg.facadePID != 0 {
			rss = "peak RSS is its VmHWM since it started, not per workload"
		}
		h.Notes = append(h.Notes, "Facade: "+b.cfg.facadeURL+" given with -facade: its cache is not fresh, so cold rows may be warm; "+rss+".")
	}
	if b.cfg.peer.on() {
		h.Peer = b.cfg.peer.name
		h.Notes = append(h.Notes, b.peerNotes()...)
	}
	h.Notes = append(h.Notes, fmt.Sprintf("The load generator, the facade, the simulator and Redis share this machine's %d CPUs.", runtime.NumCPU()))
	return h
}
