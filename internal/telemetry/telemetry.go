package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Start returns the tracer provider c describes, exporting its spans in
// batches over OTLP/HTTP, and the function that flushes the spans still
// queued and stops it (call it once, on shutdown). With tracing off it
// returns a no-op provider and a shutdown that does nothing.
//
// Everything comes from c: the OTEL_* variables of the process environment
// that the SDK and the exporter would read by themselves are overridden.
func Start(c Config) (trace.TracerProvider, func(context.Context) error, error) {
	if !c.Enabled() {
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	}
	transport, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, nil, errors.New("tracing: no HTTP transport")
	}
	compression := otlptracehttp.NoCompression
	if c.Gzip {
		compression = otlptracehttp.GzipCompression
	}
	headers := c.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	exp, err := otlptrace.New(context.Background(), otlptracehttp.NewClient(
		otlptracehttp.WithEndpointURL(c.Endpoint),
		otlptracehttp.WithEncoding(otlptracehttp.EncodingProtobuf),
		otlptracehttp.WithHeaders(headers),
		otlptracehttp.WithCompression(compression),
		otlptracehttp.WithTimeout(c.Timeout),
		// Its own client: certificates and timeouts come from here, and
		// its connections are not the upstreams'.
		otlptracehttp.WithHTTPClient(&http.Client{Transport: transport.Clone(), Timeout: c.Timeout}),
	))
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: start the OTLP exporter: %w", err)
	}
	res, err := resource.New(context.Background(),
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(c.Resource...),
		resource.WithAttributes(semconv.ServiceName(c.ServiceName)),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		// A panic's value may quote what a customer was looked up by:
		// never an exception event.
		sdktrace.WithoutPanicRecording(),
		sdktrace.WithSampler(sampler(c.Sampler, c.SamplerArg)),
		sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{
			AttributeValueLengthLimit:   sdktrace.DefaultAttributeValueLengthLimit,
			AttributeValueDepthLimit:    sdktrace.DefaultAttributeValueDepthLimit,
			AttributeCountLimit:         sdktrace.DefaultAttributeCountLimit,
			EventCountLimit:             sdktrace.DefaultEventCountLimit,
			LinkCountLimit:              sdktrace.DefaultLinkCountLimit,
			AttributePerEventCountLimit: sdktrace.DefaultAttributePerEventCountLimit,
			AttributePerLinkCountLimit:  sdktrace.DefaultAttributePerLinkCountLimit,
		}),
		sdktrace.WithBatcher(exp,
			sdktrace.WithBatchTimeout(c.BatchDelay),
			sdktrace.WithExportTimeout(c.ExportTimeout),
			sdktrace.WithMaxQueueSize(c.MaxQueueSize),
			sdktrace.WithMaxExportBatchSize(c.MaxExportBatchSize),
		),
	)
	return tp, tp.Shutdown, nil
}

// sampler returns the sampler named by one of the Sampler* names.
func sampler(name string, ratio float64) sdktrace.Sampler {
	switch name {
	case SamplerAlwaysOn:
		return sdktrace.AlwaysSample()
	case SamplerAlwaysOff:
		return sdktrace.NeverSample()
	case SamplerTraceIDRatio:
		return sdktrace.TraceIDRatioBased(ratio)
	case SamplerParentBasedAlwaysOff:
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case SamplerParentBasedTraceIDRatio:
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
	default:
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
}

// Propagator returns the W3C trace context propagator (traceparent and
// tracestate) when c propagates, else nil.
func (c Config) Propagator() propagation.TextMapPropagator {
	if !c.Enabled() || !c.Propagate {
		return nil
	}
	return propagation.TraceContext{}
}

// Tracer returns tp's tracer for the instrumentation scope name, or nil
// when tp is nil or a no-op provider: callers skip every span then, at no
// cost.
func Tracer(tp trace.TracerProvider, name string) trace.Tracer {
	switch tp.(type) {
	case nil, noop.TracerProvider, *noop.TracerProvider:
		return nil
	}
	return tp.Tracer(name, trace.WithSchemaURL(semconv.SchemaURL))
}

// ShutdownTimeout bounds the final flush of Start's shutdown when the
// caller has no deadline of its own.
const ShutdownTimeout = 5 * time.Second
