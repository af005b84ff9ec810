package telemetry

import (
	"bytes"
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"

	"customergraph/internal/telemetry/otlptest"
)

// TestStart exports a span to a real OTLP/HTTP receiver with the
// configured headers, compression and resource, on shutdown, whatever the
// process environment's OTEL_* variables say.
func TestStart(t *testing.T) {
	// What the SDK and the exporter would read by themselves.
	t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-from-process=1")
	t.Setenv("OTEL_SERVICE_NAME", "from-process")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")

	rcv := otlptest.New(t)
	c, err := FromEnv(envOf(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":    rcv.URL,
		"OTEL_EXPORTER_OTLP_HEADERS":     "x-api-key=k1",
		"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
		"OTEL_RESOURCE_ATTRIBUTES":       "team=core",
		"OTEL_BSP_SCHEDULE_DELAY":        "60000",
	}))
	if err != nil {
		t.Fatal(err)
	}
	tp, shutdown, err := Start(c)
	if err != nil {
		t.Fatal(err)
	}
	tracer := Tracer(tp, "test")
	if tracer == nil {
		t.Fatal("Tracer of a started provider = nil; want a tracer")
	}
	_, span := tracer.Start(context.Background(), "work")
	span.End()
	if n := len(rcv.Requests()); n != 0 {
		t.Fatalf("%d exports before shutdown; want none within the batch delay", n)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d exports after shutdown; want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/v1/traces" || r.Header.Get("X-Api-Key") != "k1" || r.Header.Get("X-From-Process") != "" || r.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("export %s, headers %v; want /v1/traces, x-api-key k1 only, gzip", r.Path, r.Header)
	}
	spans := rcv.Spans()
	if len(spans) != 1 || spans[0].Name != "work" {
		t.Fatalf("spans = %s; want [work] (the process's always_off sampler ignored)", otlptest.Describe(spans))
	}
	if got := spans[0].Resource["service.name"]; got != DefaultServiceName {
		t.Errorf("service.name = %q; want %q", got, DefaultServiceName)
	}
	if got := spans[0].Resource["team"]; got != "core" {
		t.Errorf("resource team = %q; want core", got)
	}
	if got := spans[0].Resource["telemetry.sdk.language"]; got != "go" {
		t.Errorf("telemetry.sdk.language = %q; want go", got)
	}
}

func TestStartOff(t *testing.T) {
	tp, shutdown, err := Start(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if Tracer(tp, "test") != nil {
		t.Error("Tracer of the provider of tracing off is not nil; want nil, so no span is started")
	}
	if err := shutdown(context.Background()); err != nil {
		t.Errorf("shutdown of tracing off: %v; want nil", err)
	}
}

func TestTracerOfNoop(t *testing.T) {
	if Tracer(nil, "x") != nil {
		t.Error("Tracer(nil) is not nil")
	}
	if Tracer(noop.NewTracerProvider(), "x") != nil {
		t.Error("Tracer(noop provider) is not nil")
	}
	p := noop.NewTracerProvider()
	if Tracer(&p, "x") != nil {
		t.Error("Tracer(*noop provider) is not nil")
	}
}

// TestPanicNotRecorded: a span ended while its code panics gets no
// exception event, whose message would be the panic's value.
func TestPanicNotRecorded(t *testing.T) {
	rcv := otlptest.New(t)
	c, err := FromEnv(envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	tp, shutdown, err := Start(c)
	if err != nil {
		t.Fatal(err)
	}
	const value = "jane.panic@example.com"
	func() {
		defer func() { recover() }()
		_, span := Tracer(tp, "test").Start(context.Background(), "work")
		defer span.End()
		panic("no customer " + value)
	}()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := rcv.Spans()
	if len(spans) != 1 {
		t.Fatalf("%d spans; want the one ended while panicking", len(spans))
	}
	if n := len(spans[0].Events); n != 0 {
		t.Errorf("the span has %d events; want none", n)
	}
	for _, r := range rcv.Requests() {
		if bytes.Contains(r.Body, []byte(value)) {
			t.Errorf("the export contains the panic's value")
		}
	}
}
