package simkit

import (
	"sync"
	"sync/atomic"
)

// Stats counts API requests by route since the last reset. Total includes
// requests that matched no route.
type Stats struct {
	Get   int64 `json:"get"`
	List  int64 `json:"list"`
	Patch int64 `json:"patch"`
	Total int64 `json:"total"`
	// PeakInFlight is the most API requests served at once since the last
	// reset: it shows whether a client's calls overlapped.
	PeakInFlight int64 `json:"peakInFlight"`
}

type counters struct {
	get, list, patch, total atomic.Int64
	inFlight, peak          atomic.Int64
}

func (c *counters) count(rt Route) {
	c.total.Add(1)
	switch rt {
	case RouteGet:
		c.get.Add(1)
	case RouteList:
		c.list.Add(1)
	case RoutePatch:
		c.patch.Add(1)
	}
}

// enter records an API request starting and returns the func that records
// its end, keeping the peak of concurrent requests.
func (c *counters) enter() (leave func()) {
	n := c.inFlight.Add(1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	return func() { c.inFlight.Add(-1) }
}

// Stats returns the request counters.
func (k *Kit) Stats() Stats {
	return Stats{
		Get:   k.counters.get.Load(),
		List:  k.counters.list.Load(),
		Patch: k.counters.patch.Load(),
		Total: k.counters.total.Load(),

		PeakInFlight: k.counters.peak.Load(),
	}
}

// Reset zeroes the request counters and clears the request log. It does not
// touch data, faults or rate-limit windows.
func (k *Kit) Reset() {
	k.counters.get.Store(0)
	k.counters.list.Store(0)
	k.counters.patch.Store(0)
	k.counters.total.Store(0)
	k.counters.peak.Store(k.counters.inFlight.Load())
	k.log.reset()
}

// RequestLogSize is how many API requests the log keeps.
const RequestLogSize = 100

// Request is one logged API request.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`  // decoded URL path
	Query  string `json:"query"` // raw query string
	Body   string `json:"body"`  // raw body
}

// Requests returns the last RequestLogSize API requests, oldest first.
func (k *Kit) Requests() []Request { return k.log.snapshot() }

// requestLog is a ring buffer of the last RequestLogSize requests.
type requestLog struct {
	mu   sync.Mutex
	buf  [RequestLogSize]Request
	next int // where the next request goes
	n    int // how many are stored
}

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf[l.next] = r
	l.next = (l.next + 1) % len(l.buf)
	l.n = min(l.n+1, len(l.buf))
}

func (l *requestLog) snapshot() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, 0, l.n)
	start := (l.next - l.n + len(l.buf)) % len(l.buf)
	for i := range l.n {
		out = append(out, l.buf[(start+i)%len(l.buf)])
	}
	return out
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = [RequestLogSize]Request{}
	l.next, l.n = 0, 0
}
