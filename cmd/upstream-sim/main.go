// Command upstream-sim serves the Tiquo Admin API simulator over HTTP.
//
//	go run ./cmd/upstream-sim -addr 127.0.0.1:8081 -customers 1000
//	curl -H 'Authorization: Bearer sim-key' localhost:8081/customers/CUST-000001
//
// The API's base URL is the server's root, so the facade's UPSTREAM_URL is
// e.g. http://127.0.0.1:8081. See package customergraph/internal/tiquosim
// for the routes and the /__sim/ control endpoints.
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

	"customergraph/internal/sim/tiquosim"
)

const shutdownTimeout = 10 * time.Second

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(os.Args[1:], logger); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		logger.Error("upstream-sim failed", "err", err)
		os.Exit(1)
	}
}

type config struct {
	addr      string
	customers int
	seed      int64
	latency   time.Duration
	apiKeys   string
	rateLimit int
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("upstream-sim", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8081", "listen address")
	fs.IntVar(&c.customers, "customers", tiquosim.DefaultCustomers, "number of simulated customers")
	fs.Int64Var(&c.seed, "seed", 1, "data set seed")
	fs.DurationVar(&c.latency, "latency", 0, "latency added to every API request")
	fs.StringVar(&c.apiKeys, "api-keys", tiquosim.DefaultAPIKey, `comma-separated Bearer keys; "name:read" is a key without customers:write`)
	fs.IntVar(&c.rateLimit, "rate-limit", 0, "requests per hour per key, 0 = off")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	case c.customers < 1 || c.customers > tiquosim.MaxCustomers:
		return c, fmt.Errorf("-customers must be between 1 and %d", tiquosim.MaxCustomers)
	case c.latency < 0:
		return c, errors.New("-latency must not be negative")
	case c.rateLimit < 0:
		return c, errors.New("-rate-limit must not be negative")
	}
	return c, nil
}

func run(args []string, logger *slog.Logger) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start := time.Now()
	sim := tiquosim.New(tiquosim.Options{
		Customers: cfg.customers,
		Seed:      cfg.seed,
		Latency:   cfg.latency,
		APIKeys:   keys,
		RateLimit: cfg.rateLimit,
	})
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
	logger.Info("upstream simulator listening",
		"addr", ln.Addr().String(),
		"customers", sim.Len(),
		"seed", cfg.seed,
		"latency", cfg.latency,
		"rate_limit", cfg.rateLimit,
		"api_keys", len(keys),
		"build_time", time.Since(start).Round(time.Millisecond))

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
