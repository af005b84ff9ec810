package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/redis/go-redis/v9"

	"customergraph/internal/breaker"
	"customergraph/internal/budget"
	"customergraph/internal/cache"
	"customergraph/internal/guard"
	"customergraph/internal/tiquo"
	"customergraph/loaders"
)

// upstreamShared is what every upstream client of the service shares.
type upstreamShared struct {
	cfg     config
	redis   redis.UniversalClient // the budget's and pauses' store; nil: this instance only
	metrics *upstreamMetrics
	log     *slog.Logger
}

// newBreaker returns the circuit breaker of tenant's upstream, or nil when
// BREAKER_FAILURES is 0. Its changes are logged and exported.
func newBreaker(sh upstreamShared, tenant string) *breaker.Breaker {
	cfg, log := sh.cfg, sh.log
	if cfg.BreakerFailures <= 0 {
		return nil
	}
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

// newUpstream returns the client of one upstream key (base URL and
// credential) with everything that protects it: the circuit breaker br
// (nil: a breaker of its own, from newBreaker), the pause a 429 asks for
// and the request budget (kept in Redis under keys, the tenant's
// keyspace), checked before every attempt, retries included; then
// metering. Call it once per upstream key.
func newUpstream(sh upstreamShared, tenant, baseURL, apiKey string, hc *http.Client, keys cache.Keyspace, br *breaker.Breaker) (loaders.Upstream, error) {
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
	before := tiquoBefore(g, func() {
		if sh.metrics.remaining != nil {
			sh.metrics.remaining.WithLabelValues(tenant).Set(float64(lim.Stats().Remaining))
		}
	})
	client, err := tiquo.New(baseURL, apiKey, &tiquo.Options{
		// An attempt never outlasts the request it is for.
		Timeout:    min(cfg.UpstreamTimeout, cfg.RequestTimeout),
		Before:     before,
		HTTPClient: hc,
	})
	if err != nil {
		return nil, fmt.Errorf("upstream client: %w", err)
	}
	return sh.metrics.meter(client), nil
}

// tiquoBefore adapts g to the Tiquo client's hook. A refusal becomes the
// call's error: ErrUnavailable for an open circuit, ErrRateLimited for a
// pause or a spent budget, each with its RetryAfter, so that the error
// presenter and the loaders' stale-if-error treat it as the upstream's own.
// taken is called after each Before that reached the budget.
func tiquoBefore(g *guard.Guard, taken func()) func(context.Context, string) (func(tiquo.Result), error) {
	return func(ctx context.Context, _ string) (func(tiquo.Result), error) {
		after, err := g.Before(ctx)
		taken()
		if err != nil {
			var r *guard.Refusal
			if !errors.As(err, &r) {
				return nil, err
			}
			kind := tiquo.ErrRateLimited
			if r.Reason == guard.ReasonBreaker {
				kind = tiquo.ErrUnavailable
			}
			return nil, &tiquo.Error{Kind: kind, RetryAfter: r.RetryAfter, Err: r}
		}
		return func(res tiquo.Result) {
			after(guard.Outcome{
				Status:     res.Status,
				RetryAfter: res.RetryAfter,
				Failed:     errors.Is(res.Err, tiquo.ErrUnavailable),
			})
		}, nil
	}
}
