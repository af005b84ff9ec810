package xtrakitsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"customergraph/internal/sim/simkit"
)

// Error texts of the docs and of the simulator.
const (
	msgMissingToken  = "Unauthorized: Missing Bearer Token"
	msgInvalidKey    = "Unauthorized: Invalid API Key"
	msgReadOnly      = "Forbidden: this API key may only read"
	msgNotFound      = "Customer not found"
	msgGroupNotFound = "Customer group not found"
	msgRateLimited   = "Too Many Requests: rate limit exceeded"
	msgInvalidBody   = "The request body must be a JSON object"
)

// requiredFields are the fields create and edit require, in the docs' order.
var requiredFields = []string{"customer_name", "customer_phone", "customer_country", "customer_city", "customer_state", "address1"}

// optionalFields are the other writable string fields.
var optionalFields = []string{"customer_email", "customer_whatsapp", "customer_zip", "address2", "customer_profile"}

// match routes r for the kit.
func (s *Server) match(r *http.Request) simkit.Match {
	path := r.URL.EscapedPath()
	get := r.Method == http.MethodGet
	switch {
	case path == "/customers":
		if get {
			return simkit.Match{Route: simkit.RouteList, Serve: s.serveList}
		}
		return simkit.Match{Allow: "GET"}
	case path == "/customers/add":
		if r.Method == http.MethodPost {
			return simkit.Match{Route: simkit.RoutePatch, Serve: s.serveAdd}
		}
		return simkit.Match{Allow: "POST"}
	case path == "/customer-groups":
		if get {
			return simkit.Match{Route: simkit.RouteList, Serve: s.serveGroups}
		}
		return simkit.Match{Allow: "GET"}
	}
	if seg, ok := strings.CutPrefix(path, "/customer-groups/"); ok && seg != "" && !strings.Contains(seg, "/") {
		target := unescape(seg)
		if get {
			return simkit.Match{Route: simkit.RouteGet, Target: target, Serve: func(w http.ResponseWriter, _ *simkit.Call) { s.serveGroup(w, target) }}
		}
		return simkit.Match{Target: target, Allow: "GET"}
	}
	if seg, ok := strings.CutPrefix(path, "/customers/"); ok && seg != "" && !strings.Contains(seg, "/") {
		target := unescape(seg)
		switch r.Method {
		case http.MethodGet:
			return simkit.Match{Route: simkit.RouteGet, Target: target, Serve: func(w http.ResponseWriter, _ *simkit.Call) { s.serveGet(w, target) }}
		case http.MethodPut:
			return simkit.Match{Route: simkit.RoutePatch, Target: target, Serve: func(w http.ResponseWriter, c *simkit.Call) { s.servePut(w, c, target) }}
		}
		return simkit.Match{Target: target, Allow: "GET, PUT"}
	}
	return simkit.Match{}
}

func unescape(seg string) string {
	if v, err := url.PathUnescape(seg); err == nil {
		return v
	}
	return seg
}

// parseID reads a positive decimal ID: digits only.
func parseID(s string) (int, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

type answer struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
	Data    any    `json:"data"`
}

type errorAnswer struct {
	Status int    `json:"status"`
	Error  string `json:"error"`
}

func writeOK(w http.ResponseWriter, status int, msg string, data any) {
	simkit.WriteJSON(w, status, answer{status, msg, data})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	simkit.WriteJSON(w, status, errorAnswer{status, msg})
}

// writeFailure answers an error the kit raises.
func (s *Server) writeFailure(w http.ResponseWriter, f *simkit.Failure) {
	msg := f.Message
	switch {
	case f.Cause == simkit.NoKey:
		msg = msgMissingToken
	case f.Status == http.StatusUnauthorized:
		msg = msgInvalidKey
	case f.Status == http.StatusTooManyRequests:
		msg = msgRateLimited
	case f.Status == http.StatusNotFound && f.Cause == simkit.Injected:
		msg = msgNotFound
		if f.Request != nil && strings.HasPrefix(f.Request.URL.Path, "/customer-groups") {
			msg = msgGroupNotFound
		}
	}
	writeError(w, f.Status, msg)
}

// customerData is the data of GET, PUT and POST on one customer.
type customerData struct {
	Customer Customer `json:"customer"`
	Groups   []Group  `json:"customer-group"`
}

// snapshot copies customer id and its groups under the read lock.
func (s *Server) snapshot(id int) (customerData, bool) {
	s.mu.RLock()
	r := s.get(id)
	var d customerData
	var ids []int
	if r != nil {
		d.Customer = r.clone()
		ids = r.groupIDs()
	}
	s.mu.RUnlock()
	if r == nil {
		return d, false
	}
	d.Groups = s.groupsByID(ids)
	return d, true
}

// serveGet answers GET /customers/{id}.
func (s *Server) serveGet(w http.ResponseWriter, target string) {
	id, ok := parseID(target)
	var d customerData
	if ok {
		d, ok = s.snapshot(id)
	}
	if !ok {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	writeOK(w, http.StatusOK, "Customer found", d)
}

// serveList answers GET /customers.
func (s *Server) serveList(w http.ResponseWriter, c *simkit.Call) {
	q, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "The query string is malformed")
		return
	}
	group := 0
	if v := q.Get("customer_group_id"); v != "" {
		if group, _ = parseID(v); group == 0 {
			writeError(w, http.StatusUnprocessableEntity, "The customer_group_id must be a positive integer.")
			return
		}
	}
	var dates [2]string // created_at, updated_at
	for i, name := range []string{"created_at", "updated_at"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil || len(v) != len(time.DateOnly) {
			writeError(w, http.StatusUnprocessableEntity, "The "+name+" must be a date in the form YYYY-MM-DD.")
			return
		}
		dates[i] = v
	}
	s.mu.RLock()
	out := make([]Customer, 0, len(s.customers))
	for _, r := range s.customers {
		if group != 0 && !r.inGroup(group) ||
			dates[0] != "" && !strings.HasPrefix(r.CreatedAt, dates[0]) ||
			dates[1] != "" && !strings.HasPrefix(r.UpdatedAt, dates[1]) {
			continue
		}
		out = append(out, r.Customer) // shares immutable pointers; encoded below
	}
	s.mu.RUnlock()
	writeOK(w, http.StatusOK, "Customers found", struct {
		Customers []Customer `json:"customers"`
	}{out})
}

// serveGroups answers GET /customer-groups.
func (s *Server) serveGroups(w http.ResponseWriter, _ *simkit.Call) {
	writeOK(w, http.StatusOK, "Customer groups found", struct {
		Groups []Group `json:"customer-groups"`
	}{s.Groups()})
}

// serveGroup answers GET /customer-groups/{id}.
func (s *Server) serveGroup(w http.ResponseWriter, target string) {
	id, ok := parseID(target)
	if !ok || id > len(s.groups) {
		writeError(w, http.StatusNotFound, msgGroupNotFound)
		return
	}
	writeOK(w, http.StatusOK, "Customer group found", struct {
		Group Group `json:"customer-group"`
	}{s.groups[id-1].clone()})
}

// fields is a validated create or edit body.
type fields struct {
	required [6]string // in requiredFields order
	optional [5]*string
	group    *int
}

// parseFields validates a create or edit body; it returns the status and
// text of a failure.
func (s *Server) parseFields(c *simkit.Call) (fields, int, string) {
	var f fields
	var obj map[string]json.RawMessage
	body := bytes.TrimSpace(c.Body)
	switch {
	case c.BodyErr != nil:
		return f, http.StatusBadRequest, "The request body cannot be read"
	case c.TooLarge:
		return f, http.StatusBadRequest, "The request body is larger than 1 MiB"
	case len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &obj) != nil:
		return f, http.StatusBadRequest, msgInvalidBody
	}
	// str reads a string or null; "" and whitespace count as null.
	str := func(name string) (*string, bool) {
		raw, ok := obj[name]
		if !ok || string(bytes.TrimSpace(raw)) == "null" {
			return nil, true
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return nil, false
		}
		if strings.TrimSpace(v) == "" {
			return nil, true
		}
		return &v, true
	}
	var missing, wrong []string
	for i, name := range requiredFields {
		v, ok := str(name)
		switch {
		case !ok:
			wrong = append(wrong, name)
		case v == nil:
			missing = append(missing, name)
		default:
			f.required[i] = *v
		}
	}
	for i, name := range optionalFields {
		v, ok := str(name)
		if !ok {
			wrong = append(wrong, name)
		}
		f.optional[i] = v
	}
	if len(missing) > 0 {
		return f, http.StatusUnprocessableEntity, "The following fields are required: " + strings.Join(missing, ", ")
	}
	if len(wrong) > 0 {
		return f, http.StatusUnprocessableEntity, "The following fields must be strings or null: " + strings.Join(wrong, ", ")
	}
	if e := f.optional[0]; e != nil && !validEmail(strings.TrimSpace(*e)) {
		return f, http.StatusUnprocessableEntity, "The customer_email must be a valid email address."
	}
	if raw, ok := obj["customer_group_id"]; ok && string(bytes.TrimSpace(raw)) != "null" {
		var g int
		if json.Unmarshal(raw, &g) != nil || g < 1 {
			return f, http.StatusUnprocessableEntity, "The customer_group_id must be a positive integer or null."
		}
		if g > len(s.groups) {
			return f, http.StatusUnprocessableEntity, "The selected customer_group_id is invalid: no customer group " + strconv.Itoa(g) + "."
		}
		f.group = &g
	}
	return f, 0, ""
}

// apply writes f into c, a copy of the record being replaced or created.
func (f *fields) apply(c *Customer) {
	c.CustomerName, c.CustomerPhone, c.CustomerCountry = f.required[0], f.required[1], f.required[2]
	c.CustomerCity, c.CustomerState, c.Address1 = f.required[3], f.required[4], f.required[5]
	c.CustomerEmail, c.CustomerWhatsapp, c.CustomerZip = f.optional[0], f.optional[1], f.optional[2]
	c.Address2, c.CustomerProfile = f.optional[3], f.optional[4]
	if c.CustomerEmail != nil {
		c.CustomerEmail = simkit.Ptr(strings.TrimSpace(*c.CustomerEmail))
	}
	c.CustomerGroupID = f.group
}

func (s *Server) now() string { return s.Kit.Now().In(s.opts.TimeZone).Format(TimestampLayout) }

// servePut answers PUT /customers/{id}.
func (s *Server) servePut(w http.ResponseWriter, c *simkit.Call, target string) {
	if !c.CanWrite {
		writeError(w, http.StatusForbidden, msgReadOnly)
		return
	}
	id, ok := parseID(target)
	if ok {
		s.mu.RLock()
		ok = s.get(id) != nil
		s.mu.RUnlock()
	}
	if !ok {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	f, status, msg := s.parseFields(c)
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	s.mu.Lock()
	r := s.get(id)
	next := r.Customer
	f.apply(&next)
	next.UpdatedAt = s.now()
	r.Customer = next
	s.mu.Unlock()
	d, _ := s.snapshot(id)
	writeOK(w, http.StatusOK, "Customer updated", d)
}

// serveAdd answers POST /customers/add.
func (s *Server) serveAdd(w http.ResponseWriter, c *simkit.Call) {
	if !c.CanWrite {
		writeError(w, http.StatusForbidden, msgReadOnly)
		return
	}
	f, status, msg := s.parseFields(c)
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	now := s.now()
	s.mu.Lock()
	id := len(s.customers) + 1
	cu := Customer{ID: id, UserID: businessUserID, BusinessCode: businessCode, CreatedBy: "API", CreatedAt: now, UpdatedAt: now}
	f.apply(&cu)
	s.customers = append(s.customers, &record{Customer: cu})
	s.mu.Unlock()
	d, _ := s.snapshot(id)
	writeOK(w, http.StatusCreated, "Customer created", d)
}

// validEmail is a loose address check: one "@" between a non-empty local
// part and a dotted domain, no spaces.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && !strings.ContainsAny(s, " \t\r\n<>,;") &&
		!strings.Contains(domain, "@") && strings.Contains(strings.Trim(domain, "."), ".")
}
