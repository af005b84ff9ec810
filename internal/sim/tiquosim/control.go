package tiquosim

import (
	"net/http"
	"sync"
)

// requestLogSize is how many API requests the log keeps.
const requestLogSize = 100

// Request is one logged API request.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`  // decoded URL path
	Query  string `json:"query"` // raw query string
	Body   string `json:"body"`  // raw body
}

// requestLog is a ring buffer of the last requestLogSize requests.
type requestLog struct {
	mu   sync.Mutex
	buf  [requestLogSize]Request
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
	l.buf = [requestLogSize]Request{}
	l.next, l.n = 0, 0
}

// serveControl answers /__sim/*: no authentication, no latency, not
// counted, not logged.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/__sim/stats":
		if s.allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, s.Stats())
		}
	case "/__sim/reset":
		if s.allow(w, r, http.MethodPost) {
			s.Reset()
			w.WriteHeader(http.StatusNoContent)
		}
	case "/__sim/requests":
		if s.allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, s.Requests())
		}
	case "/__sim/faults":
		if !s.allow(w, r, http.MethodGet, http.MethodPost, http.MethodDelete) {
			return
		}
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.currentFaults())
		case http.MethodDelete:
			s.ClearFaults()
			w.WriteHeader(http.StatusNoContent)
		case http.MethodPost:
			s.postFaults(w, r)
		}
	default:
		s.writeStringError(w, http.StatusNotFound, "Not found: "+r.URL.Path)
	}
}

// allow reports whether r uses one of methods, answering 405 if not.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	allowed := methods[0]
	for _, m := range methods[1:] {
		allowed += ", " + m
	}
	w.Header().Set("Allow", allowed)
	s.writeStringError(w, http.StatusMethodNotAllowed, "Method "+r.Method+" not allowed")
	return false
}
