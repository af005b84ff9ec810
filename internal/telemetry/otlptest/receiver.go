// Package otlptest is an OTLP/HTTP trace receiver for tests: a loopback
// HTTP server that accepts ExportTraceServiceRequest protobuf bodies
// posted to /v1/traces (or any other path, which Request records), as a
// collector does, and keeps both the raw
// bodies (to search for what must never be exported) and the spans
// decoded from them.
package otlptest

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Span is one received span with the attributes of its resource.
type Span struct {
	*tracepb.Span
	Resource map[string]string
}

// TraceID returns the span's trace ID in hex, as traceparent writes it.
func (s Span) TraceID() string { return hex.EncodeToString(s.Span.TraceId) }

// SpanID returns the span's ID in hex.
func (s Span) SpanID() string { return hex.EncodeToString(s.Span.SpanId) }

// ParentID returns the span's parent ID in hex, "" for a root span.
func (s Span) ParentID() string { return hex.EncodeToString(s.Span.ParentSpanId) }

// Attr returns the attribute key of the span, and whether it has it.
func (s Span) Attr(key string) (*commonpb.AnyValue, bool) {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// Str returns the string attribute key, or "".
func (s Span) Str(key string) string {
	v, _ := s.Attr(key)
	return v.GetStringValue()
}

// Int returns the integer attribute key, and whether the span has it.
func (s Span) Int(key string) (int64, bool) {
	v, ok := s.Attr(key)
	if !ok {
		return 0, false
	}
	if _, isInt := v.Value.(*commonpb.AnyValue_IntValue); !isInt {
		return 0, false
	}
	return v.GetIntValue(), true
}

// Request is one export the receiver was sent.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte // decompressed
}

// Receiver is a running OTLP/HTTP receiver.
type Receiver struct {
	URL string // the server's base URL, e.g. http://127.0.0.1:1234

	mu       sync.Mutex
	requests []Request
	spans    []Span
	bad      []string
}

// New starts a receiver that t's cleanup stops; t fails then if a request
// was not a protobuf export. Its URL is what OTEL_EXPORTER_OTLP_ENDPOINT
// is set to.
func New(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, b := range r.bad {
			t.Errorf("OTLP receiver: %s", b)
		}
	})
	r.URL = srv.URL
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 64<<20))
	if err == nil && req.Header.Get("Content-Encoding") == "gzip" {
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(bytes.NewReader(body)); err == nil {
			body, err = io.ReadAll(zr)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, Request{Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(), Body: body})
	switch {
	case err != nil:
		r.bad = append(r.bad, "unreadable body: "+err.Error())
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	case req.Method != http.MethodPost:
		r.bad = append(r.bad, "request "+req.Method+" "+req.URL.Path+"; want POST")
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	case req.Header.Get("Content-Type") != "application/x-protobuf":
		r.bad = append(r.bad, "Content-Type "+req.Header.Get("Content-Type")+"; want application/x-protobuf")
		http.Error(w, "unsupported content type", http.StatusUnsupportedMediaType)
		return
	}
	var msg coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &msg); err != nil {
		r.bad = append(r.bad, "body is not an ExportTraceServiceRequest: "+err.Error())
		http.Error(w, "bad protobuf", http.StatusBadRequest)
		return
	}
	for _, rs := range msg.ResourceSpans {
		res := map[string]string{}
		for _, kv := range rs.GetResource().GetAttributes() {
			res[kv.Key] = kv.Value.GetStringValue()
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				r.spans = append(r.spans, Span{Span: s, Resource: res})
			}
		}
	}
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// Requests returns every request received so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// Spans returns every span received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Trace returns the spans received so far of the trace with the hex ID.
func (r *Receiver) Trace(traceID string) []Span {
	var out []Span
	for _, s := range r.Spans() {
		if s.TraceID() == traceID {
			out = append(out, s)
		}
	}
	return out
}

// Wait polls, until timeout, for done to hold of the spans of the trace
// with the hex ID, and returns them; on timeout t fails, listing the
// spans that did arrive.
func (r *Receiver) Wait(t testing.TB, traceID string, timeout time.Duration, done func([]Span) bool) []Span {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		spans := r.Trace(traceID)
		if done(spans) {
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, trace %s has %d spans, not yet what the test waits for: %s", timeout, traceID, len(spans), Describe(spans))
			return spans
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Describe lists spans by name, for failure messages.
func Describe(spans []Span) string {
	var b bytes.Buffer
	for i, s := range spans {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.Name)
	}
	return "[" + b.String() + "]"
}

// Named returns the spans called name.
func Named(spans []Span, name string) []Span {
	var out []Span
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}
