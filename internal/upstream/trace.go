package upstream

import (
	"context"
	"errors"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"customergraph/internal/telemetry"
)

// The attributes of an attempt span besides the semantic conventions'.
const (
	attrVendor    = attribute.Key("customergraph.vendor")
	attrOperation = attribute.Key("customergraph.upstream.operation")
)

// startAttempt starts the span of attempt number attempt (0 for the first)
// of a call: "<vendor> <operation>", e.g. "tiquo get customer", a client
// span with the vendor, the operation, the method and, for a retry, its
// number (http.request.resend_count). Never the URL, its path or query:
// they hold customer IDs, emails and phones.
func (c *Caller) startAttempt(ctx context.Context, op, method string, attempt int) (context.Context, trace.Span) {
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, attrVendor.String(c.api), attrOperation.String(op), semconv.HTTPRequestMethodKey.String(method))
	if attempt > 0 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(attempt))
	}
	return c.tracer.Start(ctx, c.api+" "+op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// endAttempt ends an attempt's span with the response's status, if there
// was one, and for a failure error.type: the status for an HTTP error
// (semantic conventions), else a word for the failure. No error text: it
// may quote the upstream's message, which may name a customer.
func endAttempt(span trace.Span, status int, err error) {
	if status > 0 {
		span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	}
	if err != nil {
		telemetry.Fail(span, attemptErrorType(status, err))
	}
	span.End()
}

// endRefused ends the span of an attempt that Options.Before refused: it
// was not sent.
func endRefused(span trace.Span, err error) {
	t := "refused"
	switch {
	case errors.Is(err, ErrUnavailable):
		t = "circuit_open"
	case errors.Is(err, ErrRateLimited):
		t = "rate_limited"
	}
	telemetry.Fail(span, t)
	span.End()
}

// attemptErrorType classifies a failed attempt for error.type.
func attemptErrorType(status int, err error) string {
	switch {
	case status >= 400:
		return strconv.Itoa(status)
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrUnexpected):
		return "unexpected_response"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	}
	return "_OTHER"
}
