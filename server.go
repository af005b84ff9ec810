// Command customergraph serves a GraphQL API over REST customer APIs.
//
// With no configuration, `go run .` serves GraphiQL and the API on :8080
// over an in-process Tiquo simulator with an in-memory cache. See README.md
// for the environment variables.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"customergraph/graph"
	"customergraph/graph/model"
	"customergraph/internal/admission"
	"customergraph/internal/cache"
	"customergraph/internal/customer"
	"customergraph/internal/querylimit"
	"customergraph/internal/tiquo"
	"customergraph/internal/tiquosim"
	"customergraph/loaders"
	"customergraph/resolvers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "customergraph:", err)
		os.Exit(1)
	}
}

// run reads the configuration, wires the service and serves until ctx is
// done, then shuts down gracefully.
func run(ctx context.Context, getenv func(string) string, logOut io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, logOut)
	log.Info("starting customergraph", "config", cfg)

	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.Port))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("serving GraphQL at /graphql and GraphiQL at /", "addr", ln.Addr().String(),
		"graphiql", fmt.Sprintf("http://localhost:%d/", cfg.Port))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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
	cache    pinger
	upstream string // host:port, dialled by /readyz
	closers  []func() error
}

type pinger interface {
	Ping(context.Context) error
}

// newApp builds the service from cfg: the upstream client (or the
// in-process simulator), the cache (Redis or in-memory), the loaders, the
// GraphQL handler and the HTTP routes.
func newApp(cfg config, log *slog.Logger) (*app, error) {
	a := &app{}
	upstreamURL, upstreamKey := cfg.UpstreamURL, string(cfg.UpstreamAPIKey)
	if upstreamURL == "" {
		sim := tiquosim.New(tiquosim.Options{Customers: cfg.SimCustomers})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
		simSrv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
		go simSrv.Serve(ln)
		a.closers = append(a.closers, simSrv.Close)
		upstreamURL, upstreamKey = "http://"+ln.Addr().String(), tiquosim.DefaultAPIKey
		log.Info("UPSTREAM_URL is not set: serving demo data from the in-process Tiquo simulator",
			"customers", sim.Len())
	}
	u, err := url.Parse(upstreamURL)
	if err != nil {
		a.Close()
		return nil, errors.New("UPSTREAM_URL does not parse")
	}
	a.upstream = u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		a.upstream = net.JoinHostPort(u.Hostname(), port)
	}
	client, err := tiquo.New(upstreamURL, upstreamKey, &tiquo.Options{Timeout: cfg.UpstreamTimeout})
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("upstream client: %w", err)
	}

	var store interface {
		loaders.Cache
		pinger
		Stats() cache.Stats
	}
	if cfg.RedisURL == "" {
		m := cache.NewMemory(cache.MemoryOptions{})
		a.closers = append(a.closers, m.Close)
		store = m
		log.Info("REDIS_URL is not set: caching in memory, for this instance only")
	} else {
		redis.SetLogger(redisLogger{log})
		r, err := cache.DialRedis(string(cfg.RedisURL), cache.RedisOptions{Timeout: cfg.RedisTimeout, Logger: log})
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("redis: %w", err)
		}
		a.closers = append(a.closers, r.Close)
		store = r
		pctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if err := r.Ping(pctx); err != nil {
			log.Warn("redis does not answer yet; serving from the upstream until it does", "err", err)
		} else {
			log.Info("caching in redis")
		}
		cancel()
	}
	a.cache = store

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerCacheMetrics(reg, store)

	svc := loaders.New(loaders.Config{
		Upstream:  newMeteredUpstream(reg, client),
		Cache:     store,
		Namespace: cache.Namespace(upstreamURL, upstreamKey, cfg.CacheNamespace),
		TTL:       cfg.CacheTTL,
		// 0 in the configuration means off; in loaders.Config, default.
		NegativeTTL:  offIfZero(cfg.NegativeTTL),
		StaleIfError: offIfZero(cfg.StaleIfError),
		Logger:       log,
	})

	gate := admission.New(int64(cfg.MaxInflightCost), cfg.AdmissionWait)
	registerAdmissionMetrics(reg, gate)
	api := svc.Middleware(newGraphQL(cfg, log, gate))
	api = limitRequests(int64(cfg.MaxBodyBytes), cfg.TokenLimit, api)
	api = authenticate(cfg.FacadeAPIKeys, api)
	api = withCORS(cfg.CORSOrigins, api)

	mux := http.NewServeMux()
	mux.Handle("/graphql", api)
	mux.Handle("GET /{$}", playground.Handler("customergraph", "/graphql"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	a.Handler = mux
	return a, nil
}

// Close releases what newApp started, in reverse order.
func (a *app) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// ready reports whether the upstream is reachable (a TCP dial: it spends
// none of the upstream's request budget) and the cache's state, which is
// never fatal: without a cache the service still answers from the upstream.
func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	body := map[string]string{"status": "ready", "upstream": "reachable", "cache": "ok"}
	status := http.StatusOK
	var d net.Dialer
	if conn, err := d.DialContext(ctx, "tcp", a.upstream); err != nil {
		body["status"], body["upstream"] = "not ready", "unreachable"
		status = http.StatusServiceUnavailable
	} else {
		conn.Close()
	}
	if err := a.cache.Ping(ctx); err != nil {
		body["cache"] = "unavailable (serving from the upstream)"
	}
	writeJSON(w, status, body)
}

// newGraphQL returns the gqlgen handler with its transports, caches and
// limits.
func newGraphQL(cfg config, log *slog.Logger, gate *admission.Controller) http.Handler {
	c := graph.Config{Resolvers: &resolvers.Resolver{}}
	// Each customer a query materialises costs a cache key and a record
	// decode, more than a plain field: price it so, for the complexity
	// limit and for admission. A connection costs its page size times that
	// plus what each node asks for.
	const recordCost = 10
	c.Complexity.Query.Customers = func(child int, first *int, _ *string, _ *string, _ *customer.Status, _ *model.CustomerParameterFilter) int {
		n := 50
		if first != nil {
			n = min(max(*first, 1), 1_000_000)
		}
		return 1 + n*(recordCost+child)
	}
	const lookupCost = recordCost
	c.Complexity.Query.Customer = func(child int, _, _, _, _ *string) int { return lookupCost + child }
	c.Complexity.Query.CustomerByIdentifier = func(child int, _ string) int { return lookupCost + child }
	c.Complexity.Query.Node = func(child int, _ string) int { return lookupCost + child }
	srv := handler.New(graph.NewExecutableSchema(c))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{}) // queries only: it refuses mutations
	srv.AddTransport(transport.POST{})
	queries := lru.New[*ast.QueryDocument](cfg.QueryCacheSize)
	srv.SetQueryCache(queries)
	srv.SetParserTokenLimit(cfg.TokenLimit)
	// With introspection off, validation errors do not suggest names
	// either (see also resolvers.WithoutSuggestions below).
	srv.SetDisableSuggestion(!cfg.Introspection)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
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
	srv.Use(extension.FixedComplexityLimit(cfg.ComplexityLimit))
	// Admit the operation by its cost (the complexity computed above),
	// then load every root lookup in one batch before it executes.
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		cost := int64(1)
		if st := extension.GetComplexityStats(ctx); st != nil {
			cost = int64(st.Complexity)
		}
		release, err := gate.Acquire(ctx, cost)
		if err != nil {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
				Message:    "the server is busy; retry shortly",
				Extensions: map[string]any{"code": resolvers.CodeServerBusy},
			}}})
		}
		// Queries and mutations have one response: release after it. The
		// request's end releases too, should no response ever be asked for.
		stop := context.AfterFunc(ctx, release)
		resolvers.Prefetch(ctx)
		responses := next(ctx)
		return func(ctx context.Context) *graphql.Response {
			defer func() {
				stop()
				release()
			}()
			return responses(ctx)
		}
	})
	// Say which parts of the answer were served stale because the upstream
	// failed.
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if l, ok := loaders.From(ctx); ok && resp != nil {
			if stale := l.Stale(); len(stale) > 0 {
				if resp.Extensions == nil {
					resp.Extensions = map[string]any{}
				}
				resp.Extensions["stale"] = stale
			}
		}
		return resp
	})
	presenter := resolvers.ErrorPresenter(log)
	if !cfg.Introspection {
		presenter = resolvers.WithoutSuggestions(presenter)
	}
	srv.SetErrorPresenter(presenter)
	srv.SetRecoverFunc(resolvers.Recover(log))
	return srv
}

// authenticate lets through requests bearing one of keys. Keys are compared
// as SHA-256 digests in constant time, every key every time, so neither the
// length nor the position of a key leaks through timing. With no keys
// configured (only allowed with the in-process simulator) every request
// passes.
func authenticate(keys []secret, next http.Handler) http.Handler {
	if len(keys) == 0 {
		return next
	}
	digests := make([][sha256.Size]byte, len(keys))
	for i, k := range keys {
		digests[i] = sha256.Sum256([]byte(k))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(given)))
		match := 0
		for i := range digests {
			match |= subtle.ConstantTimeCompare(sum[:], digests[i][:])
		}
		if !ok || match != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="customergraph"`)
			writeJSON(w, http.StatusUnauthorized, map[string]any{
				"errors": []any{map[string]any{
					"message":    "missing or invalid API key: send Authorization: Bearer <key>",
					"extensions": map[string]any{"code": resolvers.CodeUnauthenticated},
				}},
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

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
		"corrupt": func(s cache.Stats) uint64 { return s.Corrupt },
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

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis client", "msg", fmt.Sprintf(format, v...))
}
