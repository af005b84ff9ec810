// Package komerzasim simulates the customer endpoints of the Komerza Admin
// API in process, for tests, benchmarks and local development.
//
// A Server is an http.Handler with the API's base URL at its root. It
// serves one store, Options.Store; a path naming any other store answers
// 404.
//
//	GET   /stores/{storeId}/customers/{customerId}          one customer, full record
//	GET   /stores/{storeId}/customers/{email}/email         one customer by email address, full record
//	GET   /stores/{storeId}/customers?Page=&PageSize=&email=&ipAddress=&balanceFrom=&balanceTo=
//	                                                        a page of customer references
//	GET   /stores/{storeId}/customers/search/{query}?Page=&PageSize=
//	                                                        a page of the customers the query finds
//	PATCH /stores/{storeId}/customers/{customerId}/balance  {"newBalance": n, "comment": s}: set the balance
//	POST  /stores/{storeId}/customers                       {"emailAddress": s}: register a customer
//
// Every answer is the docs' envelope {"success", "message", "code", "data"},
// lists add "pages", and errors carry a null data, a message and a code
// (below); a 400 names the fields at fault in "invalidFields", an object of
// field → problem. Successes have a null message and code.
//
// Where the docs are silent the simulator decides:
//
//   - customerId is a hyphenated UUID in any case, matched without regard
//     to case; anything else is 400. An email lookup matches the whole
//     address without regard to case (the path segment is unescaped first).
//   - Lists and searches run in data-set order (the order of
//     GET /__sim/customers). Page starts at 1 (default 1), PageSize is
//     1–100 (default 20); other values are 400. "pages" is the number of
//     pages of the whole result, 0 when nothing matches; a page past the
//     end has empty data. Query names match without regard to case, as
//     ASP.NET binds them.
//   - The list's email and ipAddress filters are case-insensitive
//     "contains"; balanceFrom and balanceTo bound the balance inclusively;
//     affiliateCode, Sorts and Filters are not simulated and answer 400.
//   - A search finds the customers whose email address contains the query
//     (case-insensitive), or whose ID equals it.
//   - isAffiliate is true when the customer has an affiliate account,
//     enabled or not.
//   - PATCH …/balance needs a JSON object body: newBalance a number >= 0,
//     comment a string, null or absent; other keys are ignored. It answers
//     200 with the full updated record. POST registers a customer in
//     status "New" with no IP address, orders or balance, and answers 200
//     with its full record; an email address already registered, in any
//     case, is 409.
//   - A key given as "name:read" has stores.customers.view only: PATCH
//     and POST answer 403. Checks run in this order: key (401), rate
//     limit (429), store (404), permission (403), request (400),
//     customer (404), conflict (409).
//   - Error codes are "bad_request", "unauthorized", "forbidden",
//     "not_found", "method_not_allowed", "conflict", "rate_limited" and, for
//     injected faults, "internal_error", "bad_gateway",
//     "service_unavailable", "gateway_timeout" or "error_<status>".
//
// Stats count single-record reads (by ID or email) as get, lists and
// searches as list, and PATCH and POST as patch.
//
// Its data set is generated deterministically from a seed; the first
// customer has the docs' example ID, 3c90c3cc-0d44-4b50-8888-8dd25736052a.
// Keys, counters, the request log, faults, the rate limit and the /__sim/
// control endpoints are those of package
// customergraph/internal/sim/simkit; GET /__sim/customers lists each
// customer's ID and email address (Komerza has no phone, customer number
// or name).
package komerzasim

import (
	"maps"
	"strings"
	"sync"
	"time"

	"customergraph/internal/sim/simkit"
)

// Defaults and limits of Options.
const (
	DefaultCustomers = 1000
	DefaultAPIKey    = simkit.DefaultAPIKey
	// DefaultStore is the store served when Options.Store is empty.
	DefaultStore = "11111111-1111-4111-8111-111111111111"
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
	// A key written "name:read" has the view permission only.
	APIKeys []string
	// RateLimit is the number of requests allowed per key in a fixed
	// one-hour window; 0 is off.
	RateLimit int
	// Now is the clock of rate-limit windows and of registrations; nil
	// means time.Now.
	Now func() time.Time
	// Store is the one store served, a UUID; "" means DefaultStore. It is
	// matched without regard to case.
	Store string
}

// Stats counts API requests by route since the last reset.
type Stats = simkit.Stats

// Request is one logged API request.
type Request = simkit.Request

// Faults are failures injected into API requests.
type Faults = simkit.Faults

// Server is the simulated API. It is safe for concurrent use.
type Server struct {
	opts  Options
	store string // lower-cased when a UUID
	keys  keys
	// The kit serves HTTP and the /__sim/ endpoints, and gives the Server
	// Stats, Reset, Requests, SetFaults, ClearFaults and SetAPIKeys.
	*simkit.Kit

	mu        sync.RWMutex
	customers []*record          // data-set order; grows with registrations
	byID      map[string]*record // lower-case UUID
	byEmail   map[string]*record // lower-case address
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
	if opts.Store == "" {
		opts.Store = DefaultStore
	}
	s := &Server{opts: opts, store: opts.Store, keys: newKeys(opts.Seed)}
	if id, ok := simkit.ParseUUID(opts.Store); ok {
		s.store = id
	}
	s.Kit = simkit.New(simkit.Config{
		Seed:      opts.Seed,
		Latency:   opts.Latency,
		APIKeys:   opts.APIKeys,
		RateLimit: opts.RateLimit,
		Now:       opts.Now,
	}, simkit.Hooks{Match: s.match, WriteError: s.writeFailure, Customers: s.simCustomers})

	s.customers = generate(opts.Customers, opts.Seed, s.keys)
	s.byID = make(map[string]*record, len(s.customers))
	s.byEmail = make(map[string]*record, len(s.customers))
	for _, r := range s.customers {
		s.byID[r.id] = r
		s.byEmail[r.emailLower] = r
	}
	return s
}

// Store returns the store served.
func (s *Server) Store() string { return s.store }

// Len returns the number of customers.
func (s *Server) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.customers)
}

// Customer returns a snapshot of the full record of the customer with the
// given ID (a UUID in any case) or email address (in any case), as
// GET …/customers/{customerId} would send it.
func (s *Server) Customer(id string) (Customer, bool) {
	s.mu.RLock()
	rec := s.find(id)
	var cp record
	if rec != nil {
		cp = *rec
	}
	s.mu.RUnlock()
	if rec == nil {
		return Customer{}, false
	}
	return s.full(&cp), true
}

// find looks a customer up by UUID or email address; the caller holds the
// read lock.
func (s *Server) find(id string) *record {
	if u, ok := simkit.ParseUUID(id); ok {
		return s.byID[u]
	}
	return s.byEmail[strings.ToLower(id)]
}

// full renders rec's full record; rec is a copy taken under the lock, or
// a record the caller has locked.
func (s *Server) full(rec *record) Customer {
	d := s.details(rec)
	return Customer{
		ID:                   rec.id,
		DateCreated:          rec.created,
		EmailAddress:         rec.email,
		Status:               rec.status,
		TotalSpend:           rec.totalSpend,
		AverageSpend:         rec.averageSpend,
		TotalOrders:          rec.totalOrders,
		IPAddress:            clonePtr(rec.ip),
		Balance:              rec.balance,
		ExternalIntegrations: maps.Clone(rec.integrations),
		Subscriptions:        d.subscriptions,
		Tickets:              d.tickets,
		Affiliate:            d.affiliate,
		IsBlocked:            rec.blocked,
		BlockedNote:          clonePtr(rec.blockedNote),
		BlockedAt:            clonePtr(rec.blockedAt),
	}
}

// simCustomers lists every customer for /__sim/customers.
func (s *Server) simCustomers() []simkit.Customer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]simkit.Customer, len(s.customers))
	for i, r := range s.customers {
		out[i] = simkit.Customer{ID: r.id, Email: simkit.Ptr(r.email)}
	}
	return out
}
