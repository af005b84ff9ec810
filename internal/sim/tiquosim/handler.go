package tiquosim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"customergraph/internal/identifier"
)

// maxBody is the largest request body read; larger PATCH bodies are refused.
const maxBody = 1 << 20

// Error messages of the docs.
const (
	msgUnauthorized   = "Missing or invalid API key"
	msgBadIdentifier  = "Invalid customer identifier format"
	msgNotFoundPrefix = "Customer not found with ID: "
	msgPatchNotFound  = "Customer not found"
	msgForbidden      = "Missing customers:write scope"
)

// Error codes of the update doc's error object.
const (
	codeValidation   = "validation_error"
	codeNotFound     = "not_found"
	codeConflict     = "conflict"
	codeUnauthorized = "unauthorized"
	codeForbidden    = "forbidden"
	codeRateLimited  = "rate_limited"
)

// route is an API route; the names are those of Stats and Faults.Routes.
type route uint8

const (
	routeNone route = iota // no route: unknown path or method
	routeGet
	routeList
	routePatch
)

func (rt route) String() string {
	switch rt {
	case routeGet:
		return "get"
	case routeList:
		return "list"
	case routePatch:
		return "patch"
	}
	return "none"
}

// ServeHTTP serves the API and the /__sim/ control endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/__sim/") {
		s.serveControl(w, r)
		return
	}
	s.serveAPI(w, r)
}

// match routes r. ident is the decoded {identifier} segment; allow is the
// Allow header for a known path with the wrong method; known reports
// whether the path exists.
func match(r *http.Request) (rt route, ident, allow string, known bool) {
	path := r.URL.EscapedPath()
	switch {
	case path == "/customers":
		if r.Method == http.MethodGet {
			return routeList, "", "", true
		}
		return routeNone, "", "GET", true
	case strings.HasPrefix(path, "/customers/"):
		seg := strings.TrimPrefix(path, "/customers/")
		if strings.Contains(seg, "/") {
			return routeNone, "", "", false
		}
		ident, err := url.PathUnescape(seg)
		if err != nil {
			ident = seg
		}
		switch r.Method {
		case http.MethodGet:
			return routeGet, ident, "", true
		case http.MethodPatch:
			return routePatch, ident, "", true
		}
		return routeNone, ident, "GET, PATCH", true
	}
	return routeNone, "", "", false
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	rt, ident, allow, known := match(r)

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	tooLarge := len(body) > maxBody
	if tooLarge {
		body = body[:maxBody]
	}
	s.count(rt)
	defer s.counters.enter()()
	s.log.add(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)})

	fault := s.faultFor(rt)
	delay := s.opts.Latency
	if fault != nil {
		delay += fault.Latency
	}
	if !sleep(r.Context(), delay) {
		return // the client is gone
	}
	if fault != nil && s.fires(fault) {
		s.writeFault(w, rt, fault, ident)
		return
	}

	if rt == routeNone {
		if known {
			w.Header().Set("Allow", allow)
			s.writeStringError(w, http.StatusMethodNotAllowed, "Method "+r.Method+" not allowed on "+r.URL.Path)
			return
		}
		s.writeStringError(w, http.StatusNotFound, "Not found: "+r.URL.Path)
		return
	}

	key, canWrite, ok := s.authenticate(r)
	if !ok {
		s.writeRouteError(w, rt, http.StatusUnauthorized, codeUnauthorized, msgUnauthorized)
		return
	}
	if wait, ok := s.limiter.allow(key, s.now()); !ok {
		w.Header().Set("Retry-After", retryAfterSeconds(wait))
		s.writeRouteError(w, rt, http.StatusTooManyRequests, codeRateLimited, s.rateLimitMessage())
		return
	}

	switch rt {
	case routeGet:
		s.serveGet(w, ident)
	case routeList:
		s.serveList(w, r)
	case routePatch:
		switch {
		case !canWrite:
			writeObjectError(w, http.StatusForbidden, codeForbidden, msgForbidden)
		case err != nil:
			writeObjectError(w, http.StatusBadRequest, codeValidation, "cannot read request body")
		case tooLarge:
			writeObjectError(w, http.StatusBadRequest, codeValidation, "request body larger than 1 MiB")
		default:
			s.servePatch(w, ident, body)
		}
	}
}

func (s *Server) count(rt route) {
	s.counters.total.Add(1)
	switch rt {
	case routeGet:
		s.counters.get.Add(1)
	case routeList:
		s.counters.list.Add(1)
	case routePatch:
		s.counters.patch.Add(1)
	}
}

// sleep waits d, or until ctx ends; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// authenticate checks the Bearer key. It returns the key and whether it
// has the customers:write scope.
func (s *Server) authenticate(r *http.Request) (key string, canWrite, ok bool) {
	scheme, key, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false, false
	}
	key = strings.TrimSpace(key)
	canWrite, ok = (*s.keys.Load())[key]
	return key, canWrite, ok
}

// serveGet answers GET /customers/{identifier}.
func (s *Server) serveGet(w http.ResponseWriter, ident string) {
	id, err := identifier.Parse(ident)
	if err != nil {
		s.writeStringError(w, http.StatusBadRequest, msgBadIdentifier)
		return
	}
	s.mu.RLock()
	rec := s.lookup(id)
	var v customerView
	if rec != nil {
		v = rec.view(epochMillis)
	}
	s.mu.RUnlock()
	if rec == nil {
		s.writeStringError(w, http.StatusNotFound, msgNotFoundPrefix+ident)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Success   bool         `json:"success"`
		Data      customerView `json:"data"`
		Timestamp string       `json:"timestamp"`
	}{true, v, s.timestamp()})
}

// writeRouteError answers in rt's documented error shape: the update doc's
// object for PATCH, the get and list docs' string otherwise.
func (s *Server) writeRouteError(w http.ResponseWriter, rt route, status int, code, msg string) {
	if rt == routePatch {
		writeObjectError(w, status, code, msg)
		return
	}
	s.writeStringError(w, status, msg)
}

// writeStringError writes {"success":false,"error":msg,"timestamp":...}.
func (s *Server) writeStringError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Success   bool   `json:"success"`
		Error     string `json:"error"`
		Timestamp string `json:"timestamp"`
	}{false, msg, s.timestamp()})
}

// writeObjectError writes {"success":false,"error":{"code":...,"message":...}}.
func writeObjectError(w http.ResponseWriter, status int, code, msg string) {
	type errorObject struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, status, struct {
		Success bool        `json:"success"`
		Error   errorObject `json:"error"`
	}{false, errorObject{code, msg}})
}

// codeForStatus is the update doc's error code for an HTTP status.
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return codeValidation
	case http.StatusUnauthorized:
		return codeUnauthorized
	case http.StatusForbidden:
		return codeForbidden
	case http.StatusNotFound:
		return codeNotFound
	case http.StatusConflict:
		return codeConflict
	case http.StatusTooManyRequests:
		return codeRateLimited
	case http.StatusServiceUnavailable:
		return "service_unavailable"
	case http.StatusGatewayTimeout:
		return "timeout"
	}
	if status >= 500 {
		return "internal_error"
	}
	return "error"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		buf.WriteString(`{"success":false,"error":"internal error"}` + "\n")
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
