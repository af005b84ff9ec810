package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"customergraph/internal/cache/cachetest"
	"customergraph/internal/sim/tiquosim"
	"customergraph/internal/telemetry/otlptest"
)

// upstreamHeaders records the trace context of every request the
// simulator receives.
type upstreamHeaders struct {
	mu       sync.Mutex
	requests []upstreamRequest
}

type upstreamRequest struct {
	method, path, traceparent string
}

func (u *upstreamHeaders) record(r *http.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.requests = append(u.requests, upstreamRequest{r.Method, r.URL.Path, r.Header.Get("traceparent")})
}

// reset forgets what was recorded, e.g. the tests' own reads.
func (u *upstreamHeaders) reset() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.requests = nil
}

func (u *upstreamHeaders) all() []upstreamRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]upstreamRequest(nil), u.requests...)
}

// apiRequests returns the requests to the vendor API, not the tests'
// /__sim control calls.
func (u *upstreamHeaders) apiRequests() []upstreamRequest {
	var out []upstreamRequest
	for _, r := range u.all() {
		if !strings.HasPrefix(r.path, "/__sim") {
			out = append(out, r)
		}
	}
	return out
}

// tracingEnv points a facade's tracing at rcv, exporting every 20ms.
func tracingEnv(rcv *otlptest.Receiver, extra map[string]string) map[string]string {
	env := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL,
		"OTEL_BSP_SCHEDULE_DELAY":     "20",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// traceparent returns a W3C traceparent of a new sampled trace, with its
// trace and parent span IDs.
func traceparent() (header, traceID, spanID string) {
	traceID, spanID = randomHex(16), randomHex(8)
	return "00-" + traceID + "-" + spanID + "-01", traceID, spanID
}

// postTraced sends a GraphQL request with the test's client key and, when
// tp is not "", the client's traceparent.
func postTraced(t *testing.T, s *stack, tp, query string, vars map[string]any) *response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testKey)
	if tp != "" {
		req.Header.Set("traceparent", tp)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &response{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, r); err != nil {
		t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return r
}

// exported returns every body rcv received, recorded for the suite's
// search for secrets too.
func exported(t *testing.T, rcv *otlptest.Receiver) []byte {
	t.Helper()
	var all []byte
	for _, r := range rcv.Requests() {
		suiteLeaks.record("the OTLP export of "+t.Name(), r.Body)
		all = append(all, r.Body...)
		all = append(all, '\n')
	}
	return all
}

const lookupQuery = `query Lookup($email: String!, $phone: String!) {
  byEmail: customerByIdentifier(identifier: $email) { id customerNumber email }
  byPhone: customerByIdentifier(identifier: $phone) { id phone }
}`

// TestTracingQuery runs a query through a real facade, simulator and
// Redis with tracing pointed at a real OTLP/HTTP receiver, and reads back
// the spans of the client's trace: the operation, the loader batch, the
// cache round trips and the upstream attempts, with their attributes;
// the simulator's requests carry the same trace; and nothing the client
// looked customers up by, nor the document, nor a secret, is in any byte
// exported.
func TestTracingQuery(t *testing.T) {
	rcv := otlptest.New(t)
	up := &upstreamHeaders{}
	const otlpKey = "otlp-backend-key-5c1f0a"
	s := newStack(t, stackOptions{
		onUpstream: up.record,
		env: tracingEnv(rcv, map[string]string{
			"OTEL_EXPORTER_OTLP_HEADERS": "x-backend-key=" + url.PathEscape(otlpKey),
			"OTEL_SERVICE_NAME":          "customergraph-test",
			"OTEL_RESOURCE_ATTRIBUTES":   "deployment.environment.name=test,service.name=ignored",
		}),
	})
	cs := s.customers(2)
	up.reset()
	vars := map[string]any{"email": *cs[0].Email, "phone": *cs[1].Phone}
	tp, traceID, clientSpan := traceparent()

	r := postTraced(t, s, tp, lookupQuery, vars)
	if len(r.Errors) > 0 || !bytes.Contains(r.Data, []byte(cs[0].ID)) || !bytes.Contains(r.Data, []byte(cs[1].ID)) {
		t.Fatalf("lookup: %s %+v; want both customers", r.Data, r.Errors)
	}
	spans := rcv.Wait(t, traceID, 10*time.Second, func(ss []otlptest.Span) bool {
		return len(otlptest.Named(ss, "query")) == 1 && len(otlptest.Named(ss, "loader byIdentifier")) == 1 &&
			len(otlptest.Named(ss, "tiquo get customer"))+len(otlptest.Named(ss, "tiquo list customers")) >= 2 &&
			len(cacheSpans(ss)) >= 2 // the read and the write-back
	})

	// The operation: a server span, the client's span's child.
	op := otlptest.Named(spans, "query")[0]
	if op.Kind != tracepb.Span_SPAN_KIND_SERVER || op.ParentID() != clientSpan {
		t.Errorf("operation span: kind %v, parent %s; want SERVER, the client's span %s", op.Kind, op.ParentID(), clientSpan)
	}
	if got := op.Str("graphql.operation.type"); got != "query" {
		t.Errorf("graphql.operation.type = %q; want query", got)
	}
	if got := op.Str("graphql.operation.name"); got != "Lookup" {
		t.Errorf("graphql.operation.name = %q; want Lookup", got)
	}
	if got, _ := op.Int("http.response.status_code"); got != 200 {
		t.Errorf("http.response.status_code = %d; want 200", got)
	}
	if op.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("operation span status = %v; want unset for a query without errors", op.Status)
	}
	if got := op.Resource["service.name"]; got != "customergraph-test" {
		t.Errorf("service.name = %q; want customergraph-test (OTEL_SERVICE_NAME over OTEL_RESOURCE_ATTRIBUTES)", got)
	}
	if got := op.Resource["deployment.environment.name"]; got != "test" {
		t.Errorf("deployment.environment.name = %q; want test", got)
	}

	// The batch of both root lookups: nothing cached yet.
	batch := otlptest.Named(spans, "loader byIdentifier")[0]
	if batch.ParentID() != op.SpanID() {
		t.Errorf("batch span's parent = %s; want the operation span %s", batch.ParentID(), op.SpanID())
	}
	wantInts(t, batch, map[string]int64{
		"customergraph.loader.batch.size": 2, "customergraph.loader.hits": 0, "customergraph.loader.misses": 2,
		"customergraph.loader.errors": 0, "customergraph.loader.stale": 0,
	})
	if got := batch.Str("customergraph.loader.name"); got != "byIdentifier" {
		t.Errorf("customergraph.loader.name = %q; want byIdentifier", got)
	}

	// Redis: the batch's read of its two keys, a client span under the
	// batch span.
	var read *otlptest.Span
	for _, c := range cacheSpans(spans) {
		if c.ParentID() == batch.SpanID() && c.Str("db.operation.name") == "evalsha" {
			read = &c
			break
		}
	}
	if read == nil {
		t.Fatalf("no evalsha cache span under the batch span; cache spans: %s", otlptest.Describe(cacheSpans(spans)))
	}
	if n, _ := read.Int("customergraph.cache.keys"); n != 2 || read.Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("cache read: %d keys, kind %v; want 2 keys, CLIENT", n, read.Kind)
	}

	// The upstream: each attempt a client span under the batch, with the
	// vendor, operation, method and status, and no retry number.
	attempts := upstreamSpans(spans)
	if len(attempts) < 2 {
		t.Fatalf("upstream spans: %s; want at least one per lookup", otlptest.Describe(spans))
	}
	ids := map[string]bool{}
	for _, a := range attempts {
		ids[a.SpanID()] = true
		if a.Kind != tracepb.Span_SPAN_KIND_CLIENT || a.Str("customergraph.vendor") != "tiquo" ||
			a.Str("http.request.method") != "GET" || !strings.HasSuffix(a.Name, a.Str("customergraph.upstream.operation")) {
			t.Errorf("upstream span %q: kind %v, vendor %q, method %q, operation %q; want CLIENT, tiquo, GET, the operation of its name",
				a.Name, a.Kind, a.Str("customergraph.vendor"), a.Str("http.request.method"), a.Str("customergraph.upstream.operation"))
		}
		if got, _ := a.Int("http.response.status_code"); got != 200 {
			t.Errorf("upstream span %q: status %d; want 200", a.Name, got)
		}
		if _, ok := a.Attr("http.request.resend_count"); ok {
			t.Errorf("upstream span %q has http.request.resend_count; want none on a first attempt", a.Name)
		}
	}
	// The simulator saw this trace, each request the child of its attempt.
	calls := up.apiRequests()
	if len(calls) != len(attempts) {
		t.Errorf("simulator received %d requests; want one per attempt span (%d)", len(calls), len(attempts))
	}
	for _, c := range calls {
		parts := strings.Split(c.traceparent, "-")
		if len(parts) != 4 || parts[1] != traceID || !ids[parts[2]] {
			t.Errorf("upstream %s %s: traceparent %q; want trace %s and an attempt span's ID as parent", c.method, c.path, c.traceparent, traceID)
		}
	}

	// A second run of the query is answered by the cache.
	tp2, trace2, _ := traceparent()
	if r := postTraced(t, s, tp2, lookupQuery, vars); len(r.Errors) > 0 {
		t.Fatalf("second lookup: %+v", r.Errors)
	}
	warm := rcv.Wait(t, trace2, 10*time.Second, func(ss []otlptest.Span) bool {
		return len(otlptest.Named(ss, "query")) == 1 && len(otlptest.Named(ss, "loader byIdentifier")) == 1
	})
	wantInts(t, otlptest.Named(warm, "loader byIdentifier")[0], map[string]int64{
		"customergraph.loader.batch.size": 2, "customergraph.loader.hits": 2, "customergraph.loader.misses": 0,
	})
	if n := len(upstreamSpans(warm)); n != 0 {
		t.Errorf("second lookup: %d upstream spans; want none, every key cached", n)
	}

	// The export: what was looked up, the document and the secrets are
	// in no byte of it; the backend's header reached the receiver.
	body := exported(t, rcv)
	for what, v := range map[string]string{
		"email looked up": *cs[0].Email, "phone looked up": *cs[1].Phone,
		"customer ID": cs[0].ID, "other customer ID": cs[1].ID, "customer number": cs[0].CustomerNumber,
		"query text": lookupQuery, "field of the query": "customerByIdentifier", "variable name": "$email",
		"upstream URL": s.simURL, "upstream host": strings.TrimPrefix(s.simURL, "http://"),
		"client key": testKey, "upstream key": testUpstreamKey, "OTLP header value": otlpKey,
	} {
		if v != "" && bytes.Contains(body, []byte(v)) {
			t.Errorf("the exported spans contain the %s %q", what, v)
		}
	}
	if !bytes.Contains(body, []byte("customergraph.loader.misses")) {
		t.Fatalf("the exported bytes do not hold the attribute names: the search above proves nothing")
	}
	for _, req := range rcv.Requests() {
		if got := req.Header.Get("X-Backend-Key"); got != otlpKey {
			t.Errorf("export request header X-Backend-Key = %q; want the configured value", got)
		}
		if req.Path != "/v1/traces" {
			t.Errorf("export to %s; want /v1/traces appended to OTEL_EXPORTER_OTLP_ENDPOINT", req.Path)
		}
	}
	if line := configLine(s.cfg); !strings.Contains(line, "config.tracing.headers=[x-backend-key]") || strings.Contains(line, otlpKey) {
		t.Errorf("the config log line should name the OTLP header and mask its value:\n%s", line)
	}
}

// TestTracingRetries makes the simulator fail the first GET with a 503:
// the upstream attempt spans of the trace show the failed attempt, its
// status and error.type, then the retry with http.request.resend_count 1,
// and the simulator receives each attempt's own traceparent.
func TestTracingRetries(t *testing.T) {
	rcv := otlptest.New(t)
	up := &upstreamHeaders{}
	var (
		faulted atomic.Pointer[tiquosim.Server] // set while the first GET is to fail
		gets    atomic.Int32
	)
	s := newStack(t, stackOptions{
		onUpstream: func(r *http.Request) {
			up.record(r)
			if sim := faulted.Load(); sim != nil && r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/customers/") {
				if gets.Add(1) == 2 {
					sim.ClearFaults() // before the simulator serves it: the retry succeeds
				}
			}
		},
		env: tracingEnv(rcv, nil),
	})
	c := s.customers(1)[0]
	up.reset()
	s.faults(`{"status": 503, "routes": ["get"]}`)
	faulted.Store(s.sim)
	tp, traceID, _ := traceparent()
	r := postTraced(t, s, tp, `query One($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": c.ID})
	if len(r.Errors) > 0 || !bytes.Contains(r.Data, []byte(c.ID)) {
		t.Fatalf("lookup: %s %+v; want the customer, after a retry", r.Data, r.Errors)
	}
	spans := rcv.Wait(t, traceID, 10*time.Second, func(ss []otlptest.Span) bool {
		return len(otlptest.Named(ss, "tiquo get customer")) == 2 && len(otlptest.Named(ss, "query")) == 1
	})
	attempts := otlptest.Named(spans, "tiquo get customer")
	first, retry := attempts[0], attempts[1]
	if _, ok := first.Attr("http.request.resend_count"); ok {
		first, retry = retry, first
	}
	if got, _ := first.Int("http.response.status_code"); got != 503 {
		t.Errorf("first attempt: status %d; want 503", got)
	}
	if first.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || first.Status.GetMessage() != "503" || first.Str("error.type") != "503" {
		t.Errorf("first attempt: status %v, error.type %q; want Error \"503\", error.type 503", first.Status, first.Str("error.type"))
	}
	if _, ok := first.Attr("http.request.resend_count"); ok {
		t.Errorf("first attempt has http.request.resend_count; want none")
	}
	if n, ok := retry.Int("http.request.resend_count"); !ok || n != 1 {
		t.Errorf("retry: http.request.resend_count = %d (set: %v); want 1", n, ok)
	}
	if got, _ := retry.Int("http.response.status_code"); got != 200 || retry.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("retry: status %d, span status %v; want 200, no error", got, retry.Status)
	}
	if first.StartTimeUnixNano > retry.StartTimeUnixNano {
		t.Errorf("the attempt without a retry number started after the retry")
	}
	var parents []string
	for _, req := range up.apiRequests() {
		if req.method == http.MethodGet && strings.HasPrefix(req.path, "/customers/") {
			parts := strings.Split(req.traceparent, "-")
			if len(parts) != 4 || parts[1] != traceID {
				t.Errorf("upstream GET: traceparent %q; want trace %s", req.traceparent, traceID)
				continue
			}
			parents = append(parents, parts[2])
		}
	}
	if want := []string{first.SpanID(), retry.SpanID()}; fmt.Sprint(parents) != fmt.Sprint(want) {
		t.Errorf("the simulator's GETs have parents %v; want each attempt's span, in order: %v", parents, want)
	}
	if op := otlptest.Named(spans, "query")[0]; op.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("operation span failed (%v); want no error once the retry succeeded", op.Status)
	}
	exported(t, rcv)
}

// TestTracingErrors: a lookup the upstream keeps failing fails the
// operation span with the error's code, never its message.
func TestTracingErrors(t *testing.T) {
	rcv := otlptest.New(t)
	s := newStack(t, stackOptions{env: tracingEnv(rcv, map[string]string{"STALE_IF_ERROR": "0"})})
	c := s.customers(1)[0]
	s.faults(`{"status": 503, "routes": ["get"]}`)
	tp, traceID, _ := traceparent()
	r := postTraced(t, s, tp, `query One($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": c.ID})
	if len(r.Errors) == 0 {
		t.Fatalf("lookup: %s; want an error while the upstream fails", r.Data)
	}
	code, _ := r.Errors[0].Extensions["code"].(string)
	spans := rcv.Wait(t, traceID, 10*time.Second, func(ss []otlptest.Span) bool {
		return len(otlptest.Named(ss, "query")) == 1 && len(otlptest.Named(ss, "tiquo get customer")) == 3
	})
	op := otlptest.Named(spans, "query")[0]
	if op.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || op.Status.GetMessage() != code || op.Str("error.type") != code || code == "" {
		t.Errorf("operation span: status %v, error.type %q; want Error with the response's code %q", op.Status, op.Str("error.type"), code)
	}
	if n, _ := op.Int("customergraph.graphql.errors"); n != int64(len(r.Errors)) {
		t.Errorf("customergraph.graphql.errors = %d; want %d", n, len(r.Errors))
	}
	var retries []int64
	for _, a := range otlptest.Named(spans, "tiquo get customer") {
		n, _ := a.Int("http.request.resend_count")
		retries = append(retries, n)
		if a.Str("error.type") != "503" {
			t.Errorf("attempt %d: error.type %q; want 503", n, a.Str("error.type"))
		}
	}
	slices.Sort(retries)
	if fmt.Sprint(retries) != "[0 1 2]" {
		t.Errorf("attempts' retry numbers = %v; want 0 (none), 1 and 2", retries)
	}
	batch := otlptest.Named(spans, "loader byIdentifier")
	if len(batch) != 1 || batch[0].Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("batch span: %v; want one, failed", batch)
	} else if n, _ := batch[0].Int("customergraph.loader.errors"); n != 1 {
		t.Errorf("customergraph.loader.errors = %d; want 1", n)
	}
	body := exported(t, rcv)
	for _, e := range r.Errors {
		if bytes.Contains(body, []byte(e.Message)) {
			t.Errorf("the exported spans contain the error message %q", e.Message)
		}
	}
	if bytes.Contains(body, []byte(c.ID)) {
		t.Errorf("the exported spans contain the customer ID")
	}
}

// TestTracingOff: with tracing off, or disabled with an endpoint set,
// nothing is sent to the receiver and no trace context reaches the
// upstream, not even the client's.
func TestTracingOff(t *testing.T) {
	for name, env := range map[string]func(*otlptest.Receiver) map[string]string{
		"no endpoint": func(*otlptest.Receiver) map[string]string { return nil },
		"OTEL_SDK_DISABLED": func(r *otlptest.Receiver) map[string]string {
			return tracingEnv(r, map[string]string{"OTEL_SDK_DISABLED": "true"})
		},
		"exporter none": func(r *otlptest.Receiver) map[string]string {
			return tracingEnv(r, map[string]string{"OTEL_TRACES_EXPORTER": "none"})
		},
	} {
		t.Run(name, func(t *testing.T) {
			rcv := otlptest.New(t)
			up := &upstreamHeaders{}
			s := newStack(t, stackOptions{onUpstream: up.record, env: env(rcv)})
			cs := s.customers(2)
			up.reset()
			tp, _, _ := traceparent()
			if r := postTraced(t, s, tp, lookupQuery, map[string]any{"email": *cs[0].Email, "phone": *cs[1].Phone}); len(r.Errors) > 0 {
				t.Fatalf("lookup: %+v", r.Errors)
			}
			time.Sleep(200 * time.Millisecond) // ten export intervals, had tracing been on
			calls := up.apiRequests()
			if len(calls) == 0 {
				t.Fatal("the simulator received no request: nothing was checked")
			}
			for _, c := range calls {
				if c.traceparent != "" {
					t.Errorf("upstream %s %s carries traceparent %q; want none with tracing off", c.method, c.path, c.traceparent)
				}
			}
			if n := len(rcv.Requests()); n != 0 {
				t.Errorf("the receiver got %d requests; want none with tracing off", n)
			}
			if line := configLine(s.cfg); !strings.Contains(line, "config.tracing=off") {
				t.Errorf("the config log line does not say tracing=off:\n%s", line)
			}
		})
	}
}

// TestTracingFlushOnShutdown: spans still queued when the service stops
// (an export interval of a minute) are sent before run returns.
func TestTracingFlushOnShutdown(t *testing.T) {
	rcv := otlptest.New(t)
	base, _, stop := startRun(t, map[string]string{
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rcv.URL + "/custom/traces",
		"OTEL_BSP_SCHEDULE_DELAY":            "60000",
		"OTEL_EXPORTER_OTLP_COMPRESSION":     "gzip",
	})
	tp, traceID, _ := traceparent()
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", tp)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := len(rcv.Requests()); n != 0 {
		t.Fatalf("the receiver got %d requests before shutdown; want none within the minute's interval", n)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.Requests()
	if len(reqs) == 0 {
		t.Fatal("no export by the time run returned; want the queued spans flushed")
	}
	for _, r := range reqs {
		// The traces endpoint is used as it is.
		if r.Path != "/custom/traces" || r.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("export to %s, Content-Encoding %q; want /custom/traces, gzip", r.Path, r.Header.Get("Content-Encoding"))
		}
	}
	if len(rcv.Trace(traceID)) == 0 {
		t.Errorf("the flushed spans hold none of the client's trace %s", traceID)
	}
}

// TestTracingStartupErrors: bad OTEL settings stop the service at start,
// naming the variable and never a header's value.
func TestTracingStartupErrors(t *testing.T) {
	const secret = "hdr-secret-value-77"
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_HEADERS": "bad header=" + secret}, "OTEL_EXPORTER_OTLP_HEADERS"},
		{map[string]string{"OTEL_SDK_DISABLED": "yes"}, "OTEL_SDK_DISABLED"},
	}
	for _, tt := range tests {
		err := run(context.Background(), func(k string) string { return tt.env[k] }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%v) = %v; want a startup error naming %s", tt.env, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("run(%v) error %q contains the header's value", tt.env, err)
		}
	}
}

// configLine is the line run logs cfg with.
func configLine(cfg config) string {
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("starting customergraph", "config", cfg)
	return b.String()
}

func cacheSpans(spans []otlptest.Span) []otlptest.Span {
	var out []otlptest.Span
	for _, s := range spans {
		if s.Str("db.system.name") == "redis" {
			out = append(out, s)
		}
	}
	return out
}

func upstreamSpans(spans []otlptest.Span) []otlptest.Span {
	var out []otlptest.Span
	for _, s := range spans {
		if s.Str("customergraph.vendor") != "" {
			out = append(out, s)
		}
	}
	return out
}

func wantInts(t *testing.T, s otlptest.Span, want map[string]int64) {
	t.Helper()
	for k, w := range want {
		if got, ok := s.Int(k); !ok || got != w {
			t.Errorf("span %q: %s = %d (set: %v); want %d", s.Name, k, got, ok, w)
		}
	}
}

// BenchmarkW1WarmTraced is W1Warm with tracing on, every operation
// sampled and exported to a loopback receiver: the cost of tracing on
// (compare with BenchmarkW1Warm, tracing off).
func BenchmarkW1WarmTraced(b *testing.B) {
	rcv := otlptest.New(b)
	sim := httptest.NewServer(tiquosim.New(tiquosim.Options{Customers: 1000}))
	b.Cleanup(sim.Close)
	env := map[string]string{
		"UPSTREAM_URL": sim.URL, "UPSTREAM_API_KEY": tiquosim.DefaultAPIKey,
		"FACADE_API_KEYS": testKey, "CACHE_NAMESPACE": cachetest.Namespace(b), "LOG_LEVEL": "error",
		"UPSTREAM_BUDGET": "0", "REDIS_URL": "redis://" + cachetest.Redis(b),
		"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL,
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	a, err := newApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	benchQuery(b, a, w1Query, map[string]any{"e": "john@example.com"})
}
