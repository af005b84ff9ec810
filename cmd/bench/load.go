package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one request. A run stops issuing requests at its
// duration; a request already sent may take this long to finish.
const requestTimeout = 30 * time.Second

// newClient returns the HTTP client that every run of the process shares:
// keep-alive connections for conns concurrent requests, no proxy from the
// environment, no redirects, and a dialer that refuses anything but
// loopback.
func newClient(conns int) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: dialLoopbackOnly}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         d.DialContext,
			MaxIdleConns:        0, // no global limit: the per-host one applies
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       requestTimeout,
	}
}

// request is one HTTP request of a run.
type request struct {
	method string
	url    string
	key    string // sent as Authorization: Bearer key
	body   []byte // JSON; nil for none
	// check decides whether the response succeeded; nil accepts any 200.
	check func(status int, body []byte) error
}

// build returns r as an *http.Request bound to ctx.
func (r request) build(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		return nil, err
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	return req, nil
}

// send sends req and reads the whole response into buf. The latency runs
// from sending to the last byte of the body.
func send(c *http.Client, req *http.Request, check func(int, []byte) error, buf *bytes.Buffer) (time.Duration, error) {
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return time.Since(start), err
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	switch {
	case err != nil:
		return d, fmt.Errorf("read response: %w", err)
	case check != nil:
		return d, check(resp.StatusCode, buf.Bytes())
	case resp.StatusCode != http.StatusOK:
		return d, fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet(buf.Bytes()))
	}
	return d, nil
}

// checkGraphQL fails a response unless it is HTTP 200 and its JSON has no
// "errors".
func checkGraphQL(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", status, snippet(body))
	}
	var r struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("response does not decode: %v: %s", err, snippet(body))
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("errors: %s", snippet(r.Errors[0]))
	}
	return nil
}

// snippet returns the start of b for an error message.
func snippet(b []byte) string {
	const max = 160
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// loadSpec is one bounded load run: requests 0..n-1 from concurrency
// workers, and no new request after duration.
//
// With rate 0 the run is closed-loop: each worker sends its next request as
// soon as the last one is answered, so latency includes the queueing that
// saturation causes. With rate > 0 it is open-loop: request i is due at
// start + i/rate, whatever the answers do, and its latency is measured from
// when it was due (so a request that waited for a free worker counts that
// wait: no coordinated omission).
type loadSpec struct {
	n           int
	duration    time.Duration
	concurrency int
	rate        float64 // requests per second; 0 = closed loop
	request     func(i int) request
}

// result is what a run measured.
type result struct {
	requests  int
	failed    int
	elapsed   time.Duration
	latencies []time.Duration // sorted ascending
	failures  []failure       // the most frequent failure messages
}

// failure is a distinct failure message and how often it occurred.
type failure struct {
	Message string `json:"message"`
	Count   int    `json:"count"`
}

// failureLog counts failures by message. It keeps maxFailureMessages
// distinct messages and counts the rest under otherFailures.
type failureLog struct {
	mu     sync.Mutex
	counts map[string]int
}

const (
	maxFailureMessages = 5
	otherFailures      = "(other failures)"
)

// add counts k failures with message msg.
func (l *failureLog) add(msg string, k int) {
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[string]int{}
	}
	if _, ok := l.counts[msg]; !ok && len(l.counts) >= maxFailureMessages {
		msg = otherFailures
	}
	l.counts[msg] += k
}

// list returns the messages, most frequent first.
func (l *failureLog) list() []failure {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]failure, 0, len(l.counts))
	for m, n := range l.counts {
		out = append(out, failure{m, n})
	}
	slices.SortFunc(out, func(a, b failure) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Message, b.Message)
	})
	return out
}

// runLoad runs spec and returns every latency, sorted. It stops by itself
// after spec.n requests or spec.duration, whichever comes first; requests
// in flight at the deadline finish. It returns ctx's error if ctx ends
// first.
func runLoad(ctx context.Context, c *http.Client, spec loadSpec) (result, error) {
	if spec.n <= 0 {
		return result{}, errors.New("a run needs at least one request")
	}
	lat := make([]time.Duration, spec.n)
	var (
		next  atomic.Int64
		fails atomic.Int64
		flog  failureLog
		wg    sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(spec.duration)
	for range max(1, min(spec.concurrency, spec.n)) {
		wg.Go(func() {
			var buf bytes.Buffer
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := int(next.Add(1) - 1)
				if i >= spec.n {
					return
				}
				var due time.Time
				if spec.rate > 0 {
					due = start.Add(time.Duration(float64(i) / spec.rate * float64(time.Second)))
					if !due.Before(deadline) {
						return
					}
					time.Sleep(time.Until(due))
				}
				r := spec.request(i)
				req, err := r.build(ctx)
				if err == nil {
					lat[i], err = send(c, req, r.check, &buf)
					if spec.rate > 0 {
						lat[i] = time.Since(due) // from when it was due
					}
				}
				if err != nil {
					fails.Add(1)
					flog.add(err.Error(), 1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	done := min(int(next.Load()), spec.n)
	lat = lat[:done]
	slices.Sort(lat)
	return result{requests: done, failed: int(fails.Load()), elapsed: elapsed, latencies: lat, failures: flog.list()}, nil
}

// runBurst sends n copies of r at once: every request is built and its
// goroutine waits at a start barrier, then all are released together.
// elapsed runs from the release to the last response.
func runBurst(ctx context.Context, c *http.Client, n int, r request) (result, error) {
	lat := make([]time.Duration, n)
	var (
		fails  atomic.Int64
		flog   failureLog
		ready  sync.WaitGroup
		wg     sync.WaitGroup
		starts = make(chan struct{})
	)
	ready.Add(n)
	for i := range n {
		wg.Go(func() {
			req, err := r.build(ctx)
			ready.Done()
			<-starts
			var buf bytes.Buffer
			if err == nil {
				lat[i], err = send(c, req, r.check, &buf)
			}
			if err != nil {
				fails.Add(1)
				flog.add(err.Error(), 1)
			}
		})
	}
	ready.Wait()
	start := time.Now()
	close(starts)
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	slices.Sort(lat)
	return result{requests: n, failed: int(fails.Load()), elapsed: elapsed, latencies: lat, failures: flog.list()}, nil
}

// runOne sends one request and returns its result and the response body.
// A failed request is a result with failed = 1, not an error; the error
// is ctx's when ctx ends.
func runOne(ctx context.Context, c *http.Client, r request) (result, []byte, error) {
	req, err := r.build(ctx)
	if err != nil {
		return result{}, nil, err
	}
	var buf bytes.Buffer
	d, err := send(c, req, r.check, &buf)
	if ctx.Err() != nil {
		return result{}, nil, ctx.Err()
	}
	res := result{requests: 1, elapsed: d, latencies: []time.Duration{d}}
	if err != nil {
		res.failed, res.failures = 1, []failure{{err.Error(), 1}}
	}
	return res, buf.Bytes(), nil
}

// merge combines the results of several runs (W4's bursts) into one:
// counts and elapsed times add up, latencies are pooled.
func merge(rs ...result) result {
	var m result
	var flog failureLog
	for _, r := range rs {
		m.requests += r.requests
		m.failed += r.failed
		m.elapsed += r.elapsed
		m.latencies = append(m.latencies, r.latencies...)
		for _, f := range r.failures {
			flog.add(f.Message, f.Count)
		}
	}
	slices.Sort(m.latencies)
	m.failures = flog.list()
	return m
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest sample such that at least p% of the
// samples are less than or equal to it. It is always one of the samples,
// never interpolated; 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// The epsilon keeps float rounding (99.9 × 1000 = 99900.00000000001)
	// from pushing the rank one sample up.
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	return sorted[min(max(rank, 1), n)-1]
}

// mean returns the average of d; 0 when empty.
func mean(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}
