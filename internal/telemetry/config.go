// Package telemetry sets up the service's OpenTelemetry tracing from the
// standard OTEL_* environment variables: OTLP over HTTP/protobuf to one
// endpoint, a sampler, a resource and W3C trace context propagation. It
// hands out a trace.TracerProvider that the rest of the service receives
// explicitly (never the otel global), so that two services in one process
// (tests) trace independently, and off means no tracing code on any path.
package telemetry

import (
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// DefaultServiceName is service.name when neither OTEL_SERVICE_NAME nor
// OTEL_RESOURCE_ATTRIBUTES names the service.
const DefaultServiceName = "customergraph"

// The samplers of OTEL_TRACES_SAMPLER this package supports.
const (
	SamplerAlwaysOn                = "always_on"
	SamplerAlwaysOff               = "always_off"
	SamplerTraceIDRatio            = "traceidratio"
	SamplerParentBasedAlwaysOn     = "parentbased_always_on"
	SamplerParentBasedAlwaysOff    = "parentbased_always_off"
	SamplerParentBasedTraceIDRatio = "parentbased_traceidratio"
)

// Config is the tracing configuration. The zero Config is tracing off.
type Config struct {
	// Endpoint is the URL spans are posted to; "" is tracing off.
	Endpoint string
	// Headers are sent with every export. Their values are secrets (API
	// keys of the tracing backend): LogValue shows only the names.
	Headers map[string]string
	// Timeout bounds one export request.
	Timeout time.Duration
	// Gzip compresses the export requests.
	Gzip bool
	// ServiceName is the resource's service.name.
	ServiceName string
	// Resource holds the other resource attributes, from
	// OTEL_RESOURCE_ATTRIBUTES.
	Resource []attribute.KeyValue
	// Sampler is one of the Sampler* names; SamplerArg is the ratio of
	// the traceidratio samplers.
	Sampler    string
	SamplerArg float64
	// The batch span processor: how long spans wait to be exported, how
	// long an export may take, how many spans are queued (more are
	// dropped) and how many go in one export.
	BatchDelay         time.Duration
	ExportTimeout      time.Duration
	MaxQueueSize       int
	MaxExportBatchSize int
	// Propagate sends and accepts W3C trace context (traceparent,
	// tracestate); off with OTEL_PROPAGATORS=none.
	Propagate bool
}

// Enabled reports whether spans are exported.
func (c Config) Enabled() bool { return c.Endpoint != "" }

// Defaults of the settings, as the specification gives them.
const (
	defaultTimeout            = 10 * time.Second
	defaultBatchDelay         = 5 * time.Second
	defaultExportTimeout      = 30 * time.Second
	defaultMaxQueueSize       = 2048
	defaultMaxExportBatchSize = 512
	tracesPath                = "/v1/traces"
)

// FromEnv reads the configuration through getenv (os.Getenv in main).
// Tracing is off unless OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
// OTEL_EXPORTER_OTLP_ENDPOINT is set, and off whenever OTEL_SDK_DISABLED
// is true or OTEL_TRACES_EXPORTER is none; the other variables are read,
// and checked, only when it is on. The error lists every variable that is
// wrong, never a header's value.
func FromEnv(getenv func(string) string) (Config, error) {
	p := envParser{getenv: getenv}
	var c Config
	disabled := p.bool("OTEL_SDK_DISABLED")
	switch exp := strings.ToLower(p.get("OTEL_TRACES_EXPORTER")); exp {
	case "", "otlp":
	case "none":
		disabled = true
	default:
		p.fail("OTEL_TRACES_EXPORTER", exp, "otlp or none")
	}
	if disabled || len(p.errs) > 0 {
		return Config{}, p.err()
	}
	if v := p.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); v != "" {
		c.Endpoint = p.endpoint("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", v, false)
	} else if v := p.get("OTEL_EXPORTER_OTLP_ENDPOINT"); v != "" {
		c.Endpoint = p.endpoint("OTEL_EXPORTER_OTLP_ENDPOINT", v, true)
	} else {
		return Config{}, nil
	}

	if name, v := p.signal("PROTOCOL"); v != "" && v != "http/protobuf" {
		p.fail(name, v, "http/protobuf (the only OTLP protocol this service exports with)")
	}
	if name, v := p.signal("HEADERS"); v != "" {
		c.Headers = p.headers(name, v)
	}
	c.Timeout = defaultTimeout
	if name, v := p.signal("TIMEOUT"); v != "" {
		c.Timeout = p.millis(name, v, c.Timeout)
	}
	switch name, v := p.signal("COMPRESSION"); strings.ToLower(v) {
	case "", "none":
	case "gzip":
		c.Gzip = true
	default:
		p.fail(name, v, "gzip or none")
	}

	attrs := p.resource("OTEL_RESOURCE_ATTRIBUTES")
	c.ServiceName = DefaultServiceName
	for _, kv := range attrs {
		if kv.Key == "service.name" {
			c.ServiceName = kv.Value.AsString()
			continue
		}
		c.Resource = append(c.Resource, kv)
	}
	if v := p.get("OTEL_SERVICE_NAME"); v != "" {
		c.ServiceName = v
	}

	c.Sampler, c.SamplerArg = p.sampler()

	c.BatchDelay = p.millis("OTEL_BSP_SCHEDULE_DELAY", p.get("OTEL_BSP_SCHEDULE_DELAY"), defaultBatchDelay)
	c.ExportTimeout = p.millis("OTEL_BSP_EXPORT_TIMEOUT", p.get("OTEL_BSP_EXPORT_TIMEOUT"), defaultExportTimeout)
	c.MaxQueueSize = p.count("OTEL_BSP_MAX_QUEUE_SIZE", defaultMaxQueueSize)
	c.MaxExportBatchSize = p.count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", defaultMaxExportBatchSize)
	if c.MaxExportBatchSize > c.MaxQueueSize {
		p.errs = append(p.errs, fmt.Sprintf("OTEL_BSP_MAX_EXPORT_BATCH_SIZE (%d) must not exceed OTEL_BSP_MAX_QUEUE_SIZE (%d)", c.MaxExportBatchSize, c.MaxQueueSize))
	}

	c.Propagate = p.propagators()
	if len(p.errs) > 0 {
		return Config{}, p.err()
	}
	return c, nil
}

// LogValue describes the configuration without a header's value: the
// endpoint (its scheme, host and path), the header names, the service name,
// the sampler and whether trace context is propagated.
func (c Config) LogValue() slog.Value {
	if !c.Enabled() {
		return slog.StringValue("off")
	}
	names := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	endpoint := "configured"
	if u, err := url.Parse(c.Endpoint); err == nil {
		endpoint = u.Scheme + "://" + u.Host + u.Path
	}
	attrs := []slog.Attr{
		slog.String("endpoint", endpoint),
		slog.Any("headers", names),
		slog.String("serviceName", c.ServiceName),
		slog.String("sampler", c.Sampler),
	}
	if strings.HasSuffix(c.Sampler, SamplerTraceIDRatio) {
		attrs = append(attrs, slog.Float64("samplerArg", c.SamplerArg))
	}
	attrs = append(attrs, slog.Bool("propagate", c.Propagate), slog.Duration("batchDelay", c.BatchDelay))
	return slog.GroupValue(attrs...)
}

// envParser reads OTEL_* variables and collects every error.
type envParser struct {
	getenv func(string) string
	errs   []string
}

func (p *envParser) get(name string) string { return strings.TrimSpace(p.getenv(name)) }

func (p *envParser) fail(name, value, want string) {
	p.errs = append(p.errs, fmt.Sprintf("%s=%q: want %s", name, value, want))
}

func (p *envParser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return fmt.Errorf("tracing: %s", strings.Join(p.errs, "; "))
}

// signal returns the traces-specific OTEL_EXPORTER_OTLP_TRACES_<suffix>
// when set, else the generic OTEL_EXPORTER_OTLP_<suffix>, with the name
// of the one read.
func (p *envParser) signal(suffix string) (name, value string) {
	name = "OTEL_EXPORTER_OTLP_TRACES_" + suffix
	if v := p.get(name); v != "" {
		return name, v
	}
	name = "OTEL_EXPORTER_OTLP_" + suffix
	return name, p.get(name)
}

func (p *envParser) bool(name string) bool {
	switch v := p.get(name); strings.ToLower(v) {
	case "":
		return false
	case "true":
		return true
	case "false":
		return false
	default:
		p.fail(name, v, "true or false")
		return false
	}
}

// endpoint checks an endpoint URL and returns the URL spans are posted to:
// v itself for the traces endpoint (the root path when it has none), and v
// with /v1/traces appended to its path for the generic one.
func (p *envParser) endpoint(name, v string, generic bool) string {
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		// Not quoted: a URL may hold a password.
		p.errs = append(p.errs, name+": want an http or https URL, e.g. http://collector:4318")
		return ""
	case u.User != nil:
		// Credentials go in OTEL_EXPORTER_OTLP_HEADERS, which is masked.
		p.errs = append(p.errs, name+": must not contain user info; send credentials in OTEL_EXPORTER_OTLP_HEADERS")
		return ""
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		p.errs = append(p.errs, name+": must not have a query or fragment")
		return ""
	}
	if generic {
		u.Path = strings.TrimRight(u.Path, "/") + tracesPath
		u.RawPath = ""
	} else if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// headers parses a list of key=value pairs, separated by commas, with
// percent-encoded values (the W3C Baggage format the specification uses).
// Errors name the variable and the entry's position, never a value.
func (p *envParser) headers(name, v string) map[string]string {
	out := map[string]string{}
	for i, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		k, val, ok := strings.Cut(entry, "=")
		k = strings.TrimSpace(k)
		if !ok || !isToken(k) {
			p.errs = append(p.errs, fmt.Sprintf("%s: entry %d is not name=value with a valid header name", name, i+1))
			continue
		}
		dec, err := url.PathUnescape(strings.TrimSpace(val))
		if err != nil || strings.ContainsAny(dec, "\r\n\x00") {
			p.errs = append(p.errs, fmt.Sprintf("%s: the value of %s is not a valid percent-encoded header value", name, k))
			continue
		}
		out[k] = dec
	}
	return out
}

// resource parses OTEL_RESOURCE_ATTRIBUTES: key=value pairs, separated by
// commas, with percent-encoded values.
func (p *envParser) resource(name string) []attribute.KeyValue {
	v := p.get(name)
	if v == "" {
		return nil
	}
	var out []attribute.KeyValue
	for i, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		k, val, ok := strings.Cut(entry, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			p.errs = append(p.errs, fmt.Sprintf("%s: entry %d is not key=value", name, i+1))
			continue
		}
		dec, err := url.PathUnescape(strings.TrimSpace(val))
		if err != nil {
			p.errs = append(p.errs, fmt.Sprintf("%s: the value of %s is not percent-encoded correctly", name, k))
			continue
		}
		out = append(out, attribute.String(k, dec))
	}
	return out
}

// sampler reads OTEL_TRACES_SAMPLER and, for the ratio samplers,
// OTEL_TRACES_SAMPLER_ARG (default 1). The argument of another sampler is
// ignored, as the specification says.
func (p *envParser) sampler() (string, float64) {
	s := strings.ToLower(p.get("OTEL_TRACES_SAMPLER"))
	switch s {
	case "":
		s = SamplerParentBasedAlwaysOn
	case SamplerAlwaysOn, SamplerAlwaysOff, SamplerTraceIDRatio,
		SamplerParentBasedAlwaysOn, SamplerParentBasedAlwaysOff, SamplerParentBasedTraceIDRatio:
	default:
		p.fail("OTEL_TRACES_SAMPLER", s, "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio")
		return "", 0
	}
	if s != SamplerTraceIDRatio && s != SamplerParentBasedTraceIDRatio {
		return s, 0
	}
	arg := p.get("OTEL_TRACES_SAMPLER_ARG")
	if arg == "" {
		return s, 1
	}
	f, err := strconv.ParseFloat(arg, 64)
	if err != nil || !(f >= 0 && f <= 1) {
		p.fail("OTEL_TRACES_SAMPLER_ARG", arg, "a probability from 0 to 1")
		return s, 0
	}
	return s, f
}

// millis reads a duration in milliseconds, as every OTEL_* timeout and
// delay is given; def when v is empty.
func (p *envParser) millis(name, v string, def time.Duration) time.Duration {
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > int64(time.Hour/time.Millisecond) {
		p.fail(name, v, "milliseconds, an integer from 1 to 3600000")
		return def
	}
	return time.Duration(n) * time.Millisecond
}

func (p *envParser) count(name string, def int) int {
	v := p.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1_000_000 {
		p.fail(name, v, "an integer from 1 to 1000000")
		return def
	}
	return n
}

// propagators reads OTEL_PROPAGATORS: tracecontext (the default) is the
// only propagator supported; none turns propagation off. baggage is
// accepted, so that the specification's default value can be set, and
// ignored: the service neither reads nor forwards baggage, which carries
// whatever a client puts in it.
func (p *envParser) propagators() bool {
	v := strings.ToLower(p.get("OTEL_PROPAGATORS"))
	if v == "" {
		return true
	}
	on, none := false, false
	for _, name := range strings.Split(v, ",") {
		switch strings.TrimSpace(name) {
		case "tracecontext":
			on = true
		case "baggage", "":
		case "none":
			none = true
		default:
			p.fail("OTEL_PROPAGATORS", v, "tracecontext, or none (baggage is accepted and ignored)")
			return false
		}
	}
	return on && !none
}

// isToken reports whether s is an HTTP header name (RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}
