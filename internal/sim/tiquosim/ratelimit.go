package tiquosim

import (
	"strconv"
	"sync"
	"time"
)

// rateWindow is the length of a rate-limit window.
const rateWindow = time.Hour

// docRateLimit is the limit the docs' 429 message names, used in injected
// 429s when no limit is configured.
const docRateLimit = 1000

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
	if w == nil || !now.Before(w.start.Add(rateWindow)) {
		w = &window{start: now}
		l.windows[key] = w
	}
	w.count++
	if w.count <= l.limit {
		return 0, true
	}
	return w.start.Add(rateWindow).Sub(now), false
}

// retryAfterSeconds renders a wait as whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(secs, 1), 10)
}

func (s *Server) rateLimitMessage() string {
	limit := s.limiter.limit
	if limit <= 0 {
		limit = docRateLimit
	}
	return "Rate limit exceeded. Maximum " + thousands(limit) + " requests per hour."
}

// thousands formats n with "," between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
