package main

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"customergraph/internal/identifier"
	"customergraph/internal/tiquo"
	"customergraph/loaders"
)

// upstreamMetrics counts and times every call to the upstream, by
// operation and outcome: the upstream's request budget, as spent. One set
// serves every tenant.
type upstreamMetrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newUpstreamMetrics(reg prometheus.Registerer) *upstreamMetrics {
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
	}
	reg.MustRegister(m.calls, m.duration)
	return m
}

// wrap returns next, metered.
func (m *upstreamMetrics) wrap(next loaders.Upstream) *meteredUpstream {
	return &meteredUpstream{next: next, m: m}
}

// meteredUpstream is an upstream whose calls upstreamMetrics records.
type meteredUpstream struct {
	next loaders.Upstream
	m    *upstreamMetrics
}

func (m *meteredUpstream) observe(op string, start time.Time, err error) {
	m.m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	m.m.calls.WithLabelValues(op, outcome(err)).Inc()
}

// outcome names the result of an upstream call for metrics.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, tiquo.ErrNotFound):
		return "not_found"
	case errors.Is(err, tiquo.ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, tiquo.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, tiquo.ErrValidation), errors.Is(err, tiquo.ErrConflict):
		return "rejected"
	case errors.Is(err, tiquo.ErrUnauthorized), errors.Is(err, tiquo.ErrForbidden):
		return "unauthorized"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	}
	return "error"
}

func (m *meteredUpstream) Customer(ctx context.Context, id identifier.ID) (*tiquo.Customer, error) {
	start := time.Now()
	c, err := m.next.Customer(ctx, id)
	m.observe("get", start, err)
	return c, err
}

func (m *meteredUpstream) ListCustomers(ctx context.Context, p tiquo.ListParams) (*tiquo.Page, error) {
	start := time.Now()
	page, err := m.next.ListCustomers(ctx, p)
	m.observe("list", start, err)
	return page, err
}

func (m *meteredUpstream) UpdateCustomer(ctx context.Context, id string, p tiquo.Patch) (*tiquo.Customer, error) {
	start := time.Now()
	c, err := m.next.UpdateCustomer(ctx, id, p)
	m.observe("update", start, err)
	return c, err
}
