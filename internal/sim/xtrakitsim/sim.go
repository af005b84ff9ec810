// Package xtrakitsim simulates the customer endpoints of the Xtrakit API
// in process, for tests, benchmarks and local development.
//
// A Server is an http.Handler with the API's base URL
// (https://app.xtrakit.com/api/v1) at its root:
//
//	GET  /customers/{id}         one customer and its groups
//	GET  /customers              every customer, unpaginated (customer_group_id, created_at, updated_at filters)
//	PUT  /customers/{id}         replace a customer
//	POST /customers/add          create a customer
//	GET  /customer-groups        every customer group
//	GET  /customer-groups/{id}   one customer group
//
// Answers are {"status": <HTTP status>, "message": text, "data": ...};
// errors are {"status": <HTTP status>, "error": text}, such as the docs'
// "Unauthorized: Missing Bearer Token" and "Unauthorized: Invalid API Key".
//
// Where the docs are silent the simulator decides:
//
//   - An ID is a positive decimal integer (leading zeros allowed); any
//     other path segment names no customer and answers 404, as an unknown
//     ID does.
//   - GET /customers/{id} answers {"customer": {...}, "customer-group":
//     [...]}: every group the customer is in, its main group
//     (customer_group_id) first; [] for a customer in none.
//   - GET /customers answers {"customers": [...]} in ID order, a JSON
//     array. customer_group_id keeps the customers in that group, main or
//     not; created_at and updated_at keep those whose timestamp falls on
//     that calendar date (YYYY-MM-DD, in the server's zone). A malformed
//     filter is 422; other query parameters are ignored.
//   - PUT and POST take a JSON object (anything else is 400) and require
//     customer_name, customer_phone, customer_country, customer_city,
//     customer_state and address1 as non-empty strings: missing, null or
//     empty ones are a 422 naming them. customer_email, customer_whatsapp,
//     customer_zip, address2 and customer_profile are strings or null,
//     customer_group_id an existing group's ID or null; empty strings are
//     stored as null (as Laravel does). PUT replaces the record: an
//     optional field left out becomes null, and updated_at is set to now.
//     The groups besides the main one are kept. id, user_id,
//     business_code, created_by and the timestamps are not writable and
//     are ignored, as are unknown keys. Phones are stored as written.
//   - PUT answers 200 "Customer updated" and POST 201 "Customer created"
//     (created_by "API", the next ID), both in the shape of GET
//     /customers/{id}.
//   - GET /customer-groups answers {"customer-groups": [...]} and GET
//     /customer-groups/{id} {"customer-group": {...}}. Groups cannot be
//     created here.
//   - A key given as "name:read" may only read: PUT and POST answer 403.
//     Checks run in this order: key (401), rate limit (429), permission
//     (403), customer (404), body (400, 422).
//
// Stats count GET /customers/{id} and GET /customer-groups/{id} as get,
// the two lists as list, and PUT and POST as patch.
//
// Its data set is generated deterministically from a seed: customer 1 is
// the docs' Jane Doe (in groups 1 and 3), group 1 the docs' "Premium
// Customers". Customers are Ghanaian (+233), British (+44) and American
// (+1), with phones in E.164 or spaced ("+233 24 456 7890"); some have no
// email, no WhatsApp number or no group, some several groups. Keys,
// counters, the request log, faults, the rate limit and the /__sim/
// control endpoints are those of package customergraph/internal/sim/simkit;
// GET /__sim/customers gives each customer's ID (as a string), email,
// phone as stored and customer_name.
package xtrakitsim

import (
	"strconv"
	"sync"
	"time"

	"customergraph/internal/sim/simkit"
)

// Defaults and limits of Options.
const (
	DefaultCustomers = 1000
	DefaultAPIKey    = simkit.DefaultAPIKey
	// MaxCustomers is the largest generated data set; larger sizes are
	// reduced to it.
	MaxCustomers = 1_000_000
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Customers is the size of the data set; 0 means DefaultCustomers.
	Customers int
	// Seed determines the data set and fault draws; 0 means 1.
	Seed int64
	// Latency is added to every API request (not to /__sim/*).
	Latency time.Duration
	// APIKeys are the accepted Bearer keys; empty means [DefaultAPIKey].
	// A key written "name:read" may only read.
	APIKeys []string
	// RateLimit is the number of requests allowed per key in a fixed
	// one-hour window; 0 is off.
	RateLimit int
	// Now is the clock of rate-limit windows and of the timestamps writes
	// set; nil means time.Now.
	Now func() time.Time
	// TimeZone is the zone the zone-less created_at and updated_at are
	// written in; nil means UTC.
	TimeZone *time.Location
}

// Stats counts API requests by route since the last reset.
type Stats = simkit.Stats

// Request is one logged API request.
type Request = simkit.Request

// Faults are failures injected into API requests.
type Faults = simkit.Faults

// Server is the simulated API. It is safe for concurrent use.
type Server struct {
	opts Options
	// The kit serves HTTP and the /__sim/ endpoints, and gives the Server
	// Stats, Reset, Requests, SetFaults, ClearFaults and SetAPIKeys.
	*simkit.Kit
	groups []Group // ID i+1 at index i; never changes

	mu        sync.RWMutex
	customers []*record // ID i+1 at index i; grows with POST
}

// New returns a Server with a data set generated from opts.
func New(opts Options) *Server {
	if opts.Customers <= 0 {
		opts.Customers = DefaultCustomers
	}
	opts.Customers = min(opts.Customers, MaxCustomers)
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TimeZone == nil {
		opts.TimeZone = time.UTC
	}
	s := &Server{opts: opts, groups: groupsOf()}
	s.Kit = simkit.New(simkit.Config{
		Seed:      opts.Seed,
		Latency:   opts.Latency,
		APIKeys:   opts.APIKeys,
		RateLimit: opts.RateLimit,
		Now:       opts.Now,
	}, simkit.Hooks{Match: s.match, WriteError: s.writeFailure, Customers: s.simCustomers})
	s.customers = generate(opts.Customers, opts.Seed, opts.TimeZone)
	return s
}

// Len returns the number of customers.
func (s *Server) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.customers)
}

// Customer returns a snapshot of customer id, as GET /customers/{id}
// sends data.customer.
func (s *Server) Customer(id int) (Customer, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.get(id)
	if r == nil {
		return Customer{}, false
	}
	return r.clone(), true
}

// CustomerGroups returns the groups of customer id, as GET
// /customers/{id} sends data["customer-group"]: the main group first.
func (s *Server) CustomerGroups(id int) ([]Group, bool) {
	s.mu.RLock()
	r := s.get(id)
	var ids []int
	if r != nil {
		ids = r.groupIDs()
	}
	s.mu.RUnlock()
	if r == nil {
		return nil, false
	}
	return s.groupsByID(ids), true
}

// Groups returns every customer group in ID order.
func (s *Server) Groups() []Group {
	out := make([]Group, len(s.groups))
	for i, g := range s.groups {
		out[i] = g.clone()
	}
	return out
}

func (s *Server) groupsByID(ids []int) []Group {
	out := make([]Group, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.groups[id-1].clone())
	}
	return out
}

// get returns customer id or nil; the caller holds the lock.
func (s *Server) get(id int) *record {
	if id < 1 || id > len(s.customers) {
		return nil
	}
	return s.customers[id-1]
}

// simCustomers lists every customer for /__sim/customers.
func (s *Server) simCustomers() []simkit.Customer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]simkit.Customer, len(s.customers))
	for i, r := range s.customers {
		out[i] = simkit.Customer{
			ID:    strconv.Itoa(r.ID),
			Email: clonePtr(r.CustomerEmail),
			Phone: simkit.Ptr(r.CustomerPhone),
			Name:  simkit.Ptr(r.CustomerName),
		}
	}
	return out
}
