package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Sizes of the workloads.
const (
	warmSetSize  = 100 // W1-warm's and the baselines' emails
	w3Customers  = 50  // W3's distinct customers, each looked up twice
	burstSize    = 200 // W4's concurrent identical requests
	burstCount   = 5   // W4's bursts, each for another customer
	minCustomers = 200 // the smallest data set the workloads can use
	// warmupTimeout bounds a warm-up, which must finish completely.
	warmupTimeout = 60 * time.Second
)

// workload is one benchmark scenario. Its run returns the workload's rows
// of the table.
type workload struct {
	name   string
	about  string
	facade bool // runs against the facade; else a baseline without it
	run    func(ctx context.Context, b *bench) ([]row, error)
	// tiquoOnly, when set, says why the workload runs against Tiquo only;
	// "" is a workload with a variant for every vendor.
	tiquoOnly string
}

// runsOn reports whether the workload runs against vendor v.
func (w workload) runsOn(v vendor) bool { return w.tiquoOnly == "" || v == vendorTiquo }

// allWorkloads returns every workload, in the order they run.
func allWorkloads() []workload {
	return []workload{
		{"W0", "{ __typename }: the framework floor", true, runW0, ""},
		{"W1-warm", "customer(email:) over 100 emails requested once before the run", true, runW1Warm, ""},
		{"W1-cold", "customer(email:), every request a different customer", true, runW1Cold, ""},
		{"W2", "customers(first: 50) with a detail field: the first request (cold), then repeated (warm)", true, runW2, ""},
		{"W3", "100 aliased customerByIdentifier lookups of 50 customers in mixed spellings: first (cold), then repeated", true, runW3,
			"it mixes customer numbers, phones and emails, and only Tiquo has customer numbers"},
		{"W4", "5 bursts of 200 identical concurrent cold customer(email:) requests", true, runW4,
			"its customers and expected calls are Tiquo's"},
		{"W5", "customers(first: 100) with every field of Customer, warm", true, runW5,
			"its fields and page are Tiquo's"},
		{"B-direct", "baseline: GET /customers/{email} straight to the simulator, W1-warm's 100 emails", false, runBDirect,
			"GET /customers/{email} is Tiquo's REST API"},
		{"B-proxy", "baseline: the same GET through a bare httputil.ReverseProxy process", false, runBProxy,
			"GET /customers/{email} is Tiquo's REST API"},
	}
}

// selectWorkloads returns the workloads named in list (comma-separated,
// any case; "all" or "" for every one that runs on v), in their running
// order. Naming a workload that does not run on v is an error.
func selectWorkloads(list string, v vendor) ([]workload, error) {
	all := allWorkloads()
	if list = strings.TrimSpace(list); list == "" || strings.EqualFold(list, "all") {
		return slices.DeleteFunc(all, func(w workload) bool { return !w.runsOn(v) }), nil
	}
	want := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		i := slices.IndexFunc(all, func(w workload) bool { return strings.EqualFold(w.name, name) })
		if i < 0 {
			names := make([]string, len(all))
			for j, w := range all {
				names[j] = w.name
			}
			return nil, fmt.Errorf("unknown workload %q: want some of %s", name, strings.Join(names, ","))
		}
		if w := all[i]; !w.runsOn(v) {
			var runs []string
			for _, o := range all {
				if o.runsOn(v) {
					runs = append(runs, o.name)
				}
			}
			return nil, fmt.Errorf("workload %s runs against Tiquo only (%s), not -vendor %s: with -vendor %s, pick from %s",
				w.name, w.tiquoOnly, v, v, strings.Join(runs, ","))
		}
		want[all[i].name] = true
	}
	return slices.DeleteFunc(all, func(w workload) bool { return !want[w.name] }), nil
}

// customersNeeded returns how many customers bench must list from the
// simulator for ws, in all and with an email: none for W0 alone, the
// fixed sets of the other workloads, and n with an email for W1-cold.
func customersNeeded(ws []workload, n int) (total, withEmail int) {
	for _, w := range ws {
		switch w.name {
		case "W0":
		case "W1-cold":
			total, withEmail = max(total, minCustomers), max(withEmail, n)
		default:
			total = max(total, minCustomers)
		}
	}
	return total, withEmail
}

// withEmail returns the first k customers of cs that have an email, or
// fewer if there are not so many.
func withEmail(cs []simCustomer, k int) []simCustomer {
	out := make([]simCustomer, 0, min(k, len(cs)))
	for _, c := range cs {
		if len(out) == k {
			break
		}
		if c.Email != "" {
			out = append(out, c)
		}
	}
	return out
}

// warmSet returns the 100 customers of W1-warm and the baselines.
func (b *bench) warmSet() ([]simCustomer, error) {
	cs := withEmail(b.customers, warmSetSize)
	if len(cs) < warmSetSize {
		return nil, fmt.Errorf("the simulator lists only %d customers with an email; the workload needs %d", len(cs), warmSetSize)
	}
	return cs, nil
}

// spec returns a measured run of n requests with the command line's
// bounds.
func (b *bench) spec(n int, req func(i int) request) loadSpec {
	return loadSpec{n: n, duration: b.cfg.duration, concurrency: b.cfg.concurrency, rate: b.cfg.rate, request: req}
}

// measured brackets a run with the counters: it resets the simulator's and
// snapshots Redis's commandstats (when countRedis), runs, then reads both,
// and the peak RSS of pid's process tree (when pid is not 0).
func (b *bench) measured(ctx context.Context, name string, pid int, countRedis bool, run func() (result, error)) (row, error) {
	if err := b.sim.reset(ctx); err != nil {
		return row{}, err
	}
	var before map[string]int64
	if countRedis && b.redis != nil {
		var err error
		if before, err = b.redis.commandCalls(ctx); err != nil {
			return row{}, err
		}
	}
	res, err := run()
	if err != nil {
		return row{}, err
	}
	st, after, err := b.settle(ctx, before != nil)
	if err != nil {
		return row{}, err
	}
	w := newRow(name, res)
	w.Upstream = &st
	if before != nil {
		by, total := commandDelta(before, after)
		w.RedisCommands, w.RedisByCommand = &total, by
	}
	if pid != 0 {
		if rss, err := treePeakRSS(pid); err == nil {
			w.PeakRSSBytes = rss
		}
	}
	return w, nil
}

// How settle waits for the counters to come to rest.
const (
	settleQuiet = 200 * time.Millisecond // unchanged for this long
	settleMax   = 3 * time.Second        // but no longer than this
)

// settle reads the simulator's counters and, when redis is set, Redis's
// commandstats, until neither has changed for settleQuiet (at most
// settleMax): a server may still be writing to its cache, or finishing
// upstream calls, after its last response.
func (b *bench) settle(ctx context.Context, redis bool) (simStats, map[string]int64, error) {
	read := func() (simStats, map[string]int64, error) {
		st, err := b.sim.stats(ctx)
		if err != nil || !redis {
			return st, nil, err
		}
		calls, err := b.redis.commandCalls(ctx)
		return st, calls, err
	}
	st, calls, err := read()
	for deadline := time.Now().Add(settleMax); err == nil && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return st, calls, ctx.Err()
		case <-time.After(settleQuiet):
		}
		st2, calls2, err2 := read()
		if err2 != nil {
			return st, calls, err2
		}
		_, moved := commandDelta(calls, calls2)
		rest := st2.Total == st.Total && moved == 0
		st, calls = st2, calls2
		if rest {
			break
		}
	}
	return st, calls, err
}

// warmUp runs spec to completion within warmupTimeout and fails unless
// every request succeeded.
func (b *bench) warmUp(ctx context.Context, what string, spec loadSpec) error {
	spec.duration = warmupTimeout
	res, err := runLoad(ctx, b.client, spec)
	switch {
	case err != nil:
		return err
	case res.requests < spec.n:
		return fmt.Errorf("%s: only %d of %d requests within %s", what, res.requests, spec.n, warmupTimeout)
	case res.failed > 0:
		return fmt.Errorf("%s: %d of %d requests failed, e.g. %s", what, res.failed, res.requests, res.failures[0].Message)
	}
	return nil
}

// onFacade runs fn against a fresh facade for the workload name (in peer
// mode, when b.onPeer is set, the peer), after opening conns keep-alive
// connections to it, then stops it. In peer mode the server gets
// levelStart's warm-up and an empty Redis before fn.
func (b *bench) onFacade(ctx context.Context, name string, conns int, fn func(f *facade) ([]row, error)) ([]row, error) {
	start := b.startFacade
	if b.onPeer {
		start = b.startPeer
	}
	f, err := start(ctx, name)
	if err != nil {
		return nil, err
	}
	body := gqlBody(queryTypename, nil)
	err = b.warmUp(ctx, "connection warm-up", loadSpec{n: 2 * conns, concurrency: conns,
		request: func(int) request { return f.gql(body) }})
	if err == nil && b.cfg.peer.on() {
		err = b.levelStart(ctx, f)
	}
	var rows []row
	if err == nil {
		rows, err = fn(f)
	}
	if stopErr := b.stopFacade(f); stopErr != nil && err == nil && len(rows) > 0 {
		rows[len(rows)-1].note("%v", stopErr)
	}
	return rows, err
}

// expectation returns a note saying whether an expectation was met.
func expectation(what string, met bool) string {
	if met {
		return "expected " + what + ": met"
	}
	return "expected " + what + ": NOT MET"
}

// countingNulls wraps checkGraphQL, counting the responses in which field
// is null.
func countingNulls(field string, nulls *atomic.Int64) func(int, []byte) error {
	null := []byte(`"` + field + `":null`)
	return func(status int, body []byte) error {
		if err := checkGraphQL(status, body); err != nil {
			return err
		}
		if strings.Contains(string(body), string(null)) {
			nulls.Add(1)
		}
		return nil
	}
}
