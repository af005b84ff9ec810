package upstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"customergraph/internal/upstream"
	"customergraph/internal/upstream/upstreamtest"
)

const (
	testAPI = "acme"
	testKey = "sk_test_9f8e7d6c5b4a"
)

// errorBody reads {"code": "...", "message": "..."}.
func errorBody(b []byte) (code, message string) {
	var v struct{ Code, Message string }
	if json.Unmarshal(b, &v) != nil {
		return "", ""
	}
	return v.Code, v.Message
}

func newCaller(t *testing.T, baseURL string, opts *upstream.Options) *upstream.Caller {
	t.Helper()
	if opts == nil {
		opts = &upstream.Options{RetryBase: time.Millisecond}
	}
	c, err := upstream.NewCaller(testAPI, baseURL, testKey, opts, errorBody)
	if err != nil {
		t.Fatalf("NewCaller: %v", err)
	}
	return c
}

func checkClean(t *testing.T, err error, baseURL string) {
	t.Helper()
	upstreamtest.CheckClean(t, err, testAPI, baseURL, testKey, "/things")
}

func get(c *upstream.Caller) error {
	_, _, err := c.Do(context.Background(), "get thing", http.MethodGet, "/things/1", nil)
	return err
}

func TestNewCaller(t *testing.T) {
	for _, u := range []string{
		"", "api.acme.test", "/api/v1", "ftp://api.acme.test", "https://", "https://api.acme.test/v1?x=1",
		"https://api.acme.test/v1?", "https://user:pass@api.acme.test", "https://api.acme.test/#x", "http://[::1",
	} {
		c, err := upstream.NewCaller(testAPI, u, testKey, nil, nil)
		if err == nil {
			t.Errorf("NewCaller(%q) = %v; want an error", u, c)
			continue
		}
		if u != "" && strings.Contains(err.Error(), u) || strings.Contains(err.Error(), "pass") {
			t.Errorf("NewCaller(%q) error %q echoes the URL", u, err)
		}
		if !strings.HasPrefix(err.Error(), testAPI+": ") {
			t.Errorf("NewCaller(%q) error %q; want the prefix %q", u, err, testAPI+": ")
		}
	}
	for _, key := range []string{"key\r\nX-Evil: 1", "key\n", "k\x00"} {
		if _, err := upstream.NewCaller(testAPI, "https://api.acme.test", key, nil, nil); err == nil {
			t.Errorf("NewCaller with key %q: got no error; want one", key)
		} else if strings.Contains(err.Error(), "key\r") || strings.Contains(err.Error(), "Evil") {
			t.Errorf("NewCaller error %q echoes the key", err)
		}
	}
	for _, u := range []string{"https://api.acme.test/api/v1", "https://api.acme.test/api/v1/", "http://127.0.0.1:8081"} {
		c, err := upstream.NewCaller(testAPI, u, testKey, nil, nil)
		if err != nil {
			t.Errorf("NewCaller(%q): %v", u, err)
		} else if c.API() != testAPI {
			t.Errorf("API() = %q; want %q", c.API(), testAPI)
		}
	}
}

func TestRequestShape(t *testing.T) {
	srv := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	ctx := context.Background()
	c := newCaller(t, srv.URL+"/api/v1/", &upstream.Options{UserAgent: "cg-test/1"})
	for _, tc := range []struct {
		method, path string
		body         []byte
	}{
		{"GET", "/things/a%2Fb?x=1&y=2", nil},
		{"PATCH", "/things/1/balance", []byte(`{"newBalance":1}`)},
		{"PUT", "things/2", []byte(`{}`)},
		{"POST", "/things", []byte{}},
	} {
		b, status, err := c.Do(ctx, "op", tc.method, tc.path, tc.body)
		if err != nil || status != 200 || string(b) != "{}" {
			t.Fatalf("Do(%s %s) = %s, %d, %v; want {}, 200, nil", tc.method, tc.path, b, status, err)
		}
	}
	type seen struct{ method, rawPath, query, auth, accept, ua, ctype, body string }
	want := []seen{
		{"GET", "/api/v1/things/a%2Fb", "x=1&y=2", "", "", "", "", ""},
		{"PATCH", "/api/v1/things/1/balance", "", "", "", "", "application/json", `{"newBalance":1}`},
		{"PUT", "/api/v1/things/2", "", "", "", "", "application/json", `{}`},
		{"POST", "/api/v1/things", "", "", "", "", "application/json", ""},
	}
	reqs := srv.Requests()
	if len(reqs) != len(want) {
		t.Fatalf("got %d requests; want %d", len(reqs), len(want))
	}
	for i, w := range want {
		w.auth, w.accept, w.ua = "Bearer "+testKey, "application/json", "cg-test/1"
		r := reqs[i]
		got := seen{r.Method, r.RawPath, r.Query, r.Header.Get("Authorization"), r.Header.Get("Accept"),
			r.Header.Get("User-Agent"), r.Header.Get("Content-Type"), r.Body}
		if got != w {
			t.Errorf("request %d:\n got %+v\nwant %+v", i, got, w)
		}
	}

	// Defaults: the User-Agent, and no Authorization without a key.
	srv.Reset()
	c, err := upstream.NewCaller(testAPI, srv.URL, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := get(c); err != nil {
		t.Fatal(err)
	}
	r := srv.Last(t)
	if got := r.Header.Get("User-Agent"); got != upstream.DefaultUserAgent {
		t.Errorf("User-Agent = %q; want %q", got, upstream.DefaultUserAgent)
	}
	if _, ok := r.Header["Authorization"]; ok {
		t.Errorf("Authorization = %q; want none without a key", r.Header.Get("Authorization"))
	}
}

func TestStatusKinds(t *testing.T) {
	for _, tc := range []struct {
		status    int
		body      string
		kind      error
		code, msg string
		text      string
	}{
		{400, `{"code":"bad","message":"limit must be an integer"}`, upstream.ErrValidation, "bad", "limit must be an integer",
			"acme: get thing: invalid request: limit must be an integer"},
		{422, `{"message":"bad email"}`, upstream.ErrValidation, "", "bad email", ""},
		{401, `{"message":"Invalid API key"}`, upstream.ErrUnauthorized, "", "Invalid API key", ""},
		{403, `{"code":"scope","message":"Missing scope"}`, upstream.ErrForbidden, "scope", "Missing scope", ""},
		{404, `{"message":"Not found"}`, upstream.ErrNotFound, "", "Not found", "acme: get thing: not found: Not found"},
		{404, ``, upstream.ErrNotFound, "", "", "acme: get thing: not found: status 404"},
		{409, `{"message":"taken"}`, upstream.ErrConflict, "", "taken", ""},
		{429, `{"message":"slow down"}`, upstream.ErrRateLimited, "", "slow down", ""},
		{500, `<html>oops</html>`, upstream.ErrUnavailable, "", "", "acme: get thing: unavailable: status 500"},
		{502, ``, upstream.ErrUnavailable, "", "", ""},
		{503, ``, upstream.ErrUnavailable, "", "", ""},
		{504, ``, upstream.ErrUnavailable, "", "", ""},
		{599, ``, upstream.ErrUnavailable, "", "", ""},
		{302, ``, upstream.ErrUnexpected, "", "", "acme: get thing: unexpected response: status 302"},
		{418, `I'm a teapot`, upstream.ErrUnexpected, "", "", ""},
	} {
		srv := upstreamtest.Fixed(t, tc.status, nil, tc.body)
		err := get(newCaller(t, srv.URL, &upstream.Options{MaxRetries: -1}))
		checkClean(t, err, srv.URL)
		var ue *upstream.Error
		if !errors.As(err, &ue) || !errors.Is(err, tc.kind) {
			t.Errorf("%d %s: got %v; want %v", tc.status, tc.body, err, tc.kind)
			continue
		}
		if ue.Status != tc.status || ue.Code != tc.code || ue.Message != tc.msg || ue.Op != "get thing" || ue.API != testAPI {
			t.Errorf("%d %s: got %+v", tc.status, tc.body, ue)
		}
		if tc.text != "" && err.Error() != tc.text {
			t.Errorf("%d: Error() = %q; want %q", tc.status, err, tc.text)
		}
		if got := upstream.KindForStatus(tc.status); got != tc.kind {
			t.Errorf("KindForStatus(%d) = %v; want %v", tc.status, got, tc.kind)
		}
	}
}

func TestMessageRedacted(t *testing.T) {
	var srv *upstreamtest.Server
	srv = upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, `{"code":"`+testKey+`","message":"key `+testKey+` is revoked for `+srv.URL+`, host `+
			srv.Listener.Addr().String()+`"}`)
	})
	err := get(newCaller(t, srv.URL, nil))
	checkClean(t, err, srv.URL)
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Message != "key [redacted] is revoked for [redacted], host [redacted]" || ue.Code != "[redacted]" {
		t.Errorf("got %+v; want the key, URL and host redacted", ue)
	}
}

func TestRetryAfter(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		status   int
		header   string
		kind     error
		min, max time.Duration
	}{
		{429, "30", upstream.ErrRateLimited, 30 * time.Second, 30 * time.Second},
		{429, " 7 ", upstream.ErrRateLimited, 7 * time.Second, 7 * time.Second},
		{429, date, upstream.ErrRateLimited, 85 * time.Second, 91 * time.Second},
		{429, "", upstream.ErrRateLimited, 0, 0},
		{429, "soon", upstream.ErrRateLimited, 0, 0},
		{429, "-5", upstream.ErrRateLimited, 0, 0},
		{429, "999999999", upstream.ErrRateLimited, 24 * time.Hour, 24 * time.Hour},
		{429, "Wed, 21 Oct 2015 07:28:00 GMT", upstream.ErrRateLimited, 0, 0}, // in the past
		{503, "5", upstream.ErrUnavailable, 5 * time.Second, 5 * time.Second},
		{503, date, upstream.ErrUnavailable, 85 * time.Second, 91 * time.Second},
		{500, "5", upstream.ErrUnavailable, 0, 0}, // only 429 and 503 say when to retry
		{404, "5", upstream.ErrNotFound, 0, 0},
	} {
		srv := upstreamtest.Fixed(t, tc.status, map[string]string{"Retry-After": tc.header}, `{"message":"wait"}`)
		err := get(newCaller(t, srv.URL, &upstream.Options{MaxRetries: -1}))
		checkClean(t, err, srv.URL)
		var ue *upstream.Error
		if !errors.As(err, &ue) || !errors.Is(err, tc.kind) {
			t.Errorf("%d Retry-After %q: got %v; want %v", tc.status, tc.header, err, tc.kind)
			continue
		}
		if ue.RetryAfter < tc.min || ue.RetryAfter > tc.max {
			t.Errorf("%d Retry-After %q: RetryAfter = %v; want %v..%v", tc.status, tc.header, ue.RetryAfter, tc.min, tc.max)
		}
		if srv.Count() != 1 {
			t.Errorf("%d: %d requests; want 1", tc.status, srv.Count())
		}
	}
	srv := upstreamtest.Fixed(t, 429, map[string]string{"Retry-After": "1"}, `{"message":"slow down"}`)
	err := get(newCaller(t, srv.URL, nil))
	if got, want := err.Error(), "acme: get thing: rate limited: slow down (retry after 1s)"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

// TestRetries: a GET is retried after a 5xx, up to MaxRetries times; no
// other method is, and no other status.
func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		method     string
		status     int
		maxRetries int
		want       int
	}{
		{"GET", 503, 0, 3}, // the default: 2 retries
		{"GET", 503, -1, 1},
		{"GET", 503, 1, 2},
		{"GET", 500, 4, 5},
		{"GET", 502, 2, 3},
		{"GET", 504, 2, 3},
		{"GET", 429, 3, 1},
		{"GET", 404, 3, 1},
		{"GET", 400, 3, 1},
		{"GET", 401, 3, 1},
		{"GET", 409, 3, 1},
		{"PATCH", 503, 3, 1},
		{"PUT", 503, 3, 1},
		{"POST", 500, 3, 1},
		{"DELETE", 502, 3, 1},
	} {
		srv := upstreamtest.Fixed(t, tc.status, nil, ``)
		c := newCaller(t, srv.URL, &upstream.Options{MaxRetries: tc.maxRetries, RetryBase: time.Millisecond})
		var body []byte
		if tc.method != "GET" {
			body = []byte(`{}`)
		}
		_, status, err := c.Do(context.Background(), "op", tc.method, "/things/1", body)
		if err == nil || status != tc.status {
			t.Errorf("%s %d: got status %d, err %v; want status %d and an error", tc.method, tc.status, status, err, tc.status)
		}
		if srv.Count() != tc.want {
			t.Errorf("%s %d MaxRetries %d: %d requests; want %d", tc.method, tc.status, tc.maxRetries, srv.Count(), tc.want)
		}
	}

	// A GET that fails twice, then succeeds, returns the success.
	var n atomic.Int32
	srv := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, "ok")
	})
	b, status, err := newCaller(t, srv.URL, nil).Do(context.Background(), "op", "GET", "/things/1", nil)
	if err != nil || status != 200 || string(b) != "ok" || srv.Count() != 3 {
		t.Errorf("got %q, %d, %v after %d requests; want ok, 200, nil after 3", b, status, err, srv.Count())
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := newCaller(t, url, &upstream.Options{MaxRetries: 2, RetryBase: time.Millisecond})
	for _, method := range []string{"GET", "PATCH", "PUT"} {
		_, _, err := c.Do(context.Background(), "op", method, "/things/1", nil)
		checkClean(t, err, url)
		var ue *upstream.Error
		if !errors.Is(err, upstream.ErrUnavailable) || !errors.As(err, &ue) || ue.Status != 0 {
			t.Errorf("%s: got %v; want ErrUnavailable with no status", method, err)
		}
		if !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("%s: Error() = %q; want it to say connection refused", method, err)
		}
	}
}

func TestAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := newCaller(t, srv.URL, &upstream.Options{Timeout: 50 * time.Millisecond, MaxRetries: 1, RetryBase: time.Millisecond})
	start := time.Now()
	err := get(c)
	elapsed := time.Since(start)
	checkClean(t, err, srv.URL)
	var ue *upstream.Error
	if !errors.Is(err, upstream.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &ue) || ue.Status != 0 {
		t.Fatalf("got %v; want ErrUnavailable wrapping context.DeadlineExceeded", err)
	}
	if got, want := err.Error(), "acme: get thing: unavailable: no response within 50ms"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if elapsed > time.Second {
		t.Errorf("took %v; want about 2 × 50ms", elapsed)
	}
	if srv.Count() != 2 {
		t.Errorf("%d requests; want 2 (one retry)", srv.Count())
	}
	srv.Reset()
	_, _, err = c.Do(context.Background(), "op", "PUT", "/things/1", []byte(`{}`))
	if !errors.Is(err, upstream.ErrUnavailable) || srv.Count() != 1 {
		t.Errorf("PUT: got %v after %d requests; want ErrUnavailable after 1", err, srv.Count())
	}
}

func TestCallerContext(t *testing.T) {
	slow := make(chan struct{})
	defer close(slow)
	var status atomic.Int32 // 0: hang
	srv := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if s := status.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		select {
		case <-slow:
		case <-r.Context().Done():
		}
	})
	c := newCaller(t, srv.URL, &upstream.Options{MaxRetries: 3, RetryBase: time.Hour})
	check := func(name string, err error, elapsed time.Duration, want error) {
		t.Helper()
		checkClean(t, err, srv.URL)
		var ue *upstream.Error
		if !errors.Is(err, want) || errors.Is(err, upstream.ErrUnavailable) || !errors.As(err, &ue) || ue.Kind != nil {
			t.Errorf("%s: got %v; want %v and no Kind", name, err, want)
		}
		if elapsed > time.Second {
			t.Errorf("%s: took %v", name, elapsed)
		}
	}

	for _, method := range []string{"GET", "PATCH"} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, _, err := c.Do(ctx, "op", method, "/things/1", nil)
		check("cancel during "+method, err, time.Since(start), context.Canceled)
		if got, want := err.Error(), "acme: op: context canceled"; got != want {
			t.Errorf("Error() = %q; want %q", got, want)
		}
		ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
		start = time.Now()
		_, _, err = c.Do(ctx, "op", method, "/things/1", nil)
		cancel()
		check("caller deadline during "+method, err, time.Since(start), context.DeadlineExceeded)
	}

	// Cancelled during the backoff after a 503.
	status.Store(503)
	srv.Reset()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := c.Do(ctx, "op", "GET", "/things/1", nil)
	check("cancel during backoff", err, time.Since(start), context.Canceled)
	if srv.Count() != 1 {
		t.Errorf("cancel during backoff: %d requests; want 1", srv.Count())
	}

	// A backoff that would outlast the caller's deadline is not started: the
	// last upstream error is returned at once. The draw is fixed at its
	// longest (5 s) so that it is past the 2 s deadline every time.
	upstream.SetJitter(t, func(ceiling time.Duration) time.Duration { return ceiling })
	srv.Reset()
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _, err = c.Do(ctx, "op", "GET", "/things/1", nil)
	checkClean(t, err, srv.URL)
	var ue *upstream.Error
	if !errors.Is(err, upstream.ErrUnavailable) || !errors.As(err, &ue) || ue.Status != 503 || ctx.Err() != nil {
		t.Errorf("backoff past deadline: got %v (deadline passed: %v); want the 503 before the deadline", err, ctx.Err() != nil)
	}
	if srv.Count() != 1 {
		t.Errorf("backoff past deadline: %d requests; want 1", srv.Count())
	}
	// A backoff that ends before the deadline is taken: every retry is sent.
	upstream.SetJitter(t, func(time.Duration) time.Duration { return time.Millisecond })
	srv.Reset()
	_, _, err = c.Do(ctx, "op", "GET", "/things/1", nil)
	if !errors.Is(err, upstream.ErrUnavailable) || srv.Count() != 4 {
		t.Errorf("backoff before deadline: got %v after %d requests; want the 503 after 4", err, srv.Count())
	}

	// An already-cancelled context sends nothing.
	status.Store(200)
	srv.Reset()
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, _, err = c.Do(ctx, "op", "GET", "/things/1", nil)
	check("cancelled before the call", err, 0, context.Canceled)
}

// TestBefore: Options.Before sees every attempt, retries included, with its
// result, and its error ends the call without a request or a retry.
func TestBefore(t *testing.T) {
	var status atomic.Int32
	status.Store(503)
	srv := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		s := int(status.Load())
		if s == 429 {
			w.Header().Set("Retry-After", "4")
		}
		w.WriteHeader(s)
	})
	var (
		mu      sync.Mutex
		seen    []upstream.Result
		methods []string
		refuse  func(n int) error // by attempt number, from 1
	)
	c := newCaller(t, srv.URL, &upstream.Options{RetryBase: time.Millisecond,
		Before: func(ctx context.Context, method string) (func(upstream.Result), error) {
			mu.Lock()
			defer mu.Unlock()
			methods = append(methods, method)
			if refuse != nil {
				if err := refuse(len(methods)); err != nil {
					return nil, err
				}
			}
			return func(r upstream.Result) {
				mu.Lock()
				seen = append(seen, r)
				mu.Unlock()
			}, nil
		}})
	reset := func(f func(int) error) {
		mu.Lock()
		seen, methods, refuse = nil, nil, f
		mu.Unlock()
		srv.Reset()
	}
	ctx := context.Background()

	reset(nil)
	if err := get(c); !errors.Is(err, upstream.ErrUnavailable) {
		t.Fatalf("get: %v; want ErrUnavailable", err)
	}
	if len(seen) != 3 || len(methods) != 3 || methods[2] != "GET" || seen[0].Method != "GET" || seen[2].Status != 503 ||
		!errors.Is(seen[2].Err, upstream.ErrUnavailable) {
		t.Errorf("attempts seen: %+v (Before called for %v); want 3 GETs answered 503", seen, methods)
	}
	reset(nil)
	c.Do(ctx, "op", "PATCH", "/things/1", []byte(`{}`))
	if len(seen) != 1 || seen[0].Method != "PATCH" || srv.Count() != 1 {
		t.Errorf("attempts seen: %+v after %d requests; want 1 PATCH", seen, srv.Count())
	}

	// A refused retry ends the call with the refusal.
	reset(func(n int) error {
		if n == 2 {
			return errors.New("circuit open")
		}
		return nil
	})
	err := get(c)
	checkClean(t, err, srv.URL)
	var ue *upstream.Error
	if !errors.Is(err, upstream.ErrUnavailable) || !errors.As(err, &ue) || ue.Op != "get thing" || ue.Err == nil ||
		ue.Err.Error() != "circuit open" {
		t.Errorf("refused retry: %#v; want ErrUnavailable wrapping the refusal", err)
	}
	if srv.Count() != 1 || len(seen) != 1 {
		t.Errorf("refused retry: %d requests, %d attempts seen; want 1", srv.Count(), len(seen))
	}

	// A refusal that is an *Error keeps its kind and RetryAfter, and gets
	// the call's API and Op.
	reset(func(int) error {
		return &upstream.Error{API: "other", Op: "x", Kind: upstream.ErrRateLimited, RetryAfter: 3 * time.Second,
			Err: errors.New("budget spent")}
	})
	err = get(c)
	if !errors.Is(err, upstream.ErrRateLimited) || !errors.As(err, &ue) || ue.API != testAPI || ue.Op != "get thing" ||
		ue.RetryAfter != 3*time.Second {
		t.Errorf("refused with an *Error: %#v; want ErrRateLimited, API acme, op get thing, RetryAfter 3s", err)
	}
	if srv.Count() != 0 || len(seen) != 0 {
		t.Errorf("refused call: %d requests; want none", srv.Count())
	}

	// A 429's Retry-After reaches the result; a success has no error.
	status.Store(429)
	reset(nil)
	get(c)
	if len(seen) != 1 || seen[0].Status != 429 || seen[0].RetryAfter != 4*time.Second {
		t.Errorf("429: attempts seen %+v; want one with RetryAfter 4s", seen)
	}
	status.Store(200)
	reset(nil)
	if err := get(c); err != nil || len(seen) != 1 || seen[0].Status != 200 || seen[0].Err != nil {
		t.Errorf("success: %v, attempts seen %+v; want one 200", err, seen)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	srv := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	for _, method := range []string{"GET", "PATCH"} {
		srv.Reset()
		_, _, err := newCaller(t, srv.URL, nil).Do(context.Background(), "op", method, "/things/1", nil)
		checkClean(t, err, srv.URL)
		if !errors.Is(err, upstream.ErrUnexpected) || srv.Count() != 1 {
			t.Errorf("%s: got %v after %d requests; want ErrUnexpected after 1", method, err, srv.Count())
		}
	}
}

func TestBodyTooLarge(t *testing.T) {
	for _, tc := range []struct {
		name    string
		max     int64
		size    int
		chunked bool
		ok      bool
	}{
		{"default, over", 0, upstream.DefaultMaxBodySize + 1, false, false},
		{"default, at", 0, upstream.DefaultMaxBodySize, false, true},
		{"default, over, chunked", 0, upstream.DefaultMaxBodySize + 1, true, false},
		{"custom, over", 1000, 1001, false, false},
		{"custom, over, chunked", 1000, 1001, true, false},
		{"custom, at, chunked", 1000, 1000, true, true},
		{"custom, larger than the default", 16 << 20, 9 << 20, false, true},
	} {
		body := strings.Repeat("x", tc.size)
		srv := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
			if !tc.chunked {
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			}
			io.WriteString(w, body)
		})
		b, _, err := newCaller(t, srv.URL, &upstream.Options{MaxBodySize: tc.max}).Do(context.Background(), "op", "GET", "/", nil)
		checkClean(t, err, srv.URL)
		if tc.ok && (err != nil || len(b) != tc.size) {
			t.Errorf("%s: got %d bytes, %v; want %d bytes", tc.name, len(b), err, tc.size)
		}
		if !tc.ok && (!errors.Is(err, upstream.ErrUnexpected) || srv.Count() != 1) {
			t.Errorf("%s: got %v after %d requests; want ErrUnexpected after 1", tc.name, err, srv.Count())
		}
	}
}

// TestConnectionReuse checks that bodies are drained and closed: a run of
// calls, failing and succeeding, uses a single connection.
func TestConnectionReuse(t *testing.T) {
	var conns, i atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch i.Add(1) % 3 {
		case 0:
			w.WriteHeader(404)
			io.WriteString(w, `{"message":"not found"}`)
		case 1:
			io.WriteString(w, `{"ok":true,"trailing":"`+strings.Repeat("y", 10000)+`"}`)
		case 2:
			w.WriteHeader(409)
			io.WriteString(w, `{"message":"taken"}`)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := newCaller(t, srv.URL, nil)
	for range 30 {
		get(c)
	}
	if conns.Load() != 1 {
		t.Errorf("%d connections for 30 sequential calls; want 1", conns.Load())
	}
}

func TestTLSErrorClean(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	// The default client does not trust the test certificate.
	err := get(newCaller(t, srv.URL, &upstream.Options{MaxRetries: -1}))
	checkClean(t, err, srv.URL)
	if !errors.Is(err, upstream.ErrUnavailable) {
		t.Errorf("got %v; want ErrUnavailable", err)
	}
	// The server's own client does, and the request goes through.
	err = get(newCaller(t, srv.URL, &upstream.Options{HTTPClient: srv.Client()}))
	if !errors.Is(err, upstream.ErrNotFound) {
		t.Errorf("got %v; want ErrNotFound", err)
	}
}

func TestNewHTTPClient(t *testing.T) {
	hc := upstream.NewHTTPClient()
	if hc == upstream.NewHTTPClient() {
		t.Error("NewHTTPClient returned the same client twice")
	}
	if hc.CheckRedirect == nil {
		t.Fatal("CheckRedirect is nil: redirects would be followed")
	}
	tr, ok := hc.Transport.(*http.Transport)
	if !ok || tr.MaxIdleConnsPerHost < 100 {
		t.Errorf("Transport = %T %+v; want a keep-alive transport with many idle connections per host", hc.Transport, tr)
	}
}

func TestPathSegment(t *testing.T) {
	srv := upstreamtest.Fixed(t, 200, nil, `{}`)
	c := newCaller(t, srv.URL+"/v1", nil)
	for _, tc := range []struct{ in, raw, path string }{
		{"abc", "/v1/x/abc/y", "/v1/x/abc/y"},
		{"a/b", "/v1/x/a%2Fb/y", "/v1/x/a/b/y"},
		{"?x=1", "/v1/x/%3Fx=1/y", "/v1/x/?x=1/y"},
		{"#frag", "/v1/x/%23frag/y", "/v1/x/#frag/y"},
		{"a b", "/v1/x/a%20b/y", "/v1/x/a b/y"},
		{"a+b@example.com", "/v1/x/a+b@example.com/y", "/v1/x/a+b@example.com/y"},
		{".", "/v1/x/%2E/y", "/v1/x/./y"},
		{"..", "/v1/x/%2E%2E/y", "/v1/x/../y"},
		{"...", "/v1/x/.../y", "/v1/x/.../y"},
		{"%2F", "/v1/x/%252F/y", "/v1/x/%2F/y"},
		{"", "/v1/x//y", "/v1/x//y"},
	} {
		seg := upstream.PathSegment(tc.in)
		if _, _, err := c.Do(context.Background(), "op", "GET", "/x/"+seg+"/y", nil); err != nil {
			t.Errorf("PathSegment(%q) = %q: %v", tc.in, seg, err)
			continue
		}
		r := srv.Last(t)
		if r.RawPath != tc.raw || r.Path != tc.path || r.Query != "" {
			t.Errorf("PathSegment(%q) = %q: server got %q (%q) ?%q; want %q (%q)", tc.in, seg, r.RawPath, r.Path, r.Query, tc.raw, tc.path)
		}
	}
}

func TestFirstInvalidField(t *testing.T) {
	for _, tc := range []struct{ in, name, msg string }{
		{`{"newBalance":["must be at least 0"],"comment":["too long"]}`, "newBalance", "must be at least 0"},
		{`{"zeta":"bad","alpha":"worse"}`, "zeta", "bad"},
		{`{"email":[]}`, "email", ""},
		{`{"email":{"nested":true}}`, "email", ""},
		{`{"email":[42]}`, "email", ""},
		{`{}`, "", ""},
		{`[]`, "", ""},
		{`"x"`, "", ""},
		{`null`, "", ""},
		{``, "", ""},
		{`{"a":`, "a", ""},
	} {
		name, msg := upstream.FirstInvalidField([]byte(tc.in))
		if name != tc.name || msg != tc.msg {
			t.Errorf("FirstInvalidField(%s) = %q, %q; want %q, %q", tc.in, name, msg, tc.name, tc.msg)
		}
	}
}

func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  *upstream.Error
		want string
	}{
		{&upstream.Error{API: "komerza", Op: "get customer", Kind: upstream.ErrNotFound, Status: 404},
			"komerza: get customer: not found: status 404"},
		{&upstream.Error{API: "xtrakit", Op: "update customer", Kind: upstream.ErrValidation, Message: "missing customer_name"},
			"xtrakit: update customer: invalid request: missing customer_name"},
		{&upstream.Error{API: "tiquo", Op: "list customers", Kind: upstream.ErrUnexpected, Status: 200, Err: errors.New("decode body")},
			"tiquo: list customers: unexpected response: status 200: decode body"},
		{&upstream.Error{Op: "get customer", Err: context.Canceled}, "get customer: context canceled"},
		{&upstream.Error{API: "a", Op: "o", Kind: upstream.ErrRateLimited, RetryAfter: 2 * time.Second},
			"a: o: rate limited (retry after 2s)"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q; want %q", got, tc.want)
		}
	}
	e := &upstream.Error{Kind: upstream.ErrUnavailable, Err: context.DeadlineExceeded}
	if !errors.Is(e, upstream.ErrUnavailable) || !errors.Is(e, context.DeadlineExceeded) || errors.Is(e, upstream.ErrNotFound) {
		t.Errorf("errors.Is on %v: want ErrUnavailable and DeadlineExceeded only", e)
	}
}

// TestAbandonment: a call nobody waits for any more makes no further
// attempt and asks no budget (Before) for one; the attempt under way is
// not cut short; an attempt waiting for its turn (MaxConcurrent) gives up.
func TestAbandonment(t *testing.T) {
	gone := make(chan struct{})
	var once sync.Once
	srv := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(gone) }) // the last waiter leaves while this attempt runs
		w.WriteHeader(503)
	})
	var befores atomic.Int32
	c := newCaller(t, srv.URL, &upstream.Options{RetryBase: time.Millisecond, MaxRetries: 3,
		Before: func(context.Context, string) (func(upstream.Result), error) {
			befores.Add(1)
			return nil, nil
		}})
	ctx := upstream.WithAbandonment(context.Background(), gone)
	_, _, err := c.Do(ctx, "get thing", http.MethodGet, "/things/1", nil)
	if !errors.Is(err, upstream.ErrAbandoned) || !errors.Is(err, context.Canceled) || errors.Is(err, upstream.ErrUnavailable) {
		t.Errorf("got %v; want ErrAbandoned, matching context.Canceled and no Kind", err)
	}
	if n := srv.Count(); n != 1 || befores.Load() != 1 {
		t.Errorf("got %d requests, %d Before calls; want 1 each: the 503 is not retried once nobody waits", n, befores.Load())
	}
	// Abandoned from the start: nothing is sent.
	srv.Reset()
	_, _, err = c.Do(ctx, "get thing", http.MethodGet, "/things/1", nil)
	if !errors.Is(err, upstream.ErrAbandoned) || srv.Count() != 0 {
		t.Errorf("abandoned call: %v after %d requests; want ErrAbandoned and none", err, srv.Count())
	}
	checkClean(t, err, srv.URL)
}

// TestMaxConcurrent: no more attempts than MaxConcurrent are in flight at
// once; one waiting for its turn gives up when its call is abandoned or
// its context ends, without a request.
func TestMaxConcurrent(t *testing.T) {
	var inFlight, peak atomic.Int32
	hold := make(chan struct{})
	srv := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-hold
		inFlight.Add(-1)
		io.WriteString(w, `{}`)
	})
	c := newCaller(t, srv.URL, &upstream.Options{RetryBase: time.Millisecond, MaxConcurrent: 3})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); get(c) }()
	}
	for srv.Count() < 3 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // the other five wait their turn
	if n := srv.Count(); n != 3 {
		t.Errorf("%d requests sent with 3 slots held; want 3", n)
	}
	// Waiting calls give up: an abandoned one, and one whose context ends.
	gone := make(chan struct{})
	abandoned := make(chan error, 1)
	go func() {
		_, _, err := c.Do(upstream.WithAbandonment(context.Background(), gone), "get", "GET", "/things/2", nil)
		abandoned <- err
	}()
	close(gone)
	if err := <-abandoned; !errors.Is(err, upstream.ErrAbandoned) {
		t.Errorf("abandoned while waiting: %v; want ErrAbandoned", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := c.Do(ctx, "get", "GET", "/things/3", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline while waiting: %v; want DeadlineExceeded", err)
	}
	close(hold)
	wg.Wait()
	if p := peak.Load(); p != 3 || srv.Count() != 8 {
		t.Errorf("peak %d in flight, %d requests; want 3 and 8", p, srv.Count())
	}
}
