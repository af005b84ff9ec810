// Package tiquosim simulates the customer endpoints of the Tiquo Admin API
// in process, for tests, benchmarks and local development.
//
// A Server is an http.Handler with the API's base URL at its root:
//
//	GET   /customers/{identifier}   get one customer by number, email, phone or document ID
//	GET   /customers                list customers (limit, cursor, search, status, parameter filters)
//	PATCH /customers/{id}           partial update
//
// It answers with the documented envelopes and error shapes, checks Bearer
// keys, and can enforce a per-key hourly rate limit. Its data set is
// generated deterministically from a seed; customer CUST-000001 is the docs'
// example, John Doe.
//
// Keys, counters, the request log, faults, the rate limit and the control
// endpoints are those of package customergraph/internal/sim/simkit, which
// serves every vendor simulator the same way:
//
//	GET    /__sim/stats      {"get":n,"list":n,"patch":n,"total":n,"peakInFlight":n} since the last reset
//	POST   /__sim/reset      zero the counters and the request log
//	GET    /__sim/requests   the last 100 API requests, oldest first
//	GET    /__sim/customers  every customer: id, email, phone, customerNumber, name
//	GET    /__sim/faults     the faults in force
//	POST   /__sim/faults     inject faults, see Faults
//	DELETE /__sim/faults     clear faults
//
// Errors the kit raises (faults, 401, 429, no route, control endpoints)
// take the get and list docs' string shape, or the update doc's object
// shape on PATCH.
package tiquosim

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"

	"customergraph/internal/identifier"
	"customergraph/internal/sim/simkit"
)

// Defaults and limits of Options.
const (
	DefaultCustomers = 1000
	DefaultAPIKey    = simkit.DefaultAPIKey
	// MaxCustomers is the largest data set; larger sizes are reduced to it.
	MaxCustomers = 1_000_000
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Customers is the size of the data set; 0 means DefaultCustomers.
	Customers int
	// Seed determines the data set, cursors and fault draws; 0 means 1.
	Seed int64
	// Latency is added to every API request (not to /__sim/*). A request
	// whose context ends while it waits gets no answer.
	Latency time.Duration
	// APIKeys are the accepted Bearer keys; empty means [DefaultAPIKey].
	// A key written "name:read" is the key "name" without the
	// customers:write scope: it may read, and PATCH answers 403.
	APIKeys []string
	// RateLimit is the number of requests allowed per key in a fixed
	// one-hour window that starts with the key's first request; 0 is off.
	RateLimit int
	// Now is the clock for rate-limit windows, updatedAt and response
	// timestamps; nil means time.Now.
	Now func() time.Time
}

// Server is the simulated API. It is safe for concurrent use.
type Server struct {
	opts Options
	now  func() time.Time
	// The kit serves HTTP and the /__sim/ endpoints, and gives the Server
	// Stats, Reset, Requests, SetFaults, ClearFaults and SetAPIKeys.
	*simkit.Kit
	cursorKey []byte

	mu        sync.RWMutex
	customers []*record          // index = Seq-1; never grows or shrinks
	byID      map[string]*record // document ID
	byNumber  map[string]*record // customer number
	byEmail   map[string]*record // primary email
	emails    map[string]*record // every email address, for uniqueness
	byPhone   map[string][]*record
}

// Stats counts API requests by route since the last reset; see simkit.Stats.
type Stats = simkit.Stats

// Request is one logged API request; see simkit.Request.
type Request = simkit.Request

// New returns a Server with a data set generated from opts.
func New(opts Options) *Server {
	if opts.Customers <= 0 {
		opts.Customers = DefaultCustomers
	}
	opts.Customers = min(opts.Customers, MaxCustomers)
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	opts.Latency = max(opts.Latency, 0)
	opts.RateLimit = max(opts.RateLimit, 0)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, now: opts.Now}
	s.Kit = simkit.New(simkit.Config{
		Seed:      opts.Seed,
		Latency:   opts.Latency,
		APIKeys:   opts.APIKeys,
		RateLimit: opts.RateLimit,
		Now:       opts.Now,
	}, simkit.Hooks{Match: s.match, WriteError: s.writeError, Customers: s.simCustomers})
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(opts.Seed))
	sum := sha256.Sum256(append([]byte("tiquosim cursor v1 "), seed[:]...))
	s.cursorKey = sum[:]

	s.customers = generate(opts.Customers, opts.Seed)
	n := len(s.customers)
	s.byID = make(map[string]*record, n)
	s.byNumber = make(map[string]*record, n)
	s.byEmail = make(map[string]*record, n)
	s.emails = make(map[string]*record, n+n/4)
	s.byPhone = make(map[string][]*record, n)
	for _, r := range s.customers {
		s.byID[r.ID] = r
		s.byNumber[r.CustomerNumber] = r
		s.indexContacts(r)
	}
	return s
}

// indexContacts adds r's emails and phones to the indexes; the caller
// holds the write lock (or owns s exclusively).
func (s *Server) indexContacts(r *record) {
	for _, e := range r.Emails {
		s.emails[e.Address] = r
	}
	if e := r.PrimaryEmail(); e != "" {
		s.byEmail[e] = r
	}
	if p := r.PrimaryPhone(); p != "" {
		s.byPhone[p] = append(s.byPhone[p], r)
		if l := s.byPhone[p]; len(l) > 1 {
			sortBySeq(l)
		}
	}
}

// unindexContacts removes r's emails and phones from the indexes; the
// caller holds the write lock.
func (s *Server) unindexContacts(r *record) {
	for _, e := range r.Emails {
		if s.emails[e.Address] == r {
			delete(s.emails, e.Address)
		}
	}
	if e := r.PrimaryEmail(); e != "" && s.byEmail[e] == r {
		delete(s.byEmail, e)
	}
	if p := r.PrimaryPhone(); p != "" {
		l := make([]*record, 0, len(s.byPhone[p]))
		for _, o := range s.byPhone[p] {
			if o != r {
				l = append(l, o)
			}
		}
		if len(l) == 0 {
			delete(s.byPhone, p)
		} else {
			s.byPhone[p] = l
		}
	}
}

func sortBySeq(l []*record) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && l[j].Seq < l[j-1].Seq; j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}

// lookup finds the customer an identifier names: by customer number,
// primary email, primary phone (the oldest customer when several share it)
// or document ID. The caller holds the read lock.
func (s *Server) lookup(id identifier.ID) *record {
	switch id.Kind() {
	case identifier.CustomerNumber:
		return s.byNumber[id.String()]
	case identifier.Email:
		return s.byEmail[id.String()]
	case identifier.Phone:
		if l := s.byPhone[id.String()]; len(l) > 0 {
			return l[0]
		}
	case identifier.DocumentID:
		return s.byID[id.String()]
	}
	return nil
}

// Customer returns a snapshot of the customer that ident names, in any
// format GET /customers/{identifier} accepts.
func (s *Server) Customer(ident string) (Customer, bool) {
	id, err := identifier.Parse(ident)
	if err != nil {
		return Customer{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.lookup(id)
	if r == nil {
		return Customer{}, false
	}
	return r.clone(), true
}

// Len returns the number of customers.
func (s *Server) Len() int { return len(s.customers) }

// simCustomers lists every customer for /__sim/customers.
func (s *Server) simCustomers() []simkit.Customer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]simkit.Customer, len(s.customers))
	for i, r := range s.customers {
		c := simkit.Customer{ID: r.ID, CustomerNumber: ptr(r.CustomerNumber), Name: r.DisplayName}
		if e := r.PrimaryEmail(); e != "" {
			c.Email = ptr(e)
		}
		if p := r.PrimaryPhone(); p != "" {
			c.Phone = ptr(p)
		}
		out[i] = c
	}
	return out
}

func (s *Server) timestamp() string { return s.now().UTC().Format(timestampLayout) }
