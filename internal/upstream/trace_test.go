package upstream_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"customergraph/internal/upstream"
)

// tracedCaller returns a Caller of srv whose spans rec records.
func tracedCaller(t *testing.T, url string, before func(context.Context, string) (func(upstream.Result), error)) (*upstream.Caller, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return newCaller(t, url, &upstream.Options{
		RetryBase:      time.Millisecond,
		Timeout:        200 * time.Millisecond,
		Before:         before,
		TracerProvider: tp,
		Propagator:     propagation.TraceContext{},
	}), rec
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// TestAttemptSpans: each attempt of a retried GET is a client span with
// the vendor, operation, method, status and retry number, and its request
// carries the span's own traceparent; the URL is in no attribute.
func TestAttemptSpans(t *testing.T) {
	var (
		mu      sync.Mutex
		parents []string
		n       atomic.Int32
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		parents = append(parents, r.Header.Get("traceparent"))
		mu.Unlock()
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c, rec := tracedCaller(t, srv.URL, nil)
	if err := get(c); err != nil {
		t.Fatalf("get: %v; want success on the third attempt", err)
	}
	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans; want 3, one per attempt", len(spans))
	}
	for i, s := range spans {
		a := attrs(s)
		want := map[string]string{
			"customergraph.vendor": testAPI, "customergraph.upstream.operation": "get thing",
			"http.request.method": "GET", "http.response.status_code": "503", "error.type": "503",
		}
		if i > 0 {
			want["http.request.resend_count"] = fmt.Sprint(i)
		}
		if i == 2 {
			want["http.response.status_code"] = "200"
			delete(want, "error.type")
		}
		if fmt.Sprint(a) != fmt.Sprint(want) {
			t.Errorf("attempt %d: attributes %v; want %v", i, a, want)
		}
		if s.Name() != testAPI+" get thing" || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("attempt %d: %q, kind %v; want %q, client", i, s.Name(), s.SpanKind(), testAPI+" get thing")
		}
		wantCode := codes.Error
		if i == 2 {
			wantCode = codes.Unset
		}
		if s.Status().Code != wantCode {
			t.Errorf("attempt %d: status %v; want %v", i, s.Status(), wantCode)
		}
		wantParent := fmt.Sprintf("00-%s-%s-01", s.SpanContext().TraceID(), s.SpanContext().SpanID())
		if parents[i] != wantParent {
			t.Errorf("attempt %d sent traceparent %q; want its own span's %q", i, parents[i], wantParent)
		}
		for k, v := range a {
			if strings.Contains(v, "/things") || strings.Contains(v, strings.TrimPrefix(srv.URL, "http://")) {
				t.Errorf("attempt %d: attribute %s = %q holds the URL", i, k, v)
			}
		}
	}
}

// TestAttemptSpanFailures: a refused attempt and a timed-out one are
// failed spans with a word for the failure, never the error's text.
func TestAttemptSpanFailures(t *testing.T) {
	var sent atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		time.Sleep(500 * time.Millisecond)
	}))
	defer srv.Close()

	refuse := func(context.Context, string) (func(upstream.Result), error) {
		return nil, &upstream.Error{Kind: upstream.ErrUnavailable, Message: "circuit open for customer 42"}
	}
	c, rec := tracedCaller(t, srv.URL, refuse)
	if err := get(c); err == nil {
		t.Fatal("get with Before refusing: nil error")
	}
	spans := rec.Ended()
	if len(spans) != 1 || sent.Load() != 0 {
		t.Fatalf("%d spans, %d requests sent; want one span and nothing sent", len(spans), sent.Load())
	}
	if st := spans[0].Status(); st.Code != codes.Error || st.Description != "circuit_open" || attrs(spans[0])["error.type"] != "circuit_open" {
		t.Errorf("refused attempt: status %v, error.type %q; want Error circuit_open", st, attrs(spans[0])["error.type"])
	}

	c, rec = tracedCaller(t, srv.URL, nil)
	if _, _, err := c.Do(context.Background(), "update thing", http.MethodPatch, "/things/1", []byte(`{}`)); err == nil {
		t.Fatal("PATCH to a server slower than the timeout: nil error")
	}
	spans = rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans; want 1 (a PATCH is never retried)", len(spans))
	}
	if st, a := spans[0].Status(), attrs(spans[0]); st.Description != "timeout" || a["error.type"] != "timeout" || a["http.request.method"] != "PATCH" {
		t.Errorf("timed-out attempt: status %v, attributes %v; want timeout, PATCH", st, a)
	}
}

// TestNoTraceContextWithoutTracing: with no provider, or a no-op one, the
// propagator sends nothing, even for a traced caller's context.
func TestNoTraceContextWithoutTracing(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("traceparent"))
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	ctx, span := tp.Tracer("test").Start(context.Background(), "caller")
	defer span.End()
	for name, provider := range map[string]trace.TracerProvider{"nil": nil, "noop": noop.NewTracerProvider()} {
		c := newCaller(t, srv.URL, &upstream.Options{TracerProvider: provider, Propagator: propagation.TraceContext{}})
		if _, _, err := c.Do(ctx, "get thing", http.MethodGet, "/things/1", nil); err != nil {
			t.Fatal(err)
		}
		if tp, _ := got.Load().(string); tp != "" {
			t.Errorf("%s provider: the request carries traceparent %q; want none", name, tp)
		}
	}
}
