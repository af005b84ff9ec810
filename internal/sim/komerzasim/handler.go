package komerzasim

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"customergraph/internal/sim/simkit"
)

// Paging of lists and searches.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// The permissions writes need; every accepted key has
// stores.customers.view.
const (
	permCreate = "stores.customers.create"
	permUpdate = "stores.customers.update"
)

// Error messages.
const (
	msgMissingKey    = "Missing API key"
	msgInvalidKey    = "Invalid API key"
	msgRateLimited   = "Rate limit exceeded"
	msgStoreNotFound = "Store not found"
	msgNotFound      = "Customer not found"
	msgInvalidID     = "The customer ID must be a UUID"
	msgInvalidBody   = "The request body must be a JSON object"
	msgInvalid       = "One or more fields are invalid"
	msgEmailTaken    = "A customer with this email address already exists"
)

// match routes r for the kit. The path is /stores/{storeId}/customers
// followed by nothing, {id}, {email}/email, search/{query} or {id}/balance.
func (s *Server) match(r *http.Request) simkit.Match {
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if len(parts) < 3 || parts[0] != "stores" || parts[2] != "customers" || len(parts) > 5 {
		return simkit.Match{}
	}
	seg := make([]string, len(parts))
	for i, p := range parts {
		if p == "" {
			return simkit.Match{}
		}
		if seg[i], _ = url.PathUnescape(p); seg[i] == "" {
			seg[i] = p
		}
	}
	store, rest := seg[1], seg[3:]
	get := r.Method == http.MethodGet
	route := func(rt simkit.Route, target string, serve func(http.ResponseWriter, *simkit.Call)) simkit.Match {
		return simkit.Match{Route: rt, Target: target, Serve: func(w http.ResponseWriter, c *simkit.Call) {
			if !strings.EqualFold(store, s.store) {
				writeError(w, http.StatusNotFound, msgStoreNotFound, nil)
				return
			}
			serve(w, c)
		}}
	}
	switch {
	case len(rest) == 0:
		switch r.Method {
		case http.MethodGet:
			return route(simkit.RouteList, "", func(w http.ResponseWriter, c *simkit.Call) { s.serveList(w, c) })
		case http.MethodPost:
			return route(simkit.RoutePatch, "", s.serveRegister)
		}
		return simkit.Match{Allow: "GET, POST"}
	case len(rest) == 1:
		if get {
			return route(simkit.RouteGet, rest[0], func(w http.ResponseWriter, _ *simkit.Call) { s.serveGet(w, rest[0]) })
		}
		return simkit.Match{Target: rest[0], Allow: "GET"}
	case rest[0] == "search":
		if get {
			return route(simkit.RouteList, rest[1], func(w http.ResponseWriter, c *simkit.Call) { s.serveSearch(w, c, rest[1]) })
		}
		if rest[1] == "balance" && r.Method == http.MethodPatch {
			break // the balance of customer "search": a 400 below
		}
		return simkit.Match{Target: rest[1], Allow: "GET"}
	case rest[1] == "email":
		if get {
			return route(simkit.RouteGet, rest[0], func(w http.ResponseWriter, _ *simkit.Call) { s.serveGetByEmail(w, rest[0]) })
		}
		return simkit.Match{Target: rest[0], Allow: "GET"}
	case rest[1] != "balance":
		return simkit.Match{}
	}
	if r.Method == http.MethodPatch {
		return route(simkit.RoutePatch, rest[0], func(w http.ResponseWriter, c *simkit.Call) { s.serveBalance(w, c, rest[0]) })
	}
	return simkit.Match{Target: rest[0], Allow: "PATCH"}
}

// envelope is the docs' generic response.
type envelope struct {
	Success bool    `json:"success"`
	Message *string `json:"message"`
	Code    *string `json:"code"`
	Data    any     `json:"data"`
}

// errorEnvelope is an error answer: the envelope with null data, and the
// fields at fault for a 400.
type errorEnvelope struct {
	Success       bool              `json:"success"`
	Message       string            `json:"message"`
	Code          string            `json:"code"`
	Data          any               `json:"data"`
	InvalidFields map[string]string `json:"invalidFields,omitempty"`
}

// listEnvelope is the answer of lists and searches.
type listEnvelope struct {
	Success bool        `json:"success"`
	Message *string     `json:"message"`
	Code    *string     `json:"code"`
	Pages   int         `json:"pages"`
	Data    []Reference `json:"data"`
}

func writeOK(w http.ResponseWriter, data any) {
	simkit.WriteJSON(w, http.StatusOK, envelope{Success: true, Data: data})
}

func writeError(w http.ResponseWriter, status int, msg string, fields map[string]string) {
	simkit.WriteJSON(w, status, errorEnvelope{Message: msg, Code: codeFor(status), InvalidFields: fields})
}

// codeFor is the envelope's code for an error status.
func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusInternalServerError:
		return "internal_error"
	case http.StatusBadGateway:
		return "bad_gateway"
	case http.StatusServiceUnavailable:
		return "service_unavailable"
	case http.StatusGatewayTimeout:
		return "gateway_timeout"
	}
	return "error_" + strconv.Itoa(status)
}

// writeFailure answers an error the kit raises.
func (s *Server) writeFailure(w http.ResponseWriter, f *simkit.Failure) {
	msg := f.Message
	switch {
	case f.Cause == simkit.NoKey:
		msg = msgMissingKey
	case f.Status == http.StatusUnauthorized:
		msg = msgInvalidKey
	case f.Status == http.StatusTooManyRequests:
		msg = msgRateLimited
	case f.Status == http.StatusNotFound && f.Cause == simkit.Injected:
		msg = msgNotFound
	}
	writeError(w, f.Status, msg, nil)
}

func forbidden(w http.ResponseWriter, perm string) {
	writeError(w, http.StatusForbidden, "The API key lacks the "+perm+" permission", nil)
}

// serveGet answers GET …/customers/{customerId}.
func (s *Server) serveGet(w http.ResponseWriter, ident string) {
	id, ok := simkit.ParseUUID(ident)
	if !ok {
		writeError(w, http.StatusBadRequest, msgInvalidID, map[string]string{"customerId": "must be a UUID"})
		return
	}
	s.writeRecord(w, func() *record { return s.byID[id] })
}

// serveGetByEmail answers GET …/customers/{email}/email.
func (s *Server) serveGetByEmail(w http.ResponseWriter, email string) {
	lower := strings.ToLower(email)
	s.writeRecord(w, func() *record { return s.byEmail[lower] })
}

// writeRecord answers with the full record find returns under the read
// lock, or 404.
func (s *Server) writeRecord(w http.ResponseWriter, find func() *record) {
	s.mu.RLock()
	rec := find()
	var cp record
	if rec != nil {
		cp = *rec
	}
	s.mu.RUnlock()
	if rec == nil {
		writeError(w, http.StatusNotFound, msgNotFound, nil)
		return
	}
	writeOK(w, s.full(&cp))
}

// page is a validated Page and PageSize.
type page struct{ number, size int }

// query reads the request's query with lower-cased names (ASP.NET binds
// them without regard to case).
func query(r *http.Request) (map[string]string, bool) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, false
	}
	out := make(map[string]string, len(v))
	for k, vals := range v {
		if len(vals) > 0 {
			out[strings.ToLower(k)] = vals[len(vals)-1]
		}
	}
	return out, true
}

// parsePage validates Page and PageSize; it returns the invalid fields.
func parsePage(q map[string]string) (page, map[string]string) {
	p := page{1, defaultPageSize}
	bad := map[string]string{}
	if v, ok := q["page"]; ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			bad["Page"] = "must be an integer of at least 1"
		}
		p.number = n
	}
	if v, ok := q["pagesize"]; ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			bad["PageSize"] = "must be an integer between 1 and 100"
		}
		p.size = n
	}
	return p, bad
}

// serveList answers GET …/customers.
func (s *Server) serveList(w http.ResponseWriter, c *simkit.Call) {
	q, ok := query(c.Request)
	if !ok {
		writeError(w, http.StatusBadRequest, "The query string is malformed", nil)
		return
	}
	p, bad := parsePage(q)
	email, ip := strings.ToLower(q["email"]), strings.ToLower(q["ipaddress"])
	from, to := math.Inf(-1), math.Inf(1)
	for _, b := range []struct {
		name string
		dst  *float64
	}{{"balanceFrom", &from}, {"balanceTo", &to}} {
		if v := q[strings.ToLower(b.name)]; v != "" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(n) {
				bad[b.name] = "must be a number"
			}
			*b.dst = n
		}
	}
	for _, name := range []string{"affiliateCode", "Sorts", "Filters"} {
		if q[strings.ToLower(name)] != "" {
			bad[name] = "is not supported by the simulator"
		}
	}
	if len(bad) > 0 {
		writeError(w, http.StatusBadRequest, msgInvalid, bad)
		return
	}
	s.writePage(w, p, func(r *record) bool {
		return (email == "" || strings.Contains(r.emailLower, email)) &&
			(ip == "" || r.ip != nil && containsFold(*r.ip, ip)) &&
			r.balance >= from && r.balance <= to
	})
}

// serveSearch answers GET …/customers/search/{query}: the customers whose
// email address contains the query, without regard to case, or whose ID
// equals it.
func (s *Server) serveSearch(w http.ResponseWriter, c *simkit.Call, text string) {
	q, ok := query(c.Request)
	if !ok {
		writeError(w, http.StatusBadRequest, "The query string is malformed", nil)
		return
	}
	p, bad := parsePage(q)
	if len(bad) > 0 {
		writeError(w, http.StatusBadRequest, msgInvalid, bad)
		return
	}
	lower := strings.ToLower(text)
	id, isID := simkit.ParseUUID(text)
	s.writePage(w, p, func(r *record) bool {
		return strings.Contains(r.emailLower, lower) || isID && r.id == id
	})
}

// writePage answers with page p of the customers keep accepts.
func (s *Server) writePage(w http.ResponseWriter, p page, keep func(*record) bool) {
	skip := (p.number - 1) * p.size
	data := make([]Reference, 0, p.size)
	total := 0
	s.mu.RLock()
	for _, r := range s.customers {
		if !keep(r) {
			continue
		}
		if total >= skip && len(data) < p.size {
			data = append(data, r.ref())
		}
		total++
	}
	s.mu.RUnlock()
	simkit.WriteJSON(w, http.StatusOK, listEnvelope{Success: true, Pages: (total + p.size - 1) / p.size, Data: data})
}

// jsonObject reads a request body that must be a JSON object; it answers
// 400 and reports false if it is not.
func jsonObject(w http.ResponseWriter, c *simkit.Call) (map[string]json.RawMessage, bool) {
	var obj map[string]json.RawMessage
	body := bytes.TrimSpace(c.Body)
	switch {
	case c.BodyErr != nil:
		writeError(w, http.StatusBadRequest, "The request body cannot be read", map[string]string{"body": "cannot be read"})
	case c.TooLarge:
		writeError(w, http.StatusBadRequest, "The request body is larger than 1 MiB", map[string]string{"body": "is larger than 1 MiB"})
	case len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &obj) != nil:
		writeError(w, http.StatusBadRequest, msgInvalidBody, map[string]string{"body": "must be a JSON object"})
	default:
		return obj, true
	}
	return nil, false
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// serveBalance answers PATCH …/customers/{customerId}/balance.
func (s *Server) serveBalance(w http.ResponseWriter, c *simkit.Call, ident string) {
	if !c.CanWrite {
		forbidden(w, permUpdate)
		return
	}
	id, ok := simkit.ParseUUID(ident)
	if !ok {
		writeError(w, http.StatusBadRequest, msgInvalidID, map[string]string{"customerId": "must be a UUID"})
		return
	}
	obj, ok := jsonObject(w, c)
	if !ok {
		return
	}
	bad := map[string]string{}
	var balance float64
	switch raw, found := obj["newBalance"]; {
	case !found || isNull(raw):
		bad["newBalance"] = "is required"
	case json.Unmarshal(raw, &balance) != nil:
		bad["newBalance"] = "must be a number"
	case balance < 0:
		bad["newBalance"] = "must be greater than or equal to 0"
	}
	if raw, found := obj["comment"]; found && !isNull(raw) {
		var comment string
		if json.Unmarshal(raw, &comment) != nil {
			bad["comment"] = "must be a string or null"
		}
	}
	if len(bad) > 0 {
		writeError(w, http.StatusBadRequest, msgInvalid, bad)
		return
	}

	s.mu.Lock()
	rec := s.byID[id]
	var cp record
	if rec != nil {
		rec.balance = balance
		cp = *rec
	}
	s.mu.Unlock()
	if rec == nil {
		writeError(w, http.StatusNotFound, msgNotFound, nil)
		return
	}
	writeOK(w, s.full(&cp))
}

// serveRegister answers POST …/customers.
func (s *Server) serveRegister(w http.ResponseWriter, c *simkit.Call) {
	if !c.CanWrite {
		forbidden(w, permCreate)
		return
	}
	obj, ok := jsonObject(w, c)
	if !ok {
		return
	}
	var email string
	raw, found := obj["emailAddress"]
	switch {
	case !found || isNull(raw):
		writeError(w, http.StatusBadRequest, msgInvalid, map[string]string{"emailAddress": "is required"})
		return
	case json.Unmarshal(raw, &email) != nil:
		writeError(w, http.StatusBadRequest, msgInvalid, map[string]string{"emailAddress": "must be a string"})
		return
	}
	email = strings.TrimSpace(email)
	if !validEmail(email) {
		writeError(w, http.StatusBadRequest, msgInvalid, map[string]string{"emailAddress": "must be a valid email address"})
		return
	}
	lower := strings.ToLower(email)

	s.mu.Lock()
	if s.byEmail[lower] != nil {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, msgEmailTaken, nil)
		return
	}
	seq := len(s.customers) + 1
	rec := &record{
		seq:          seq,
		id:           s.keys.objectID(seq, 0),
		created:      s.Kit.Now().UTC().Truncate(time.Second),
		email:        email,
		emailLower:   lower,
		status:       StatusNew,
		integrations: map[string]string{},
	}
	s.customers = append(s.customers, rec)
	s.byID[rec.id] = rec
	s.byEmail[lower] = rec
	cp := *rec
	s.mu.Unlock()
	writeOK(w, s.full(&cp))
}

// validEmail is a loose address check: one "@" between a non-empty local
// part and a dotted domain, no spaces, at most 254 bytes.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && len(s) <= 254 && local != "" && !strings.ContainsAny(s, " \t\r\n<>,;") &&
		!strings.Contains(domain, "@") && strings.Contains(strings.Trim(domain, "."), ".")
}
