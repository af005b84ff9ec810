package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// setUp builds what must be built and starts the simulator and Redis, or
// connects to the ones given, then lists the customers the workloads ws
// need from the simulator (before any counter reset).
func (b *bench) setUp(ctx context.Context, ws []workload) error {
	needFacade := slices.ContainsFunc(ws, func(w workload) bool { return w.facade })
	if err := b.buildBinaries(ctx, needFacade && b.cfg.ownsFacade()); err != nil {
		return err
	}
	if err := b.startSim(ctx); err != nil {
		return err
	}
	switch {
	case b.cfg.redisAddr != "":
		b.redisAddr = b.cfg.redisAddr
		b.redis = newRedisStats(b.redisAddr, b.cfg.redisMode == redisCluster)
		if err := b.redis.ping(ctx); err != nil {
			return fmt.Errorf("-redis %s does not answer PING: %w", b.redisAddr, err)
		}
	case b.cfg.redisMode == redisMemory:
		// The facade caches in its own memory: no Redis to start.
	case needFacade && b.cfg.ownsFacade() && b.cfg.redisMode == redisCluster:
		if err := b.startCluster(ctx); err != nil {
			return err
		}
	case needFacade && b.cfg.ownsFacade():
		if err := b.startRedis(ctx); err != nil {
			return err
		}
	}
	total, withEmail := customersNeeded(ws, b.cfg.n)
	if b.cfg.peer.on() && b.cfg.peer.warmup > 0 {
		total, withEmail = max(total, minCustomers), withEmail+spareCustomers
	}
	if total > 0 {
		b.progress("reading customers from the simulator's /__sim/customers (at least %d, %d with an email)", total, withEmail)
		cs, err := b.sim.customers(ctx, total, withEmail)
		if err != nil {
			return err
		}
		b.customers = cs
	}
	if b.cfg.peer.on() && b.cfg.peer.warmup > 0 {
		b.reserveSpare()
	}
	return nil
}

// buildBinaries builds the simulator and, when facade is set, the facade
// into the temporary directory, unless binaries or running processes were
// given.
func (b *bench) buildBinaries(ctx context.Context, facade bool) error {
	buildFacade := facade && b.cfg.facadeBin == ""
	buildSim := b.cfg.ownsSim() && b.cfg.simBin == ""
	b.facadeBin, b.simBin = b.cfg.facadeBin, b.cfg.simBin
	if !buildFacade && !buildSim {
		return nil
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	if buildFacade {
		b.facadeBin = filepath.Join(b.tmp, "customergraph")
		b.progress("building the facade (go build -o %s .)", b.facadeBin)
		if err := goBuild(ctx, root, ".", b.facadeBin); err != nil {
			return err
		}
	}
	if buildSim {
		b.simBin = filepath.Join(b.tmp, "upstream-sim")
		b.progress("building the simulator (go build -o %s ./cmd/upstream-sim)", b.simBin)
		if err := goBuild(ctx, root, "./cmd/upstream-sim", b.simBin); err != nil {
			return err
		}
	}
	return nil
}

// startSim starts the simulator, or checks that the one given answers.
func (b *bench) startSim(ctx context.Context) error {
	b.sim = &simClient{url: strings.TrimSuffix(b.cfg.simURL, "/"), client: b.client}
	if !b.cfg.ownsSim() {
		if _, err := b.sim.stats(ctx); err != nil {
			return fmt.Errorf("-sim %s: %w", b.cfg.simURL, err)
		}
		return nil
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	b.sim.url = "http://" + addr
	b.progress("starting the %s simulator on %s (%d customers, latency %s)", b.cfg.vendor, addr, b.cfg.customers, b.cfg.latency)
	c, err := b.procs.start("upstream-sim", b.simBin, append([]string{
		"-addr", addr,
		"-customers", strconv.Itoa(b.cfg.customers),
		"-latency", b.cfg.latency.String(),
	}, b.cfg.vendor.simArgs(b.cfg.store)...), nil)
	if err != nil {
		return err
	}
	return waitReady(ctx, c, httpOK(b.client, b.sim.url+"/__sim/stats"))
}

// startRedis starts a redis-server of bench's own on loopback: no
// persistence, the facade its only client.
func (b *bench) startRedis(ctx context.Context) error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return errors.New("redis-server is not on PATH: install it, or give -redis host:port")
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(addr)
	b.progress("starting redis-server on %s", addr)
	c, err := b.procs.start("redis", bin, []string{
		"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", b.tmp,
	}, nil)
	if err != nil {
		return err
	}
	b.redisAddr, b.ownRedis = addr, true
	b.redis = newRedisStats(addr, false)
	return waitReady(ctx, c, b.redis.ping)
}

// facade is the GraphQL server a workload runs against: a customergraph
// facade, or in peer mode the peer.
type facade struct {
	endpoint string // the GraphQL endpoint's URL
	key      string // client key; "" sends no Authorization
	pid      int    // for the peak RSS; 0 when unknown
	proc     *child // nil when not started by bench
}

// namespace is the cache namespace of workload name's facade: its own in
// this session, and in each round of -rounds.
func (b *bench) namespace(name string) string {
	ns := "bench-" + b.runID + "-" + name
	if b.round > 0 {
		ns += "-r" + strconv.Itoa(b.round)
	}
	return ns
}

// startFacade starts a fresh facade process for the workload name, with a
// cache namespace of its own, and waits for /healthz; with -facade it
// returns the facade given.
func (b *bench) startFacade(ctx context.Context, name string) (*facade, error) {
	if !b.cfg.ownsFacade() {
		return &facade{endpoint: strings.TrimSuffix(b.cfg.facadeURL, "/") + "/graphql", key: b.cfg.facadeKey, pid: b.cfg.facadePID}, nil
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	set := map[string]string{
		"PORT":             port,
		"UPSTREAM_URL":     b.sim.url,
		"UPSTREAM_API_KEY": b.cfg.simKey,
		"FACADE_API_KEYS":  b.cfg.facadeKey,
		"CACHE_NAMESPACE":  b.namespace(name),
		"LOG_LEVEL":        "warn",
	}
	// The simulator has no hourly limit here, and the workloads make far
	// more than an hour's budget of calls: no budget, unless one is given.
	if os.Getenv("UPSTREAM_BUDGET") == "" {
		set["UPSTREAM_BUDGET"] = "0"
	}
	maps.Copy(set, b.facadeRedisEnv())
	maps.Copy(set, b.cfg.vendor.facadeEnv(b.cfg.store))
	env := withEnv(os.Environ(), set)
	c, err := b.procs.start("facade-"+name, b.facadeBin, nil, env)
	if err != nil {
		return nil, err
	}
	f := &facade{endpoint: "http://" + addr + "/graphql", key: b.cfg.facadeKey, pid: c.pid(), proc: c}
	if err := waitReady(ctx, c, httpOK(b.client, "http://"+addr+"/healthz")); err != nil {
		_ = c.stop(killGrace)
		return nil, err
	}
	return f, nil
}

// stopFacade stops a facade that bench started, with SIGTERM.
func (b *bench) stopFacade(f *facade) error {
	if f.proc == nil {
		return nil
	}
	b.client.CloseIdleConnections() // lets its graceful shutdown finish at once
	return f.proc.stop(stopGrace)
}

// gql returns a GraphQL POST of body to the server.
func (f *facade) gql(body []byte) request {
	return request{method: "POST", url: f.endpoint, key: f.key, body: body, check: checkGraphQL}
}
