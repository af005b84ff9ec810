package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The suite's API keys: distinctive and random, so that finding one in a
// log or a response can only mean it leaked.
var (
	testKey         = "cg-test-" + randomHex(10) + "-client-key"
	secondKey       = "cg-test-" + randomHex(10) + "-second-key"
	testUpstreamKey = "cg-test-" + randomHex(10) + "-upstream-key"
)

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// minSecretLen is the length below which a configured secret is not
// looked for: a short string turns up in logs and pages by chance.
const minSecretLen = 6

// leakRecorder collects what the whole test suite's facades say — their
// logs and every response body the tests receive — and the secrets they
// were configured with, so that TestMain can check, once every test has
// run, that no secret was ever logged or returned.
type leakRecorder struct {
	mu      sync.Mutex
	streams map[string]*bytes.Buffer // by where it was seen
	order   []string                 // the keys of streams, first seen first
	secrets map[string]string        // secret → what it is
	owners  map[string]string        // host:port → the test whose server it is
	own     map[string][]string      // where → what it may say: its own listen address
}

// suiteLeaks records the whole suite; TestMain checks it.
var suiteLeaks = newLeakRecorder()

func newLeakRecorder() *leakRecorder {
	return &leakRecorder{streams: map[string]*bytes.Buffer{}, secrets: map[string]string{}, owners: map[string]string{}, own: map[string][]string{}}
}

// secret registers value, described by kind (which says what it is and who
// configured it, never the value), to be looked for. Empty and short
// values are ignored; a value registered twice keeps its first kind.
func (r *leakRecorder) secret(kind, value string) {
	if len(value) < minSecretLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.secrets[value]; !ok {
		r.secrets[value] = kind
	}
}

// secretsOf registers the secrets in a facade's environment: its client
// keys, its upstream key and its Redis password.
func (r *leakRecorder) secretsOf(env map[string]string, test string) {
	for _, k := range strings.Split(env["FACADE_API_KEYS"], ",") {
		r.secret("client key (FACADE_API_KEYS, first configured by "+test+")", strings.TrimSpace(k))
	}
	r.secret("upstream key (UPSTREAM_API_KEY, first configured by "+test+")", strings.TrimSpace(env["UPSTREAM_API_KEY"]))
	r.upstreamURL("upstream URL (UPSTREAM_URL, first configured by "+test+")", env["UPSTREAM_URL"])
	if table := env["TENANTS"]; table != "" {
		ts, _ := parseTenantTable([]byte(table), func(k string) string { return env[k] })
		for _, t := range ts {
			r.secret("upstream key of tenant "+t.Name+" (TENANTS, first configured by "+test+")", string(t.UpstreamAPIKey))
			r.upstreamURL("upstream URL of tenant "+t.Name+" (TENANTS, first configured by "+test+")", t.UpstreamURL)
			for _, k := range t.ClientKeys {
				r.secret("client key of tenant "+t.Name+" (TENANTS, first configured by "+test+")", string(k))
			}
		}
	}
	// The tracing backend's credentials: the values of the OTLP headers.
	for _, name := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"} {
		for _, entry := range strings.Split(env[name], ",") {
			if _, v, ok := strings.Cut(entry, "="); ok {
				if dec, err := url.PathUnescape(strings.TrimSpace(v)); err == nil {
					r.secret("OTLP header value ("+name+", first configured by "+test+")", dec)
				}
				r.secret("OTLP header value ("+name+", first configured by "+test+"), as encoded", strings.TrimSpace(v))
			}
		}
	}
	if u, err := url.Parse(env["REDIS_URL"]); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			r.secret("Redis password (REDIS_URL, first configured by "+test+")", pw)
		}
	}
}

// upstreamURL registers an upstream's URL and its host:port: neither may
// reach a client or a log.
func (r *leakRecorder) upstreamURL(kind, raw string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return
	}
	r.secret(kind, raw)
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		r.secret(kind+", its host and port", u.Host)
	}
}

// owner names test as the owner of the server at base (a URL), for the
// report of a leak in one of its responses.
func (r *leakRecorder) owner(base, test string) {
	u, err := url.Parse(base)
	if err != nil {
		return
	}
	r.mu.Lock()
	r.owners[u.Host] = test
	r.mu.Unlock()
}

// allow lets the stream at where say value: a facade's log names the
// address it listens on, and a loopback port the suite hands out may
// before have been an earlier test's upstream, long closed. Two servers
// cannot listen on one port at once, so the stream's own address is never
// a leak of someone else's.
func (r *leakRecorder) allow(where, value string) {
	r.mu.Lock()
	r.own[where] = append(r.own[where], value)
	r.mu.Unlock()
}

// record appends b, one whole message (a response body, a log line), to
// what was seen at where.
func (r *leakRecorder) record(where string, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	buf, ok := r.streams[where]
	if !ok {
		buf = &bytes.Buffer{}
		r.streams[where] = buf
		r.order = append(r.order, where)
	}
	buf.Write(b)
	buf.WriteByte('\n')
}

// writer returns a writer recording everything written to it at where. A
// logger writes one whole line per call.
func (r *leakRecorder) writer(where string) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		r.record(where, p)
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// transport wraps base so that every response body read through it is
// recorded, whole, as a response of the test owning its server.
func (r *leakRecorder) transport(base http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := base.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		r.mu.Lock()
		test, ok := r.owners[req.URL.Host]
		r.mu.Unlock()
		if !ok {
			test = "a server of the suite (" + req.URL.Host + ")"
		}
		resp.Body = &recordedBody{ReadCloser: resp.Body, r: r, where: "a response to " + req.Method + " " + req.URL.Path + " in " + test}
		return resp, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// recordedBody keeps what is read of a body and records it at the end of
// the body or when it is closed, whichever comes first.
type recordedBody struct {
	io.ReadCloser
	r     *leakRecorder
	where string
	buf   bytes.Buffer
	done  bool
}

func (b *recordedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.buf.Write(p[:n])
	if err != nil {
		b.flush()
	}
	return n, err
}

func (b *recordedBody) Close() error {
	b.flush()
	return b.ReadCloser.Close()
}

func (b *recordedBody) flush() {
	if !b.done {
		b.done = true
		b.r.record(b.where, b.buf.Bytes())
	}
}

// leak is a secret found where it must not be.
type leak struct {
	kind, where string
}

func (l leak) String() string { return "the " + l.kind + " appears in " + l.where }

// scan looks for every registered secret in everything recorded.
func (r *leakRecorder) scan() []leak {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []leak
	for _, where := range r.order {
		text := r.streams[where].Bytes()
		for value, kind := range r.secrets {
			if slices.Contains(r.own[where], value) {
				continue
			}
			if bytes.Contains(text, []byte(value)) {
				out = append(out, leak{kind: kind, where: where})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b leak) int { return strings.Compare(a.kind, b.kind) })
	return out
}

// report writes the verdict of scan to w and reports whether it is clean.
func (r *leakRecorder) report(w io.Writer) bool {
	leaks := r.scan()
	if len(leaks) == 0 {
		return true
	}
	fmt.Fprintf(w, "FAIL: %d secret leak(s) in the logs and responses of the test suite (the values are not shown):\n", len(leaks))
	for _, l := range leaks {
		fmt.Fprintf(w, "\t%s\n", l)
	}
	return false
}

// TestLeakRecorder checks the check: a secret in a log or in a response
// read through the recording transport is found and reported by kind and
// place without its value; other text, and secrets too short to look for,
// are not.
func TestLeakRecorder(t *testing.T) {
	r := newLeakRecorder()
	client, upstream := "cg-"+randomHex(8)+"-client", "cg-"+randomHex(8)+"-upstream"
	r.secretsOf(map[string]string{"FACADE_API_KEYS": " " + client + ",k", "UPSTREAM_API_KEY": upstream}, "TestX")
	r.secret("short", "key")

	log := r.writer("the log of TestX")
	fmt.Fprintf(log, "level=INFO msg=started key=%s\n", "[set]")
	fmt.Fprintf(log, "level=WARN msg=\"upstream refused\" auth=\"Bearer %s\"\n", upstream)
	fmt.Fprintf(r.writer("the log of TestY"), "level=INFO msg=\"a key named key\"\n")

	// A server that echoes the client's Authorization header.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.WriteString(w, `{"seen":"`+req.Header.Get("Authorization")+`"}`)
	}))
	defer srv.Close()
	r.owner(srv.URL, "TestZ")
	hc := &http.Client{Transport: r.transport(http.DefaultTransport)}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql", nil)
	req.Header.Set("Authorization", "Bearer "+client)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()

	got := r.scan()
	want := []leak{
		{kind: "client key (FACADE_API_KEYS, first configured by TestX)", where: "a response to GET /graphql in TestZ"},
		{kind: "upstream key (UPSTREAM_API_KEY, first configured by TestX)", where: "the log of TestX"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("scan() = %+v;\nwant %+v", got, want)
	}
	var out strings.Builder
	if r.report(&out) {
		t.Error("report() = true with two leaks")
	}
	if s := out.String(); strings.Contains(s, client) || strings.Contains(s, upstream) ||
		!strings.Contains(s, "the upstream key (UPSTREAM_API_KEY, first configured by TestX) appears in the log of TestX") {
		t.Errorf("report:\n%s\nwant the kinds and places of both leaks, and neither key", s)
	}

	clean := newLeakRecorder()
	clean.secret("client key", client)
	fmt.Fprintf(clean.writer("a log"), "nothing to see: %s\n", client[:len(client)-1])
	if !clean.report(&out) {
		t.Errorf("a log holding part of a key reported as a leak")
	}

	// A port that was an earlier test's upstream and is now a facade's own
	// listen address: its own log may name it; another log may not.
	reused := newLeakRecorder()
	reused.secretsOf(map[string]string{"UPSTREAM_URL": "http://127.0.0.1:40123/v1"}, "TestOld")
	reused.allow("the run() log of TestNew", "127.0.0.1:40123")
	fmt.Fprintf(reused.writer("the run() log of TestNew"), "level=INFO msg=serving addr=127.0.0.1:40123\n")
	fmt.Fprintf(reused.writer("the run() log of TestOther"), "level=WARN msg=down addr=127.0.0.1:40123\n")
	got = reused.scan()
	want = []leak{{kind: "upstream URL (UPSTREAM_URL, first configured by TestOld), its host and port", where: "the run() log of TestOther"}}
	if !slices.Equal(got, want) {
		t.Errorf("scan() with a reused port = %+v;\nwant %+v", got, want)
	}
}
