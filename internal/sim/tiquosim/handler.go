package tiquosim

import (
	"net/http"
	"net/url"
	"strings"

	"customergraph/internal/identifier"
	"customergraph/internal/sim/simkit"
)

// maxBody is the largest request body read; larger PATCH bodies are refused.
const maxBody = simkit.MaxBody

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

// The routes, as the kit counts and faults them.
const (
	routeGet   = simkit.RouteGet
	routeList  = simkit.RouteList
	routePatch = simkit.RoutePatch
)

// match routes r for the kit.
func (s *Server) match(r *http.Request) simkit.Match {
	path := r.URL.EscapedPath()
	switch {
	case path == "/customers":
		if r.Method == http.MethodGet {
			return simkit.Match{Route: routeList, Serve: func(w http.ResponseWriter, c *simkit.Call) { s.serveList(w, c.Request) }}
		}
		return simkit.Match{Allow: "GET"}
	case strings.HasPrefix(path, "/customers/"):
		seg := strings.TrimPrefix(path, "/customers/")
		if strings.Contains(seg, "/") {
			return simkit.Match{}
		}
		ident, err := url.PathUnescape(seg)
		if err != nil {
			ident = seg
		}
		switch r.Method {
		case http.MethodGet:
			return simkit.Match{Route: routeGet, Target: ident, Serve: func(w http.ResponseWriter, _ *simkit.Call) { s.serveGet(w, ident) }}
		case http.MethodPatch:
			return simkit.Match{Route: routePatch, Target: ident, Serve: func(w http.ResponseWriter, c *simkit.Call) { s.servePatchCall(w, ident, c) }}
		}
		return simkit.Match{Target: ident, Allow: "GET, PATCH"}
	}
	return simkit.Match{}
}

// servePatchCall answers PATCH /customers/{id}: 403 without the
// customers:write scope, 400 for an unreadable body.
func (s *Server) servePatchCall(w http.ResponseWriter, ident string, c *simkit.Call) {
	switch {
	case !c.CanWrite:
		writeObjectError(w, http.StatusForbidden, codeForbidden, msgForbidden)
	case c.BodyErr != nil:
		writeObjectError(w, http.StatusBadRequest, codeValidation, "cannot read request body")
	case c.TooLarge:
		writeObjectError(w, http.StatusBadRequest, codeValidation, "request body larger than 1 MiB")
	default:
		s.servePatch(w, ident, c.Body)
	}
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
func (s *Server) writeRouteError(w http.ResponseWriter, rt simkit.Route, status int, code, msg string) {
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

func writeJSON(w http.ResponseWriter, status int, v any) { simkit.WriteJSON(w, status, v) }
