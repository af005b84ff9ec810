// Package upstreamtest has helpers for the tests of the vendor clients.
package upstreamtest

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"customergraph/internal/upstream"
)

// CheckClean fails t unless err is nil or an *upstream.Error of API api
// whose text starts with "api: " and contains neither baseURL, its host,
// host name or port, nor any of secrets (the API key, request paths, …).
func CheckClean(t testing.TB, err error, api, baseURL string, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	var ue *upstream.Error
	if !errors.As(err, &ue) {
		t.Errorf("error %T is not an *upstream.Error: %v", err, err)
	} else if ue.API != api {
		t.Errorf("error %q has API %q; want %q", err, ue.API, api)
	}
	msg := err.Error()
	host := strings.TrimPrefix(strings.TrimPrefix(baseURL, "http://"), "https://")
	host, _, _ = strings.Cut(host, "/")
	leaks := append([]string{baseURL, host}, secrets...)
	if hostname, port, err := net.SplitHostPort(host); err == nil {
		leaks = append(leaks, hostname, ":"+port)
	}
	for _, s := range leaks {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error %q contains %q", msg, s)
		}
	}
	if !strings.HasPrefix(msg, api+": ") {
		t.Errorf("error %q does not start with %q", msg, api+": ")
	}
}

// Request is a request a Server received.
type Request struct {
	Method  string
	Path    string // decoded
	RawPath string // as sent (r.URL.EscapedPath())
	Query   string // raw
	Header  http.Header
	Body    string
}

// Server is an httptest.Server that logs every request and answers each
// with Handler, or with status 200 and an empty body when Handler is nil.
type Server struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []Request
	n       atomic.Int32
	Handler http.HandlerFunc
}

// NewServer starts a Server answering with h; it is closed when t ends.
func NewServer(t testing.TB, h http.HandlerFunc) *Server {
	t.Helper()
	s := &Server{Handler: h}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Fixed starts a Server answering every request with status, header and
// body.
func Fixed(t testing.TB, status int, header map[string]string, body string) *Server {
	t.Helper()
	return NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{
		Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: string(b),
	})
	s.mu.Unlock()
	s.n.Add(1)
	if s.Handler != nil {
		s.Handler(w, r)
	}
}

// Count returns how many requests the server has received.
func (s *Server) Count() int { return int(s.n.Load()) }

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Last returns the last request received; it fails t if there is none.
func (s *Server) Last(t testing.TB) Request {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		t.Fatal("server received no request")
	}
	return reqs[len(reqs)-1]
}

// Reset forgets the requests received.
func (s *Server) Reset() {
	s.mu.Lock()
	s.reqs = nil
	s.n.Store(0)
	s.mu.Unlock()
}
