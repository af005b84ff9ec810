// Command customergraph serves a GraphQL API over REST customer APIs.
//
// With no configuration, `go run .` serves GraphiQL and the API on :8080
// over an in-process Tiquo simulator with an in-memory cache. See README.md
// for the environment variables.
package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // tenants' time zones, on machines without a zoneinfo database

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"customergraph/graph"
	"customergraph/graph/model"
	"customergraph/internal/admin"
	"customergraph/internal/admission"
	"customergraph/internal/breaker"
	"customergraph/internal/budget"
	"customergraph/internal/cache"
	"customergraph/internal/customer"
	"customergraph/internal/graphiql"
	"customergraph/internal/health"
	"customergraph/internal/memwatch"
	"customergraph/internal/persisted"
	"customergraph/internal/querycache"
	"customergraph/internal/querylimit"
	"customergraph/internal/render"
	"customergraph/internal/sim/komerzasim"
	"customergraph/internal/sim/simkit"
	"customergraph/internal/sim/tiquosim"
	"customergraph/internal/sim/xtrakitsim"
	"customergraph/internal/telemetry"
	"customergraph/internal/upstream"
	"customergraph/internal/workers"
	"customergraph/loaders"
	"customergraph/resolvers"
)

func main() {
	healthcheck := flag.Bool("healthcheck", false, "check that the service on PORT answers /healthz and exit 0 if it does, 1 if not (for container health checks)")
	flag.Parse()
	if *healthcheck {
		if err := checkHealth(context.Background(), os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, "customergraph:", err)
			os.Exit(1)
		}
		return
	}
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "customergraph:", err)
		os.Exit(1)
	}
}

// The garbage collector's settings when GOMEMLIMIT and GOGC are not set.
//
// defaultMemoryLimit is the soft memory limit, 72 MiB, which keeps the
// process under 100 MB resident in every benchmarked workload; a tenant
// with a large unpaginated list (an Xtrakit alias index of many tens of
// thousands of customers) needs more: set GOMEMLIMIT. Below the limit,
// defaultGCPercent lets the heap grow to four times what is live before
// a collection, not twice: half the collections, for more requests per
// second on the heavy workloads, while the process stays as far under
// 100 MB as it was at 200 with 18 MB of buffers and copies it no longer
// holds (see docs/benchmarks.md); the limit bounds memory either way.
const (
	defaultMemoryLimit = 72 << 20
	defaultGCPercent   = 300
)

// tuneGC applies the garbage collector's defaults where the environment
// does not set GOMEMLIMIT or GOGC.
func tuneGC(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// gcPercent returns the garbage collector's GOGC setting.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// checkHealth asks the service on this machine's PORT for /healthz.
func checkHealth(ctx context.Context, getenv func(string) string) error {
	port := 8080
	p := parser{getenv: getenv}
	p.int("PORT", &port, 1, 65535)
	if len(p.errs) > 0 {
		return errors.New(p.errs[0])
	}
	return health.Check(ctx, fmt.Sprintf("http://127.0.0.1:%d/healthz", port))
}

// run reads the configuration, wires the service and serves until ctx is
// done, then shuts down gracefully.
func run(ctx context.Context, getenv func(string) string, logOut io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, logOut)
	log.Info("starting customergraph", "config", cfg, "memoryLimitMiB", debug.SetMemoryLimit(-1)>>20, "gcPercent", gcPercent())
	if cfg.Tracing.Enabled() {
		logExportErrors(log)
	}
	// A live heap near the memory limit slows everything down and fails
	// nothing: say so in the log.
	watchCtx, stopWatch := context.WithCancel(ctx)
	var watching sync.WaitGroup
	watching.Go(func() { memwatch.Watch(watchCtx, memwatch.Options{Logger: log}) })
	defer func() { stopWatch(); watching.Wait() }()

	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()

	lns, err := listen(cfg, log)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	addrs := make([]string, len(lns))
	for i, ln := range lns {
		addrs[i] = ln.Addr().String()
	}
	log.Info("serving GraphQL at /graphql and GraphiQL at /", "addr", strings.Join(addrs, ","),
		"graphiql", fmt.Sprintf("http://localhost:%d/", cfg.Port))

	errc := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { errc <- srv.Serve(ln) }()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// listen opens the service's listeners: every interface on PORT, or, in
// demo mode (a tenant served without client keys), loopback only — IPv4,
// and IPv6 where the machine has it — so that nobody else can read or
// change the demo data.
func listen(cfg config, log *slog.Logger) ([]net.Listener, error) {
	if !cfg.demo() {
		ln, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.Port))
		if err != nil {
			return nil, fmt.Errorf("listen: %w", err)
		}
		return []net.Listener{ln}, nil
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", cfg.Port))
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	lns := []net.Listener{ln}
	if ln6, err := net.Listen("tcp", fmt.Sprintf("[::1]:%d", cfg.Port)); err == nil {
		lns = append(lns, ln6)
	}
	log.Warn("no client keys (demo mode): listening on loopback only, where anyone on this machine may read and change the demo data; set FACADE_API_KEYS to serve other hosts")
	return lns, nil
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// app is the wired service: an http.Handler with every endpoint.
type app struct {
	http.Handler
	cache     pinger
	upstreams []upstreamAddr // dialled by /readyz
	closers   []func() error
}

type upstreamAddr struct{ tenant, addr string }

type pinger interface {
	Ping(context.Context) error
}

// newApp builds the service from cfg: the in-process simulator if a
// tenant needs it, the cache (Redis or in-memory), one upstream client and
// set of loaders per tenant, the GraphQL handler and the HTTP routes.
func newApp(cfg config, log *slog.Logger) (*app, error) {
	a := &app{}
	tr, err := a.startTracing(cfg)
	if err != nil {
		return nil, err
	}
	simURLs, err := a.startSimulators(cfg, log)
	if err != nil {
		a.Close()
		return nil, err
	}

	var store interface {
		loaders.Cache
		pinger
		Stats() cache.Stats
	}
	var budgetStore redis.UniversalClient // nil: the budget is this instance's
	var redisCache *cache.Redis           // nil: no Redis
	if cfg.RedisURL == "" {
		m := cache.NewMemory(cache.MemoryOptions{})
		a.closers = append(a.closers, m.Close)
		store = m
		log.Info("REDIS_URL is not set: caching in memory, for this instance only")
	} else {
		redis.SetLogger(redisLogger{log})
		r, err := cache.DialRedis(string(cfg.RedisURL), cache.RedisOptions{
			Timeout:  cfg.RedisTimeout,
			Cooldown: offIfZero(cfg.RedisCooldown),
			Logger:   log,
			Cluster:  cfg.RedisCluster,

			Fallback:    cmp.Or(cfg.RedisFallback, -1),
			FallbackTTL: cfg.RedisFallbackTTL,

			TracerProvider: tr.provider,
		})
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("redis: %w", err)
		}
		a.closers = append(a.closers, r.Close)
		store, redisCache = r, r
		if cfg.UpstreamBudget > 0 {
			// The budget's own connections, so that a busy cache never
			// holds up a Take.
			rdb, err := cache.ParseRedisURL(string(cfg.RedisURL), cache.RedisOptions{Timeout: cfg.RedisTimeout, Cluster: cfg.RedisCluster, TracerProvider: tr.provider})
			if err != nil {
				a.Close()
				return nil, fmt.Errorf("redis: %w", err)
			}
			a.closers = append(a.closers, rdb.Close)
			budgetStore = rdb
		}
		pctx, cancel := context.WithTimeout(context.Background(), time.Second)
		switch err := r.CheckMode(pctx); {
		case errors.Is(err, cache.ErrWrongMode) && cfg.RedisCluster:
			log.Error("REDIS_MODE=cluster, but REDIS_URL names a Redis server without cluster mode: set REDIS_MODE=single; until then nothing is cached", "err", err)
		case errors.Is(err, cache.ErrWrongMode):
			log.Error("REDIS_URL names a Redis Cluster node: set REDIS_MODE=cluster; until then every key of another node's slots is a miss", "err", err)
		}
		if err := r.Ping(pctx); err != nil {
			log.Warn("redis does not answer yet; serving from the upstream until it does", "err", err)
		} else {
			if cfg.RedisCluster {
				log.Info("caching in a redis cluster")
			} else {
				log.Info("caching in redis")
			}
		}
		cancel()
	}
	a.cache = store

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerCacheMetrics(reg, store)
	shared := upstreamShared{
		cfg:     cfg,
		redis:   budgetStore,
		metrics: newUpstreamMetrics(reg, cfg.UpstreamBudget > 0),
		log:     log,
		tracing: tr,
	}

	gate := admission.New(int64(cfg.MaxInflightCost), cfg.AdmissionWait)
	registerAdmissionMetrics(reg, gate)
	pq, withPersisted, err := newPersistedQueries(cfg, redisCache, reg, log)
	if err != nil {
		a.Close()
		return nil, err
	}
	// Deep work that would otherwise start a goroutine each time (root
	// fields, upstream calls, write-backs) runs on these workers.
	pool := workers.New(workers.Options{})
	gql := withPersisted(newGraphQL(cfg, log, gate, pq, pool, reg))

	// One HTTP client (connection pool) per upstream host, shared by the
	// tenants on it.
	clients := map[string]*http.Client{}
	newTenant := func(tc tenantConfig, upstreamURL, key string, keys *keyState, br *breaker.Breaker) (*tenant, error) {
		name := tc.Name
		u, _ := url.Parse(upstreamURL)
		hc := clients[u.Host]
		if hc == nil {
			hc = upstream.NewHTTPClient()
			clients[u.Host] = hc
		}
		ns := tc.namespace(upstreamURL, key, cfg.CacheNamespace)
		acct := account{vendor: tc.Vendor, baseURL: upstreamURL, apiKey: key, storeID: tc.StoreID, timeZone: tc.TimeZone}
		up, err := newUpstream(shared, name, acct, hc, cache.NewKeyspace(ns), br)
		if err != nil {
			return nil, fmt.Errorf("tenant %q: %w", name, err)
		}
		var c loaders.Cache = store
		if keys != nil {
			up, c = newWatchedUpstream(up, keys), &verifiedCache{Cache: store, keys: keys}
		}
		svc := loaders.New(loaders.Config{
			Vendor:      up,
			Cache:       c,
			Namespace:   ns,
			CallTimeout: cfg.RequestTimeout,
			TTL:         cfg.CacheTTL,
			// 0 in the configuration means off; in loaders.Config, default.
			NegativeTTL:  offIfZero(cfg.NegativeTTL),
			StaleIfError: offIfZero(cfg.StaleIfError),
			Logger:       log.With("tenant", name),
			Workers:      pool,

			TracerProvider: tr.provider,
		})
		api := limitRequests(int64(cfg.MaxBodyBytes), cfg.TokenLimit, svc.Middleware(gql))
		return &tenant{api: api, keys: keys, svc: svc, ns: ns}, nil
	}
	upstreamOf := func(v customer.Vendor, u string) string {
		if u == "" {
			return simURLs[v]
		}
		return u
	}

	g := &gateway{options: gql}
	if cfg.AuthMode == authPassthrough {
		base := upstreamOf(cfg.UpstreamVendor, cfg.UpstreamURL)
		a.addUpstream("passthrough", base)
		// The keys share one upstream, and so one breaker: an outage
		// opens it for every key at once.
		br := newBreaker(shared, "passthrough")
		tc := tenantConfig{Name: "passthrough", Vendor: cfg.UpstreamVendor, StoreID: cfg.KomerzaStoreID, TimeZone: cfg.TimeZone}
		g.pass, err = newPassthrough(cfg.PassthroughKeys, cfg.PassthroughVerifyRate, cfg.AuthVerifyTTL, cfg.StaleIfError, func(key string, keys *keyState) (*tenant, error) {
			return newTenant(tc, base, key, keys, br)
		})
		if err != nil {
			a.Close()
			return nil, err
		}
		log.Info("AUTH_MODE=passthrough: each client's key is forwarded upstream and has its own cache namespace")
	}
	byName := map[string]*tenant{}
	for _, tc := range cfg.Tenants {
		base, key := upstreamOf(tc.Vendor, tc.UpstreamURL), string(tc.UpstreamAPIKey)
		if tc.UpstreamURL == "" && key == "" {
			key = simkit.DefaultAPIKey
		}
		t, err := newTenant(tc, base, key, nil, nil)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.addUpstream(tc.Name, base)
		byName[tc.Name] = t
		if len(tc.ClientKeys) == 0 {
			g.open = t // only the in-process simulator runs without keys
			continue
		}
		for i, k := range tc.ClientKeys {
			g.keys = append(g.keys, clientKey{
				digest: sha256.Sum256([]byte(k)),
				label:  fmt.Sprintf("client-%d", i+1),
				tenant: t,
			})
		}
	}

	ide, err := graphiql.New(graphiql.Options{
		Title:         "customergraph",
		Endpoint:      "/graphql",
		DefaultQuery:  graphiqlQuery,
		KeyRequired:   g.open == nil,
		Introspection: cfg.Introspection,
		TrustedOnly:   cfg.Persisted.Mode == persisted.Trusted,
	})
	if err != nil {
		a.Close()
		return nil, err
	}

	mux := http.NewServeMux()
	if len(cfg.AdminAPIKeys) > 0 {
		h, err := a.adminHandler(cfg, log, byName)
		if err != nil {
			a.Close()
			return nil, err
		}
		mux.Handle("/admin/", h)
	}
	mux.Handle("/graphql", traceRequests(telemetry.Tracer(tr.provider, "customergraph"), tr.propagator,
		withCORS(cfg.CORSOrigins, withDeadline(cfg.RequestTimeout, g))))
	mux.Handle("GET /{$}", ide.Page())
	mux.Handle("GET "+graphiql.AssetsPath, ide.Assets())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	a.Handler = mux
	return a, nil
}

// invalidationChannel is the Redis pub/sub channel on which an instance
// tells the others which tenant's cache it invalidated (by the tenant's
// cache namespace), so that they drop what they hold of it in memory.
const invalidationChannel = "cg:v3:invalidated"

// adminHandler returns the admin endpoints over tenants and, with Redis,
// starts listening for the invalidations other instances announce.
func (a *app) adminHandler(cfg config, log *slog.Logger, tenants map[string]*tenant) (http.Handler, error) {
	targets := make(map[string]admin.Invalidator, len(tenants))
	byNS := map[string][]*loaders.Service{}
	for name, t := range tenants {
		targets[name] = t.svc
		byNS[t.ns] = append(byNS[t.ns], t.svc)
	}
	keys := make([]string, len(cfg.AdminAPIKeys))
	for i, k := range cfg.AdminAPIKeys {
		keys[i] = string(k)
	}
	o := admin.Options{Keys: keys, Tenants: targets, Logger: log}
	if cfg.RedisURL != "" {
		// A connection of its own, which waits for messages indefinitely.
		client, err := cache.ParseRedisURL(string(cfg.RedisURL), cache.RedisOptions{Timeout: 5 * time.Second, PoolSize: 2, Cluster: cfg.RedisCluster})
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		bus := cache.NewBus(client, invalidationChannel, log)
		a.closers = append(a.closers, bus.Close)
		// What this instance keeps of its own while Redis cannot answer
		// (the cache's fallback) is forgotten with every invalidation.
		forget := func() {}
		if f, ok := a.cache.(interface{ ForgetFallback() }); ok {
			forget = f.ForgetFallback
		}
		bus.Listen(func(ns string) {
			forget()
			for _, svc := range byNS[ns] {
				svc.DropSnapshots()
			}
		}, func() {
			// (Re)subscribed: an invalidation may have been missed.
			forget()
			for _, t := range tenants {
				t.svc.DropSnapshots()
			}
		})
		o.Announce = func(ctx context.Context, name string) error {
			return bus.Publish(ctx, tenants[name].ns)
		}
	}
	log.Info("ADMIN_API_KEYS is set: cache invalidation at POST /admin/cache/invalidate")
	return admin.Handler(o), nil
}

// graphiqlQuery fills GraphiQL's query editor on a first visit.
const graphiqlQuery = `# customergraph: GraphQL over your customer platform.
#
# Run this query with the run button or Ctrl-Enter.
# The docs explorer (the book, top left) shows every
# type and field; Ctrl-Space completes a field name.
query FirstCustomers {
  customers(first: 10) {
    nodes {
      id
      vendor
      displayName
      email
      status
      createdAt
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`

// startSimulators starts the in-process simulator of each vendor that a
// tenant (or passthrough) without an upstream URL has, accepting those
// tenants' upstream keys, and returns their URLs by vendor.
func (a *app) startSimulators(cfg config, log *slog.Logger) (map[customer.Vendor]string, error) {
	type need struct {
		keys, stores []string
		keyless      bool
	}
	needs := map[customer.Vendor]*need{}
	add := func(v customer.Vendor, key, store string) {
		n := needs[v]
		if n == nil {
			n = &need{}
			needs[v] = n
		}
		if key == "" {
			n.keyless = true
		} else {
			n.keys = append(n.keys, key)
		}
		if store != "" {
			n.stores = append(n.stores, store)
		}
	}
	if cfg.AuthMode == authPassthrough && cfg.UpstreamURL == "" {
		add(cfg.UpstreamVendor, "", cfg.KomerzaStoreID)
	}
	for _, t := range cfg.Tenants {
		if t.UpstreamURL == "" {
			add(t.Vendor, string(t.UpstreamAPIKey), t.StoreID)
		}
	}
	urls := map[customer.Vendor]string{}
	for _, v := range []customer.Vendor{customer.Tiquo, customer.Komerza, customer.Xtrakit} {
		n := needs[v]
		if n == nil {
			continue
		}
		keys := n.keys
		if len(keys) > 0 && n.keyless {
			keys = append(keys, simkit.DefaultAPIKey)
		}
		var (
			sim  http.Handler
			size int
		)
		switch v {
		case customer.Komerza:
			store := komerzasim.DefaultStore
			if len(n.stores) > 0 {
				store = n.stores[0]
			}
			k := komerzasim.New(komerzasim.Options{Customers: cfg.SimCustomers, APIKeys: keys, Store: store})
			sim, size = k, k.Len()
		case customer.Xtrakit:
			x := xtrakitsim.New(xtrakitsim.Options{Customers: cfg.SimCustomers, APIKeys: keys})
			sim, size = x, x.Len()
		default:
			t := tiquosim.New(tiquosim.Options{Customers: cfg.SimCustomers, APIKeys: keys})
			sim, size = t, t.Len()
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
		simSrv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
		go simSrv.Serve(ln)
		a.closers = append(a.closers, simSrv.Close)
		log.Info("UPSTREAM_URL is not set: serving demo data from the in-process "+vendorTitle(v)+" simulator",
			"vendor", v.Name(), "customers", size)
		urls[v] = "http://" + ln.Addr().String()
	}
	return urls, nil
}

// vendorTitle is v's name as the vendor writes it, e.g. "Komerza".
func vendorTitle(v customer.Vendor) string {
	n := v.Name()
	if n == "" {
		return n
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

// addUpstream records the address /readyz dials for tenant's upstream.
func (a *app) addUpstream(tenant, base string) {
	u, err := url.Parse(base)
	if err != nil {
		return
	}
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	a.upstreams = append(a.upstreams, upstreamAddr{tenant: tenant, addr: addr})
}

// Close releases what newApp started, in reverse order.
func (a *app) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// ready reports whether every tenant's upstream is reachable (a TCP dial:
// it spends none of the upstream's request budget) and the cache's state,
// which is never fatal: without a cache the service still answers from the
// upstream. It names tenants, never upstream addresses.
func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	body := map[string]string{"status": "ready", "upstream": "reachable", "cache": "ok"}
	status := http.StatusOK
	var down []string
	dialled := map[string]error{}
	for _, u := range a.upstreams {
		err, ok := dialled[u.addr]
		if !ok {
			var d net.Dialer
			conn, derr := d.DialContext(ctx, "tcp", u.addr)
			if derr == nil {
				conn.Close()
			}
			err, dialled[u.addr] = derr, derr
		}
		if err != nil {
			down = append(down, u.tenant)
		}
	}
	if len(down) > 0 {
		body["status"], body["upstream"] = "not ready", "unreachable for "+strings.Join(down, ", ")
		status = http.StatusServiceUnavailable
	}
	switch err := a.cache.Ping(ctx); {
	case errors.Is(err, cache.ErrPartial):
		body["cache"] = "degraded (a Redis Cluster master does not answer; its keys are served from the upstream)"
	case err != nil:
		body["cache"] = "unavailable (serving from the upstream)"
	}
	writeJSON(w, status, body)
}

// price sets the complexity functions of c and returns the arguments
// each of them reads, by field ("Query.customers"): an operation that
// gives none of those a variable costs the same whatever its variables,
// and is priced once (see cachedComplexity). Every field priced is in the
// map, with the arguments its function reads, or none.
func price(c *graph.ComplexityRoot) map[string][]string {
	// Each customer a query materialises costs a cache key and a record
	// decode, more than a plain field: price it so, for the complexity
	// limit and for admission. A connection costs its page size times that
	// plus what each node asks for.
	const recordCost = 10
	c.Query.Customers = func(child int, first *int, _ *string, _ *string, _ *customer.Status, _ *model.CustomerParameterFilter, _ *string) int {
		n := 50
		if first != nil {
			n = min(max(*first, 1), 1_000_000)
		}
		return 1 + n*(recordCost+child)
	}
	const lookupCost = recordCost
	c.Query.Customer = func(child int, _, _, _, _ *string) int { return lookupCost + child }
	c.Query.CustomerByIdentifier = func(child int, _ string) int { return lookupCost + child }
	c.Query.Node = func(child int, _ string) int { return lookupCost + child }
	return map[string][]string{
		"Query.customers":            {"first"},
		"Query.customer":             nil,
		"Query.customerByIdentifier": nil,
		"Query.node":                 nil,
	}
}

// newGraphQL returns the gqlgen handler with its transports, caches and
// limits.
func newGraphQL(cfg config, log *slog.Logger, gate *admission.Controller, persistedQueries graphql.HandlerExtension, pool *workers.Pool, reg prometheus.Registerer) http.Handler {
	base := &resolvers.Resolver{}
	renderer := render.New(base.Query(), cfg.QueryCacheSize)
	c := graph.Config{Resolvers: rootResolvers{ResolverRoot: base, query: renderer.Query()}}
	reads := price(&c.Complexity)
	srv := handler.New(graph.NewExecutableSchema(c))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{}) // queries only: it refuses mutations
	srv.AddTransport(postTransport{}) // transport.POST, writing responses without encoding them again
	queries := querycache.New[*ast.QueryDocument](cfg.QueryCacheSize, cfg.QueryCacheBytes)
	srv.SetQueryCache(queries)
	srv.SetParserTokenLimit(cfg.TokenLimit)
	// With introspection off, validation errors do not suggest names
	// either (see also resolvers.WithoutSuggestions below).
	srv.SetDisableSuggestion(!cfg.Introspection)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(persistedQueries)
	// After the persisted query extension, which fills in the query: the
	// document limits, before gqlgen parses and validates the query.
	srv.Use(operationLimits{
		limits: querylimit.Limits{
			Tokens:       cfg.TokenLimit,
			Depth:        cfg.MaxDepth,
			Aliases:      cfg.MaxAliases,
			RootFields:   cfg.MaxRootFields,
			Fields:       cfg.MaxFields,
			FieldRepeats: cfg.MaxFieldRepeats,
		},
		parsed: queries,
	})
	srv.Use(newCachedComplexity(extension.FixedComplexityLimit(cfg.ComplexityLimit), cfg.QueryCacheSize, reads))
	// Admit the operation by its cost (the complexity computed above),
	// then load every root lookup in one batch before it executes.
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		cost := int64(1)
		if st := extension.GetComplexityStats(ctx); st != nil {
			cost = int64(st.Complexity)
		}
		// Waiting for admission and the prefetch count against the
		// request's deadline; so does every root field, below.
		dctx := withinDeadline(ctx)
		release, err := gate.Acquire(dctx, cost)
		if err != nil {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
				Message:    "the server is busy; retry shortly",
				Extensions: map[string]any{"code": resolvers.CodeServerBusy},
			}}})
		}
		// Queries and mutations have one response: release after it. The
		// request's end releases too, should no response ever be asked for.
		stop := context.AfterFunc(ctx, release)
		resolvers.Prefetch(dctx)
		responses := next(ctx)
		return func(ctx context.Context) *graphql.Response {
			defer func() {
				stop()
				release()
			}()
			return responses(ctx)
		}
	})
	// gqlgen resolves each root field but the first on a goroutine of its
	// own, whose stack then grows to hold the field's whole resolution: a
	// query of many root fields has them resolved on the pool's workers,
	// whose stacks have grown already.
	srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		ctx = withinDeadline(ctx)
		if oc := graphql.GetOperationContext(ctx); oc.Operation == nil || len(oc.Operation.SelectionSet) < 2 {
			return next(ctx)
		}
		var m graphql.Marshaler
		pool.Run(func() { m = next(ctx) })
		return m
	})
	// Innermost of the root field interceptors: the root fields of queries
	// are written straight from their resolvers' results (see package
	// render), the rest by gqlgen.
	if cfg.DirectRender {
		srv.Use(renderer)
	}
	for by, get := range map[string]func(render.Stats) uint64{
		"render": func(s render.Stats) uint64 { return s.Rendered },
		"gqlgen": func(s render.Stats) uint64 { return s.Declined },
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "customergraph", Subsystem: "graphql", Name: "root_fields_total",
			Help:        "Root fields of queries by what wrote their answer: render (straight from the resolver's result) or gqlgen (field by field: introspection, errors, and arguments the renderer does not read). Not counted with DIRECT_RENDER=false.",
			ConstLabels: prometheus.Labels{"by": by},
		}, func() float64 { return float64(get(renderer.Stats())) }))
	}
	// Say which parts of the answer were served stale because the upstream
	// failed, and what the request learnt of the upstream budget.
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil {
			return nil
		}
		extend := func(name string, v any) {
			if resp.Extensions == nil {
				resp.Extensions = map[string]any{}
			}
			resp.Extensions[name] = v
		}
		if l, ok := loaders.From(ctx); ok {
			if stale := l.Stale(); len(stale) > 0 {
				extend("stale", stale)
			}
		}
		if b, ok := budget.Used(ctx); ok {
			extend("budget", b)
		}
		return resp
	})
	presenter := resolvers.ErrorPresenter(log)
	if !cfg.Introspection {
		presenter = resolvers.WithoutSuggestions(presenter)
	}
	srv.SetErrorPresenter(presenter)
	srv.SetRecoverFunc(resolvers.Recover(log))
	if cfg.Tracing.Enabled() {
		srv.Use(operationSpans{})
	}
	return srv
}

// rootResolvers is the schema's resolvers, the query resolvers as the
// renderer has them called.
type rootResolvers struct {
	graph.ResolverRoot
	query graph.QueryResolver
}

func (r rootResolvers) Query() graph.QueryResolver { return r.query }

// withDeadline gives each request a deadline, timeout from now, that
// bounds its work (see withinDeadline) so that a request whose upstream is
// slow still answers by then. It also keeps the upstream budget figures the
// request learns, for its response.
//
// The request's own context does not end at the deadline: the answer, with
// an error for each field that ran out of time, is written after it.
func withDeadline(timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bound, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		ctx := context.WithValue(r.Context(), deadlineKey{}, bound)
		next.ServeHTTP(w, r.WithContext(budget.Track(ctx)))
	})
}

type deadlineKey struct{}

// withinDeadline returns ctx ending at the request's deadline, or when the
// request ends (or ctx itself when there is no deadline). Its values are
// ctx's; context.Cause of it is the request's cause, not the deadline.
func withinDeadline(ctx context.Context) context.Context {
	bound, ok := ctx.Value(deadlineKey{}).(context.Context)
	if !ok {
		return ctx
	}
	return bounded{Context: ctx, bound: bound}
}

// bounded is a context with the values of Context and the deadline and
// cancellation of bound, the request's: one timer for the whole request,
// rather than one for each field that needs the deadline.
type bounded struct {
	context.Context
	bound context.Context
}

func (c bounded) Deadline() (time.Time, bool) { return c.bound.Deadline() }
func (c bounded) Done() <-chan struct{}       { return c.bound.Done() }
func (c bounded) Err() error                  { return c.bound.Err() }

// AfterFunc lets contexts derived from c be cancelled with bound without a
// goroutine each to watch it (the context package looks for this method).
func (c bounded) AfterFunc(f func()) func() bool { return context.AfterFunc(c.bound, f) }

// withCORS lets browsers on origins call the API with a bearer key.
func withCORS(origins []string, next http.Handler) http.Handler {
	any := len(origins) == 1 && origins[0] == "*"
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && (any || allowed[origin]) {
			h := w.Header()
			if any {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Add("Vary", "Origin")
			}
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Max-Age", "600")
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// registerCacheMetrics exports the cache's counters.
func registerCacheMetrics(reg *prometheus.Registry, c interface{ Stats() cache.Stats }) {
	for name, get := range map[string]func(cache.Stats) uint64{
		"hits":    func(s cache.Stats) uint64 { return s.Hits },
		"misses":  func(s cache.Stats) uint64 { return s.Misses },
		"errors":  func(s cache.Stats) uint64 { return s.Errors },
		"skipped": func(s cache.Stats) uint64 { return s.Skipped },
		// Operations the request gave up on before Redis answered.
		"abandoned": func(s cache.Stats) uint64 { return s.Abandoned },
		"corrupt":   func(s cache.Stats) uint64 { return s.Corrupt },
		// Misses that the in-process fallback answered, Redis unable to.
		"fallback": func(s cache.Stats) uint64 { return s.Fallback },
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "customergraph", Subsystem: "cache", Name: name + "_total",
			Help: "Cache lookups: " + name + ".",
		}, func() float64 { return float64(get(c.Stats())) }))
	}
}

func offIfZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// registerAdmissionMetrics exports the admission controller's figures.
func registerAdmissionMetrics(reg *prometheus.Registry, gate *admission.Controller) {
	gauge := func(name, help string, get func(admission.Stats) int64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "customergraph", Subsystem: "admission", Name: name, Help: help,
		}, func() float64 { return float64(get(gate.Stats())) }))
	}
	gauge("inflight_cost", "Summed complexity of the operations executing.", func(s admission.Stats) int64 { return s.InFlight })
	gauge("waiting", "Operations queued for admission.", func(s admission.Stats) int64 { return s.Waiting })
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "customergraph", Subsystem: "admission", Name: "rejected_total",
		Help: "Operations answered SERVER_BUSY after waiting ADMISSION_TIMEOUT.",
	}, func() float64 { return float64(gate.Stats().Rejected) }))
}

// redisLogger sends go-redis's own log lines (pool dial failures, which
// the cache already counts and reports) to the debug level.
type redisLogger struct{ log *slog.Logger }

// Printf logs one of go-redis's own messages, with every network address
// in it replaced: they name Redis nodes (configuration kept out of the
// logs) and this process's ends of its connections.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	msg := netAddr.ReplaceAllString(fmt.Sprintf(format, v...), "redis")
	l.log.DebugContext(ctx, "redis client", "msg", msg)
}

// netAddr matches host:port, the host an IPv4 address, a bracketed IPv6
// address or a name.
var netAddr = regexp.MustCompile(`(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):[0-9]{1,5}\b`)
