package telemetry

import (
	"bytes"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const endpoint = "http://collector:4318"

func TestFromEnvOff(t *testing.T) {
	for _, env := range []map[string]string{
		{},
		{"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"},
		// Not checked while tracing is off: another program's settings.
		{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SDK_DISABLED": "true"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SDK_DISABLED": "TRUE", "OTEL_TRACES_SAMPLER": "bogus"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint, "OTEL_TRACES_EXPORTER": "none"},
	} {
		c, err := FromEnv(envOf(env))
		if err != nil || c.Enabled() {
			t.Errorf("FromEnv(%v) = enabled %v, %v; want off, no error", env, c.Enabled(), err)
		}
		if got := c.LogValue().String(); got != "off" {
			t.Errorf("FromEnv(%v).LogValue() = %q; want off", env, got)
		}
		if c.Propagator() != nil {
			t.Errorf("FromEnv(%v).Propagator() = %v; want nil while off", env, c.Propagator())
		}
	}
}

func TestFromEnvDefaults(t *testing.T) {
	c, err := FromEnv(envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Endpoint:           endpoint + "/v1/traces",
		Timeout:            10 * time.Second,
		ServiceName:        "customergraph",
		Sampler:            SamplerParentBasedAlwaysOn,
		BatchDelay:         5 * time.Second,
		ExportTimeout:      30 * time.Second,
		MaxQueueSize:       2048,
		MaxExportBatchSize: 512,
		Propagate:          true,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("FromEnv(endpoint only) = %+v; want %+v", c, want)
	}
	if c.Propagator() == nil {
		t.Error("Propagator() = nil; want W3C trace context by default")
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(Config) (got, want any)
	}{
		{"generic endpoint gets /v1/traces", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example:4318"},
			func(c Config) (any, any) { return c.Endpoint, "https://c.example:4318/v1/traces" }},
		{"generic endpoint with a path and a slash", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/otlp/"},
			func(c Config) (any, any) { return c.Endpoint, "http://c:4318/otlp/v1/traces" }},
		{"traces endpoint as is", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/custom", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://other:4318"},
			func(c Config) (any, any) { return c.Endpoint, "http://c:4318/custom" }},
		{"traces endpoint without a path", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318"},
			func(c Config) (any, any) { return c.Endpoint, "http://c:4318/" }},
		{"protocol http/protobuf", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
			func(c Config) (any, any) { return c.Enabled(), true }},
		{"headers, percent-decoded", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_HEADERS": "api-key=a%20b%3Dc, x-team = t1 ,"},
			func(c Config) (any, any) { return c.Headers, map[string]string{"api-key": "a b=c", "x-team": "t1"} }},
		{"traces headers replace the generic ones", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_HEADERS": "a=1", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "b=2"},
			func(c Config) (any, any) { return c.Headers, map[string]string{"b": "2"} }},
		{"timeout in ms", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_TIMEOUT": "2500", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "1500"},
			func(c Config) (any, any) { return c.Timeout, 1500 * time.Millisecond }},
		{"gzip", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"},
			func(c Config) (any, any) { return c.Gzip, true }},
		{"service name", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SERVICE_NAME": "cg-eu"},
			func(c Config) (any, any) { return c.ServiceName, "cg-eu" }},
		{"service name from the resource", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-res,team=core"},
			func(c Config) (any, any) { return c.ServiceName, "from-res" }},
		{"OTEL_SERVICE_NAME wins over the resource's", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-res", "OTEL_SERVICE_NAME": "cg"},
			func(c Config) (any, any) { return c.ServiceName, "cg" }},
		{"resource attributes, percent-decoded", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=prod,region=eu%2Cwest"},
			func(c Config) (any, any) {
				return c.Resource, []attribute.KeyValue{attribute.String("deployment.environment.name", "prod"), attribute.String("region", "eu,west")}
			}},
		{"ratio sampler", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"},
			func(c Config) (any, any) {
				return fmt.Sprint(c.Sampler, " ", c.SamplerArg), "parentbased_traceidratio 0.25"
			}},
		{"ratio sampler without an argument", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_TRACES_SAMPLER": "TraceIdRatio"},
			func(c Config) (any, any) { return fmt.Sprint(c.Sampler, " ", c.SamplerArg), "traceidratio 1" }},
		{"another sampler ignores the argument", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_TRACES_SAMPLER": "always_off", "OTEL_TRACES_SAMPLER_ARG": "junk"},
			func(c Config) (any, any) { return fmt.Sprint(c.Sampler, " ", c.SamplerArg), "always_off 0" }},
		{"batch processor", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_BSP_EXPORT_TIMEOUT": "2000", "OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "10"},
			func(c Config) (any, any) {
				return fmt.Sprint(c.BatchDelay, c.ExportTimeout, c.MaxQueueSize, c.MaxExportBatchSize), "100ms 2s 100 10"
			}},
		{"propagators none", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_PROPAGATORS": "none"},
			func(c Config) (any, any) { return c.Propagator() == nil, true }},
		{"propagators with baggage", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_PROPAGATORS": "tracecontext,baggage"},
			func(c Config) (any, any) { return c.Propagate, true }},
		{"SDK disabled false", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SDK_DISABLED": "false"},
			func(c Config) (any, any) { return c.Enabled(), true }},
	}
	for _, tt := range tests {
		c, err := FromEnv(envOf(tt.env))
		if err != nil {
			t.Errorf("%s: FromEnv(%v): %v", tt.name, tt.env, err)
			continue
		}
		if got, want := tt.check(c); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v; want %v", tt.name, got, want)
		}
	}
}

func TestFromEnvErrors(t *testing.T) {
	const secret = "s3cr3t-header-value"
	on := func(kv ...string) map[string]string {
		m := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		env  map[string]string
		want string
	}{
		{on("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), `OTEL_EXPORTER_OTLP_PROTOCOL="grpc": want http/protobuf`},
		{on("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"), `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="http/json"`},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "grpc://c:4317"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://user:" + secret + "@c:4318"}, "must not contain user info"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/?key=" + secret}, "must not have a query"},
		{on("OTEL_EXPORTER_OTLP_HEADERS", "novalue"), "OTEL_EXPORTER_OTLP_HEADERS: entry 1"},
		{on("OTEL_EXPORTER_OTLP_HEADERS", "a=1,bad name="+secret), "OTEL_EXPORTER_OTLP_HEADERS: entry 2"},
		{on("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "key=%zz"+secret), "the value of key"},
		{on("OTEL_EXPORTER_OTLP_TIMEOUT", "10s"), "OTEL_EXPORTER_OTLP_TIMEOUT"},
		{on("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"), "OTEL_EXPORTER_OTLP_COMPRESSION"},
		{on("OTEL_RESOURCE_ATTRIBUTES", "a=1,b"), "OTEL_RESOURCE_ATTRIBUTES: entry 2"},
		{on("OTEL_TRACES_SAMPLER", "jaeger_remote"), "OTEL_TRACES_SAMPLER"},
		{on("OTEL_TRACES_SAMPLER", "traceidratio", "OTEL_TRACES_SAMPLER_ARG", "1.5"), "OTEL_TRACES_SAMPLER_ARG"},
		{on("OTEL_TRACES_SAMPLER", "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG", "half"), "OTEL_TRACES_SAMPLER_ARG"},
		{on("OTEL_BSP_SCHEDULE_DELAY", "-1"), "OTEL_BSP_SCHEDULE_DELAY"},
		{on("OTEL_BSP_MAX_QUEUE_SIZE", "10", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "20"), "must not exceed"},
		{on("OTEL_PROPAGATORS", "b3"), "OTEL_PROPAGATORS"},
		{map[string]string{"OTEL_SDK_DISABLED": "yes"}, "OTEL_SDK_DISABLED"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"},
	}
	for _, tt := range tests {
		c, err := FromEnv(envOf(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromEnv(%v) error = %v; want one mentioning %q", tt.env, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("FromEnv(%v) error %q contains the secret", tt.env, err)
		}
		if c.Enabled() {
			t.Errorf("FromEnv(%v) with an error returned an enabled config", tt.env)
		}
	}
	// Every problem at once.
	_, err := FromEnv(envOf(on("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "OTEL_TRACES_SAMPLER", "x")))
	if err == nil || !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_PROTOCOL") || !strings.Contains(err.Error(), "OTEL_TRACES_SAMPLER") {
		t.Errorf("two bad settings: %v; want both named", err)
	}
}

func TestLogValueMasksHeaders(t *testing.T) {
	const secret = "hdr-9f8e7d"
	c, err := FromEnv(envOf(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example:4318/base",
		"OTEL_EXPORTER_OTLP_HEADERS":  "x-api-key=" + secret + ",authorization=Bearer%20" + secret,
		"OTEL_TRACES_SAMPLER":         "traceidratio",
		"OTEL_TRACES_SAMPLER_ARG":     "0.5",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "tracing", c)
	line := b.String()
	for _, want := range []string{
		"tracing.endpoint=https://c.example:4318/base/v1/traces", `tracing.headers="[authorization x-api-key]"`,
		"tracing.serviceName=customergraph", "tracing.sampler=traceidratio", "tracing.samplerArg=0.5", "tracing.propagate=true",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, secret) {
		t.Errorf("log line %q contains a header's value", line)
	}
}
