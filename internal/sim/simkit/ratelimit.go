package simkit

import (
	"strconv"
	"sync"
	"time"
)

// RateWindow is the length of a rate-limit window.
const RateWindow = time.Hour

// rateLimiter counts requests per key in fixed windows that start with the
// key's first request after the previous window ended.
type rateLimiter struct {
	limit int // per window; 0 is off

	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start time.Time
	count int
}

// allow counts a request by key at now. It reports whether the request is
// within the limit and, if not, how long until the window ends.
func (l *rateLimiter) allow(key string, now time.Time) (wait time.Duration, ok bool) {
	if l.limit <= 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows = make(map[string]*window)
	}
	w := l.windows[key]
	if w == nil || !now.Before(w.start.Add(RateWindow)) {
		w = &window{start: now}
		l.windows[key] = w
	}
	w.count++
	if w.count <= l.limit {
		return 0, true
	}
	return w.start.Add(RateWindow).Sub(now), false
}

// RetryAfterSeconds renders a wait as whole seconds, rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(secs, 1), 10)
}
