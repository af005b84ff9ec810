package main

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"customergraph/internal/customer"
	"customergraph/internal/guard"
	"customergraph/internal/identifier"
	"customergraph/internal/upstream"
	"customergraph/loaders"
)

// upstreamMetrics are the figures of the upstream clients: calls by
// operation and outcome, their latency, the calls the guard refused, the
// circuit's state and the budget left. They are registered once and shared
// by every upstream client.
type upstreamMetrics struct {
	calls       *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	refused     *prometheus.CounterVec
	circuitOpen *prometheus.GaugeVec // by tenant
	remaining   *prometheus.GaugeVec // by tenant; nil without a budget
}

func newUpstreamMetrics(reg prometheus.Registerer, budget bool) *upstreamMetrics {
	m := &upstreamMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "customergraph", Subsystem: "upstream", Name: "requests_total",
			Help: "Calls to the upstream API by operation (get, list, update) and outcome; retries inside a call are not counted apart.",
		}, []string{"op", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "customergraph", Subsystem: "upstream", Name: "request_duration_seconds",
			Help:    "Duration of calls to the upstream API, retries included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"op"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "customergraph", Subsystem: "upstream", Name: "refused_total",
			Help: "Upstream requests (retries included) not sent, by reason: breaker (the circuit is open), rate_limit (the upstream asked to wait), budget (the request budget or the client's share is spent).",
		}, []string{"reason"}),
		circuitOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "customergraph", Subsystem: "upstream", Name: "circuit_open",
			Help: "1 while the tenant's upstream circuit breaker is open or half-open, else 0. In passthrough mode, of the key that changed it last.",
		}, []string{"tenant"}),
	}
	for _, r := range []guard.Reason{guard.ReasonBreaker, guard.ReasonRateLimit, guard.ReasonBudget} {
		m.refused.WithLabelValues(string(r))
	}
	reg.MustRegister(m.calls, m.duration, m.refused, m.circuitOpen)
	if budget {
		m.remaining = prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "customergraph", Subsystem: "upstream", Name: "budget_remaining",
			Help: "Upstream requests left in the tenant's budget, shared by every instance, as this instance last saw it. In passthrough mode, of the key used last.",
		}, []string{"tenant"})
		reg.MustRegister(m.remaining)
	}
	return m
}

// meteredUpstream counts and times every call to the upstream, by
// operation and outcome: the upstream's request budget, as spent.
type meteredUpstream struct {
	next loaders.Vendor
	*upstreamMetrics
}

func (m *upstreamMetrics) meter(next loaders.Vendor) *meteredUpstream {
	return &meteredUpstream{next: next, upstreamMetrics: m}
}

func (m *meteredUpstream) observe(op string, start time.Time, err error) {
	m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	m.calls.WithLabelValues(op, outcome(err)).Inc()
}

// outcome names the result of an upstream call for metrics.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, new(*guard.Refusal)):
		return "refused"
	case errors.Is(err, upstream.ErrNotFound):
		return "not_found"
	case errors.Is(err, upstream.ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, upstream.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, upstream.ErrValidation), errors.Is(err, upstream.ErrConflict):
		return "rejected"
	case errors.Is(err, upstream.ErrUnauthorized), errors.Is(err, upstream.ErrForbidden):
		return "unauthorized"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	}
	return "error"
}

// Capabilities returns the vendor's.
func (m *meteredUpstream) Capabilities() customer.Capabilities { return m.next.Capabilities() }

func (m *meteredUpstream) Customer(ctx context.Context, id identifier.ID) (*customer.Customer, error) {
	start := time.Now()
	c, err := m.next.Customer(ctx, id)
	m.observe("get", start, err)
	return c, err
}

func (m *meteredUpstream) List(ctx context.Context, p customer.ListParams) (*customer.Page, error) {
	start := time.Now()
	page, err := m.next.List(ctx, p)
	m.observe("list", start, err)
	return page, err
}

func (m *meteredUpstream) Update(ctx context.Context, id string, current *customer.Customer, p customer.Patch) (*customer.Customer, error) {
	start := time.Now()
	c, err := m.next.Update(ctx, id, current, p)
	m.observe("update", start, err)
	return c, err
}

// Contacts is a list call for the vendors that need it.
func (m *meteredUpstream) Contacts(ctx context.Context, c *customer.Customer) (*customer.Customer, error) {
	start := time.Now()
	out, err := m.next.Contacts(ctx, c)
	m.observe("list", start, err)
	return out, err
}
