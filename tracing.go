package main

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"customergraph/internal/telemetry"
)

// tracing is what the service's parts trace with: the provider (nil with
// tracing off) and the propagator of trace context (nil: none).
type tracing struct {
	provider   trace.TracerProvider
	propagator propagation.TextMapPropagator
}

// startTracing starts the tracer provider cfg.Tracing describes, if any,
// and registers its flush among a's closers: add it first, so that it is
// closed last, after everything that records spans.
func (a *app) startTracing(cfg config) (tracing, error) {
	if !cfg.Tracing.Enabled() {
		return tracing{}, nil
	}
	tp, shutdown, err := telemetry.Start(cfg.Tracing)
	if err != nil {
		return tracing{}, err
	}
	a.closers = append(a.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), telemetry.ShutdownTimeout)
		defer cancel()
		return shutdown(ctx)
	})
	return tracing{provider: tp, propagator: cfg.Tracing.Propagator()}, nil
}

// logExportErrors sends the OpenTelemetry SDK's errors (failed exports)
// to log as warnings, at most one a minute. The SDK has one error handler
// per process: only run sets it.
func logExportErrors(log *slog.Logger) {
	var last atomic.Int64
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		now := time.Now().UnixNano()
		prev := last.Load()
		if now-prev < int64(time.Minute) || !last.CompareAndSwap(prev, now) {
			return
		}
		log.Warn("tracing: the OpenTelemetry SDK reports an error (further ones are not logged for a minute)", "err", err)
	}))
}

// traceRequests starts the server span of every request to next but CORS
// preflights: a child of the client's span when the request carries W3C
// trace context and propagator is set. The GraphQL operation names it (operationSpans); its
// HTTP status is recorded, and a 5xx fails it. With no tracer it returns
// next itself.
func traceRequests(tracer trace.Tracer, propagator propagation.TextMapPropagator, next http.Handler) http.Handler {
	if tracer == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions { // a CORS preflight: no operation
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		if propagator != nil {
			ctx = propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
		}
		ctx, span := tracer.Start(ctx, "GraphQL Operation",
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(methodOf(r)), semconv.HTTPRoute("/graphql")))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		span.SetAttributes(semconv.HTTPResponseStatusCode(status))
		if status >= 500 {
			telemetry.Fail(span, strconv.Itoa(status))
		}
	})
}

// methodOf returns r's method if it is one the API answers, else _OTHER
// (semantic conventions: a client chooses the method).
func methodOf(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodHead:
		return r.Method
	}
	return "_OTHER"
}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// operationSpans names the request's span after its GraphQL operation, as
// the semantic conventions do: the span is "query" or "mutation", with
// graphql.operation.type and, for a named operation, graphql.operation.name.
// Never the document or the variables: both carry emails and phones. A
// response with errors fails the span with the first error's code
// (error.type, e.g. NOT_FOUND) and records how many there were; never an
// error's message, which may quote what was looked up.
//
// It runs for every response, the rejected documents' too, so it reads
// the operation when the response is ready.
type operationSpans struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = operationSpans{}

const (
	attrGraphQLErrors = attribute.Key("customergraph.graphql.errors")
	maxOperationName  = 128
)

func (operationSpans) ExtensionName() string                   { return "OperationSpans" }
func (operationSpans) Validate(graphql.ExecutableSchema) error { return nil }
func (operationSpans) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return resp
	}
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil {
			typ := string(op.Operation)
			span.SetName(typ)
			span.SetAttributes(semconv.GraphQLOperationTypeKey.String(typ))
			// A name the document declares: a GraphQL Name, never
			// free text.
			if op.Name != "" && len(op.Name) <= maxOperationName {
				span.SetAttributes(semconv.GraphQLOperationName(op.Name))
			}
		}
	}
	if resp != nil && len(resp.Errors) > 0 {
		span.SetAttributes(attrGraphQLErrors.Int(len(resp.Errors)))
		code, _ := resp.Errors[0].Extensions["code"].(string)
		if !isErrorCode(code) {
			code = "GRAPHQL_ERROR"
		}
		telemetry.Fail(span, code)
	}
	return resp
}

// isErrorCode reports whether s looks like one of the API's error codes
// (NOT_FOUND, GRAPHQL_VALIDATION_FAILED, …) and nothing else.
func isErrorCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && r != '_' && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
