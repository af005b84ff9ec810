package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func ms2d(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample", ms2d(7), 50, 7 * time.Millisecond},
		{"one sample p99", ms2d(7), 99, 7 * time.Millisecond},
		{"p50 of even count is the lower middle", ms2d(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p50 of odd count is the middle", ms2d(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"p99 of 4 is the max", ms2d(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{"p100 is the max", ms2d(1, 2, 3), 100, 3 * time.Millisecond},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p90 of 1..100", hundred, 90, 90 * time.Millisecond},
		{"p99 of 1..1000", thousand, 99, 990 * time.Millisecond},
		{"p99.9 of 1..1000 despite float rounding", thousand, 99.9, 999 * time.Millisecond},
		{"tiny p is the min", hundred, 0.0001, time.Millisecond},
	} {
		if got := percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("%s: percentile(p=%v) = %v, want %v", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestMean(t *testing.T) {
	if got := mean(nil); got != 0 {
		t.Errorf("mean(nil) = %v", got)
	}
	if got := mean(ms2d(1, 2, 6)); got != 3*time.Millisecond {
		t.Errorf("mean = %v, want 3ms", got)
	}
}

func TestCheckGraphQL(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		ok     bool
	}{
		{200, `{"data":{"__typename":"Query"}}`, true},
		{200, `{"data":{"a":null},"errors":null}`, true},
		{200, `{"data":{"a":null},"errors":[]}`, true},
		{200, `{"data":null,"errors":[{"message":"boom"}]}`, false},
		{200, `not json`, false},
		{401, `{"errors":[{"message":"no key"}]}`, false},
		{500, `{"data":{}}`, false},
	} {
		err := checkGraphQL(tc.status, []byte(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("checkGraphQL(%d, %s) = %v, want ok=%v", tc.status, tc.body, err, tc.ok)
		}
	}
}

// graphqlStub answers every request with body, counting requests and the
// most in flight at once.
type graphqlStub struct {
	body     string
	delay    time.Duration
	requests atomic.Int64
	inFlight atomic.Int64
	peak     atomic.Int64
}

func (s *graphqlStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if got := r.Header.Get("Authorization"); got != "Bearer k" {
		http.Error(w, "bad key "+got, http.StatusUnauthorized)
		return
	}
	time.Sleep(s.delay)
	fmt.Fprint(w, s.body)
}

func stubRequest(url string) func(int) request {
	return func(int) request {
		return request{method: "POST", url: url, key: "k", body: []byte(`{"query":"{ __typename }"}`), check: checkGraphQL}
	}
}

func TestRunLoadStopsAtN(t *testing.T) {
	stub := &graphqlStub{body: `{"data":{"__typename":"Query"}}`}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	res, err := runLoad(context.Background(), newClient(8), loadSpec{n: 300, duration: time.Minute, concurrency: 8, request: stubRequest(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if res.requests != 300 || stub.requests.Load() != 300 || res.failed != 0 || len(res.latencies) != 300 {
		t.Fatalf("requests %d (server saw %d), failed %d, latencies %d; want 300, 300, 0, 300",
			res.requests, stub.requests.Load(), res.failed, len(res.latencies))
	}
	for i := 1; i < len(res.latencies); i++ {
		if res.latencies[i] < res.latencies[i-1] {
			t.Fatal("latencies are not sorted")
		}
	}
	if res.latencies[0] <= 0 {
		t.Error("a latency is not positive")
	}
}

func TestRunLoadStopsAtDuration(t *testing.T) {
	stub := &graphqlStub{body: `{"data":{}}`, delay: 10 * time.Millisecond}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	start := time.Now()
	res, err := runLoad(context.Background(), newClient(4), loadSpec{n: 1_000_000, duration: 200 * time.Millisecond, concurrency: 4, request: stubRequest(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the run took %v, want about 200ms", took)
	}
	if res.requests == 0 || res.requests > 200 || int64(res.requests) != stub.requests.Load() || len(res.latencies) != res.requests {
		t.Fatalf("requests %d (server saw %d, %d latencies): want a few dozen, all counted", res.requests, stub.requests.Load(), len(res.latencies))
	}
}

func TestRunLoadCountsFailures(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 4 {
		case 0:
			fmt.Fprint(w, `{"data":null,"errors":[{"message":"boom"}]}`)
		case 1:
			http.Error(w, "down", http.StatusServiceUnavailable)
		default:
			fmt.Fprint(w, `{"data":{}}`)
		}
	}))
	defer srv.Close()
	res, err := runLoad(context.Background(), newClient(1), loadSpec{n: 40, duration: time.Minute, concurrency: 1,
		request: func(int) request {
			return request{method: "POST", url: srv.URL, body: []byte(`{}`), check: checkGraphQL}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if res.requests != 40 || res.failed != 20 {
		t.Fatalf("requests %d, failed %d; want 40, 20", res.requests, res.failed)
	}
	total := 0
	for _, f := range res.failures {
		total += f.Count
	}
	if len(res.failures) != 2 || total != 20 {
		t.Fatalf("failures %+v: want two messages counting 20", res.failures)
	}
}

func TestRunLoadHonoursContext(t *testing.T) {
	stub := &graphqlStub{body: `{"data":{}}`, delay: 5 * time.Millisecond}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := runLoad(ctx, newClient(2), loadSpec{n: 1_000_000, duration: time.Minute, concurrency: 2, request: stubRequest(srv.URL)}); err == nil {
		t.Fatal("runLoad returned no error after its context ended")
	}
}

func TestRunBurstReleasesTogether(t *testing.T) {
	stub := &graphqlStub{body: `{"data":{}}`, delay: 100 * time.Millisecond}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	res, err := runBurst(context.Background(), newClient(50), 50, stubRequest(srv.URL)(0))
	if err != nil {
		t.Fatal(err)
	}
	if res.requests != 50 || res.failed != 0 || stub.requests.Load() != 50 {
		t.Fatalf("requests %d, failed %d, server saw %d; want 50, 0, 50", res.requests, res.failed, stub.requests.Load())
	}
	if p := stub.peak.Load(); p < 45 {
		t.Errorf("at most %d requests were in flight at once; a burst of 50 should overlap", p)
	}
	if res.elapsed > 2*time.Second {
		t.Errorf("the burst took %v: its requests did not overlap", res.elapsed)
	}
}

func TestMerge(t *testing.T) {
	a := result{requests: 2, failed: 1, elapsed: time.Second, latencies: ms2d(1, 5), failures: []failure{{"x", 1}}}
	b := result{requests: 3, elapsed: 2 * time.Second, latencies: ms2d(2, 3, 4), failures: []failure{{"x", 2}, {"y", 1}}}
	m := merge(a, b)
	if m.requests != 5 || m.failed != 1 || m.elapsed != 3*time.Second {
		t.Fatalf("merge = %+v", m)
	}
	if fmt.Sprint(m.latencies) != fmt.Sprint(ms2d(1, 2, 3, 4, 5)) {
		t.Errorf("latencies %v, want 1..5ms sorted", m.latencies)
	}
	if fmt.Sprint(m.failures) != "[{x 3} {y 1}]" {
		t.Errorf("failures %v", m.failures)
	}
}

func TestFailureLogCapsMessages(t *testing.T) {
	var l failureLog
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { l.add(fmt.Sprintf("m%02d", i), 1) })
	}
	wg.Wait()
	got := l.list()
	total := 0
	for _, f := range got {
		total += f.Count
	}
	if len(got) != maxFailureMessages+1 || total != 20 {
		t.Fatalf("list = %v: want %d messages counting 20", got, maxFailureMessages+1)
	}
	if got[0].Message != otherFailures || got[0].Count != 15 {
		t.Errorf("first = %v, want %q ×15", got[0], otherFailures)
	}
}

func TestRunLoadOpenLoop(t *testing.T) {
	stub := &graphqlStub{body: `{"data":{"__typename":"Query"}}`}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	start := time.Now()
	res, err := runLoad(context.Background(), newClient(4), loadSpec{n: 50, duration: time.Minute, concurrency: 4, rate: 200, request: stubRequest(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	// 50 requests at 200/s are due over 245ms: the run cannot be faster.
	if took := time.Since(start); took < 240*time.Millisecond || took > 5*time.Second {
		t.Errorf("open-loop run of 50 at 200/s took %v; want about 250ms", took)
	}
	if res.requests != 50 || res.failed != 0 {
		t.Errorf("requests %d, failed %d; want 50, 0", res.requests, res.failed)
	}
}
