// Command upstream-sim serves one vendor's customer API simulator over
// HTTP: Tiquo (the default), Komerza or Xtrakit.
//
//	go run ./cmd/upstream-sim -addr 127.0.0.1:8081 -customers 1000
//	curl -H 'Authorization: Bearer sim-key' localhost:8081/customers/CUST-000001
//
//	go run ./cmd/upstream-sim -vendor komerza -store 11111111-1111-4111-8111-111111111111
//	curl -H 'Authorization: Bearer sim-key' \
//	  localhost:8081/stores/11111111-1111-4111-8111-111111111111/customers/3c90c3cc-0d44-4b50-8888-8dd25736052a
//
//	go run ./cmd/upstream-sim -vendor xtrakit
//	curl -H 'Authorization: Bearer sim-key' localhost:8081/customers/1
//
// The vendor API's base URL is the server's root (Tiquo /customers…,
// Komerza /stores/{storeId}/customers…, Xtrakit /customers…), so the
// facade's UPSTREAM_URL is e.g. http://127.0.0.1:8081. Xtrakit's zone-less
// timestamps are written in UTC.
//
// Flags:
//
//	-vendor      tiquo, komerza or xtrakit (default tiquo)
//	-addr        listen address (default 127.0.0.1:8081)
//	-customers   size of the generated data set (default 1000)
//	-seed        data set seed (default 1)
//	-latency     latency added to every API request, e.g. 20ms
//	-api-keys    comma-separated Bearer keys; "name:read" is a key that may only read
//	-rate-limit  requests per hour per key, 0 = off
//	-store       Komerza only: the store served, a UUID (default 11111111-1111-4111-8111-111111111111)
//	-healthcheck check that the simulator at -addr answers (GET /__sim/stats) and exit 0, or 1 if not
//
// Every vendor has the same control endpoints (/__sim/stats, /__sim/reset,
// /__sim/requests, /__sim/customers, /__sim/faults); see package
// customergraph/internal/sim/simkit, and the vendor's package under
// internal/sim for its routes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"customergraph/internal/health"
	"customergraph/internal/sim/komerzasim"
	"customergraph/internal/sim/simkit"
	"customergraph/internal/sim/tiquosim"
	"customergraph/internal/sim/xtrakitsim"
)

const shutdownTimeout = 10 * time.Second

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], logger)
	stop()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		logger.Error("upstream-sim failed", "err", err)
		os.Exit(1)
	}
}

// The vendors served.
const (
	vendorTiquo   = "tiquo"
	vendorKomerza = "komerza"
	vendorXtrakit = "xtrakit"
)

type config struct {
	vendor    string
	addr      string
	customers int
	seed      int64
	latency   time.Duration
	apiKeys   string
	rateLimit int
	store     string // Komerza's store, lower-cased
	// healthcheck asks the simulator at addr whether it answers, instead
	// of serving.
	healthcheck bool
}

// maxCustomers is the largest data set of each vendor's simulator.
func maxCustomers(vendor string) int {
	switch vendor {
	case vendorKomerza:
		return komerzasim.MaxCustomers
	case vendorXtrakit:
		return xtrakitsim.MaxCustomers
	}
	return tiquosim.MaxCustomers
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("upstream-sim", flag.ContinueOnError)
	fs.StringVar(&c.vendor, "vendor", vendorTiquo, "the API served: tiquo, komerza or xtrakit")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8081", "listen address")
	fs.IntVar(&c.customers, "customers", tiquosim.DefaultCustomers, "number of simulated customers")
	fs.Int64Var(&c.seed, "seed", 1, "data set seed")
	fs.DurationVar(&c.latency, "latency", 0, "latency added to every API request")
	fs.StringVar(&c.apiKeys, "api-keys", simkit.DefaultAPIKey, `comma-separated Bearer keys; "name:read" is a key that may only read`)
	fs.IntVar(&c.rateLimit, "rate-limit", 0, "requests per hour per key, 0 = off")
	fs.StringVar(&c.store, "store", komerzasim.DefaultStore, "Komerza only: the store served, a UUID")
	fs.BoolVar(&c.healthcheck, "healthcheck", false, "check that the simulator at -addr answers and exit 0 if it does, 1 if not (for container health checks)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	storeSet := false
	fs.Visit(func(f *flag.Flag) { storeSet = storeSet || f.Name == "store" })
	c.vendor = strings.ToLower(strings.TrimSpace(c.vendor))
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	case c.vendor != vendorTiquo && c.vendor != vendorKomerza && c.vendor != vendorXtrakit:
		return c, fmt.Errorf("-vendor %q: want tiquo, komerza or xtrakit", c.vendor)
	case c.customers < 1 || c.customers > maxCustomers(c.vendor):
		return c, fmt.Errorf("-customers must be between 1 and %d", maxCustomers(c.vendor))
	case c.latency < 0:
		return c, errors.New("-latency must not be negative")
	case c.rateLimit < 0:
		return c, errors.New("-rate-limit must not be negative")
	case storeSet && c.vendor != vendorKomerza:
		return c, fmt.Errorf("-store applies to -vendor komerza only, not %s", c.vendor)
	}
	store, ok := simkit.ParseUUID(strings.TrimSpace(c.store))
	if !ok {
		return c, fmt.Errorf("-store %q is not a UUID such as %s", c.store, komerzasim.DefaultStore)
	}
	c.store = store
	return c, nil
}

// simulator is what run serves and logs.
type simulator interface {
	http.Handler
	Len() int
}

// newSimulator builds the simulator cfg names.
func newSimulator(cfg config, keys []string) (simulator, error) {
	switch cfg.vendor {
	case vendorKomerza:
		return komerzasim.New(komerzasim.Options{
			Customers: cfg.customers,
			Seed:      cfg.seed,
			Latency:   cfg.latency,
			APIKeys:   keys,
			RateLimit: cfg.rateLimit,
			Store:     cfg.store,
		}), nil
	case vendorXtrakit:
		return xtrakitsim.New(xtrakitsim.Options{
			Customers: cfg.customers,
			Seed:      cfg.seed,
			Latency:   cfg.latency,
			APIKeys:   keys,
			RateLimit: cfg.rateLimit,
		}), nil
	}
	return tiquosim.New(tiquosim.Options{
		Customers: cfg.customers,
		Seed:      cfg.seed,
		Latency:   cfg.latency,
		APIKeys:   keys,
		RateLimit: cfg.rateLimit,
	}), nil
}

// run serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, args []string, logger *slog.Logger) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	if cfg.healthcheck {
		addr, err := health.Local(cfg.addr)
		if err != nil {
			return err
		}
		return health.Check(ctx, "http://"+addr+"/__sim/stats")
	}
	var keys []string
	for k := range strings.SplitSeq(cfg.apiKeys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return errors.New("-api-keys must name at least one key")
	}

	start := time.Now()
	sim, err := newSimulator(cfg, keys)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           sim,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	attrs := []any{
		"vendor", cfg.vendor,
		"addr", ln.Addr().String(),
		"customers", sim.Len(),
		"seed", cfg.seed,
		"latency", cfg.latency,
		"rate_limit", cfg.rateLimit,
		"api_keys", len(keys),
		"build_time", time.Since(start).Round(time.Millisecond),
	}
	if cfg.vendor == vendorKomerza {
		attrs = append(attrs, "store", cfg.store)
	}
	logger.Info("upstream simulator listening", attrs...)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
