package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/breaker"
	"customergraph/internal/budget"
	"customergraph/internal/cache"
	"customergraph/internal/customer"
	"customergraph/internal/guard"
	"customergraph/internal/komerza"
	"customergraph/internal/tiquo"
	"customergraph/internal/upstream"
	"customergraph/internal/xtrakit"
	"customergraph/loaders"
)

// upstreamShared is what every upstream client of the service shares.
type upstreamShared struct {
	cfg     config
	redis   redis.UniversalClient // the budget's and pauses' store; nil: this instance only
	metrics *upstreamMetrics
	log     *slog.Logger
	tracing tracing
}

// newBreaker returns the circuit breaker of tenant's upstream, or nil when
// BREAKER_FAILURES is 0. Its changes are logged and exported.
func newBreaker(sh upstreamShared, tenant string) *breaker.Breaker {
	cfg, log := sh.cfg, sh.log
	if cfg.BreakerFailures <= 0 {
		return nil
	}
	// The gauge exists, closed, from the start, so that dashboards and
	// alerts see 0 rather than no series until the breaker first opens.
	sh.metrics.circuitOpen.WithLabelValues(tenant).Set(0)
	return breaker.New(breaker.Config{
		Failures: cfg.BreakerFailures,
		CoolDown: cfg.BreakerCoolDown,
		OnChange: func(from, to breaker.State) {
			open := 0.0
			if to != breaker.Closed {
				open = 1
			}
			sh.metrics.circuitOpen.WithLabelValues(tenant).Set(open)
			level := slog.LevelWarn
			if to == breaker.Closed {
				level = slog.LevelInfo
			}
			log.Log(context.Background(), level, "upstream circuit "+to.String(), "tenant", tenant, "from", from.String(), "coolDown", cfg.BreakerCoolDown)
		},
	})
}

// account is one upstream account: a vendor's API at a base URL, with its
// credential and, for Komerza, the store.
type account struct {
	vendor   customer.Vendor
	baseURL  string
	apiKey   string
	storeID  string
	timeZone *time.Location
}

// newUpstream returns the vendor adapter of one upstream account with
// everything that protects it: the circuit breaker br (nil: a breaker of
// its own, from newBreaker), the pause a 429 asks for and the request
// budget (kept in Redis under keys, the tenant's keyspace), checked before
// every attempt, retries included; then metering. Call it once per
// account.
func newUpstream(sh upstreamShared, tenant string, acct account, hc *http.Client, keys cache.Keyspace, br *breaker.Breaker) (loaders.Vendor, error) {
	cfg, log := sh.cfg, sh.log
	if br == nil {
		br = newBreaker(sh, tenant)
	}
	lim := budget.New(budget.Config{
		Limit:       cfg.UpstreamBudget,
		Window:      cfg.UpstreamBudgetWindow,
		ClientShare: cfg.UpstreamBudgetClientShare,
		Redis:       sh.redis,
		Keys:        keys,
		Logger:      log,
	})
	if sh.metrics.remaining != nil {
		sh.metrics.remaining.WithLabelValues(tenant).Set(float64(lim.Stats().Remaining))
	}
	g := guard.New(guard.Config{
		Breaker: br,
		Limiter: lim,
		OnRefuse: func(r guard.Reason) {
			sh.metrics.refused.WithLabelValues(string(r)).Inc()
		},
	})
	before := guardBefore(g, func() {
		if sh.metrics.remaining != nil {
			sh.metrics.remaining.WithLabelValues(tenant).Set(float64(lim.Stats().Remaining))
		}
	})
	opts := &upstream.Options{
		// An attempt never outlasts the request it is for.
		Timeout:    min(cfg.UpstreamTimeout, cfg.RequestTimeout),
		Before:     before,
		HTTPClient: hc,
		// A burst of misses (a cold page of many lookups, many at once)
		// waits its turn rather than opening thousands of calls.
		MaxConcurrent: cfg.UpstreamConcurrency,

		TracerProvider: sh.tracing.provider,
		Propagator:     sh.tracing.propagator,
	}
	var v loaders.Vendor
	switch acct.vendor {
	case customer.Komerza:
		c, err := komerza.New(acct.baseURL, acct.apiKey, acct.storeID, opts)
		if err != nil {
			return nil, fmt.Errorf("upstream client: %w", err)
		}
		v = komerza.NewAdapter(c)
	case customer.Xtrakit:
		c, err := xtrakit.New(acct.baseURL, acct.apiKey, opts)
		if err != nil {
			return nil, fmt.Errorf("upstream client: %w", err)
		}
		v = xtrakit.NewAdapter(c, acct.timeZone)
	default:
		c, err := tiquo.New(acct.baseURL, acct.apiKey, opts)
		if err != nil {
			return nil, fmt.Errorf("upstream client: %w", err)
		}
		v = tiquo.NewAdapter(c)
	}
	return sh.metrics.meter(v), nil
}

// guardBefore adapts g to the vendor clients' hook. A refusal becomes the
// call's error: ErrUnavailable for an open circuit, ErrRateLimited for a
// pause or a spent budget, each with its RetryAfter, so that the error
// presenter and the loaders' stale-if-error treat it as the upstream's own.
// taken is called after each Before that reached the budget.
func guardBefore(g *guard.Guard, taken func()) func(context.Context, string) (func(upstream.Result), error) {
	return func(ctx context.Context, _ string) (func(upstream.Result), error) {
		after, err := g.Before(ctx)
		taken()
		if err != nil {
			var r *guard.Refusal
			if !errors.As(err, &r) {
				return nil, err
			}
			kind := upstream.ErrRateLimited
			if r.Reason == guard.ReasonBreaker {
				kind = upstream.ErrUnavailable
			}
			return nil, &upstream.Error{Kind: kind, RetryAfter: r.RetryAfter, Err: r}
		}
		return func(res upstream.Result) {
			after(guard.Outcome{
				Status:     res.Status,
				RetryAfter: res.RetryAfter,
				Failed:     errors.Is(res.Err, upstream.ErrUnavailable),
			})
		}, nil
	}
}
