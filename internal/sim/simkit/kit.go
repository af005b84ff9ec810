// Package simkit is what every vendor simulator under internal/sim shares:
// Bearer keys with a read-only form, request counters, the request log,
// injected faults, a per-key hourly rate limit, added latency and the
// /__sim/ control endpoints. A vendor package supplies only what differs —
// its routes, its error bodies and its customer listing — as Hooks, and
// serves HTTP through its Kit.
//
// Every API request goes through the same steps, in this order:
//
//  1. Hooks.Match routes it; the route (get, list or patch) picks the
//     counter and the faults that apply.
//  2. The body is read (at most MaxBody bytes), the request is counted and
//     logged, and Config.Latency plus any fault latency is slept.
//  3. An injected fault status, if drawn, answers it — before
//     authentication, so an outage answers every caller.
//  4. An unknown path answers 404 and a known path with another method 405.
//  5. The Bearer key is checked (401), then the key's rate-limit window (429).
//  6. The route's handler answers.
//
// Errors of steps 3–5 and of the control endpoints are written by
// Hooks.WriteError in the vendor's own shape.
//
// The control endpoints, without authentication, latency, counting or
// logging:
//
//	GET    /__sim/stats      {"get","list","patch","total","peakInFlight"} since the last reset
//	POST   /__sim/reset      zero the counters and the request log
//	GET    /__sim/requests   the last 100 API requests, oldest first: [{"method","path","query","body"}]
//	GET    /__sim/customers  every customer in data-set order: [{"id","email","phone","customerNumber","name"}]
//	GET    /__sim/faults     the faults in force
//	POST   /__sim/faults     inject faults, see Faults
//	DELETE /__sim/faults     clear faults
package simkit

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAPIKey is the key accepted when a simulator is given none.
const DefaultAPIKey = "sim-key"

// MaxBody is the largest request body read; a longer body is cut to it and
// the request's Call.TooLarge is set.
const MaxBody = 1 << 20

// Route is the kind of an API request: it names the counter of Stats and
// the route of Faults.Routes.
type Route uint8

// The routes. Every write (PATCH, PUT or POST) is RoutePatch.
const (
	RouteNone  Route = iota // no route: unknown path or method
	RouteGet                // a single-record read, by any identifier
	RouteList               // a list or a search
	RoutePatch              // a write
)

func (rt Route) String() string {
	switch rt {
	case RouteGet:
		return "get"
	case RouteList:
		return "list"
	case RoutePatch:
		return "patch"
	}
	return "none"
}

// Match is how Hooks.Match routes a request.
type Match struct {
	// Route is the request's route, or RouteNone when no route takes it.
	Route Route
	// Serve answers the request once it is authenticated and within the
	// rate limit; it is required unless Route is RouteNone.
	Serve func(w http.ResponseWriter, c *Call)
	// Target is the decoded identifier the path names, if any: it is
	// handed to WriteError so that an injected 404 can name it.
	Target string
	// Allow, with RouteNone, says the path exists for these methods
	// ("GET, PATCH"): the request answers 405 instead of 404.
	Allow string
}

// Call is an authenticated API request within its rate limit.
type Call struct {
	Request *http.Request
	// Key is the Bearer key; CanWrite is false for a key given as
	// "name:read".
	Key      string
	CanWrite bool
	// Body is the request body, at most MaxBody bytes. BodyErr is the
	// error reading it, if any; TooLarge says it was longer than MaxBody.
	Body     []byte
	BodyErr  error
	TooLarge bool
}

// Cause says why the kit, rather than a route's handler, answers with an
// error.
type Cause uint8

// The causes of a Failure.
const (
	Injected    Cause = iota + 1 // an injected fault status
	NoKey                        // 401: no Bearer token was sent
	BadKey                       // 401: the Bearer key is not accepted
	RateLimited                  // 429: the key's window is spent
	NoRoute                      // 404 or 405: no route takes the request
	Control                      // an error of a /__sim/ control endpoint
)

// Failure is an error answer the kit asks the vendor to write.
type Failure struct {
	Cause  Cause
	Status int
	// Message is the kit's text for it: the status text of an injected
	// fault, "Missing or invalid API key", "Too Many Requests",
	// "Not found: /path", "Method M not allowed on /path", or the control
	// endpoint's complaint. A vendor may use its own words instead.
	Message string
	Route   Route  // RouteNone for NoRoute and Control
	Target  string // Match.Target
	Request *http.Request
}

// Customer is one customer as GET /__sim/customers lists it, in vendor
// neutral terms; nil is JSON null.
type Customer struct {
	ID             string  `json:"id"`
	Email          *string `json:"email"`          // primary address as stored
	Phone          *string `json:"phone"`          // primary number as stored
	CustomerNumber *string `json:"customerNumber"` // where the vendor has one
	Name           *string `json:"name"`           // display or full name
}

// Hooks are what a vendor plugs into a Kit. Match and WriteError are
// required; Customers may be nil, and /__sim/customers then lists none.
type Hooks struct {
	// Match routes an API request (any path outside /__sim/). It must not
	// read the body.
	Match func(r *http.Request) Match
	// WriteError writes f in the vendor's error shape. The kit has already
	// set Retry-After for a 429 and Allow for a 405.
	WriteError func(w http.ResponseWriter, f *Failure)
	// Customers returns every customer in data-set order.
	Customers func() []Customer
}

// Config is the part of a simulator's options the kit uses.
type Config struct {
	// Seed seeds the fault draws; 0 means 1.
	Seed int64
	// Latency is added to every API request (not to /__sim/*). A request
	// whose context ends while it waits gets no answer.
	Latency time.Duration
	// APIKeys are the accepted Bearer keys; empty means [DefaultAPIKey].
	// A key written "name:read" is the key "name" without write
	// permission.
	APIKeys []string
	// RateLimit is the number of requests allowed per key in a fixed
	// one-hour window that starts with the key's first request; 0 is off.
	RateLimit int
	// Now is the clock of rate-limit windows; nil means time.Now.
	Now func() time.Time
}

// Kit serves a vendor simulator's API and control endpoints. It is safe
// for concurrent use.
type Kit struct {
	cfg   Config
	hooks Hooks

	keys     atomic.Pointer[map[string]bool] // key → may write
	counters counters
	log      requestLog
	limiter  rateLimiter
	faults   atomic.Pointer[Faults]
	rngMu    sync.Mutex
	rng      *rand.Rand // fault draws
}

// New returns a Kit with cfg, serving through h.
func New(cfg Config, h Hooks) *Kit {
	if h.Match == nil || h.WriteError == nil {
		panic("simkit: Hooks.Match and Hooks.WriteError are required")
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	cfg.Latency = max(cfg.Latency, 0)
	cfg.RateLimit = max(cfg.RateLimit, 0)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	k := &Kit{
		cfg:   cfg,
		hooks: h,
		rng:   rand.New(rand.NewPCG(uint64(cfg.Seed), 0xfa0175)),
	}
	k.limiter.limit = cfg.RateLimit
	k.SetAPIKeys(cfg.APIKeys...)
	return k
}

// Now returns the kit's clock reading.
func (k *Kit) Now() time.Time { return k.cfg.Now() }

// RateLimit returns the configured requests per key per hour; 0 is off.
func (k *Kit) RateLimit() int { return k.limiter.limit }

// ServeHTTP serves the API and the /__sim/ control endpoints.
func (k *Kit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/__sim/") {
		k.serveControl(w, r)
		return
	}
	k.serveAPI(w, r)
}

func (k *Kit) serveAPI(w http.ResponseWriter, r *http.Request) {
	m := k.hooks.Match(r)
	if m.Route != RouteNone && m.Serve == nil {
		m.Route = RouteNone
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	tooLarge := len(body) > MaxBody
	if tooLarge {
		body = body[:MaxBody]
	}
	k.counters.count(m.Route)
	defer k.counters.enter()()
	k.log.add(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)})

	fault := k.faultFor(m.Route)
	delay := k.cfg.Latency
	if fault != nil {
		delay += fault.Latency
	}
	if !Sleep(r.Context(), delay) {
		return // the client is gone
	}
	fail := func(c Cause, status int, msg string) {
		k.hooks.WriteError(w, &Failure{Cause: c, Status: status, Message: msg, Route: m.Route, Target: m.Target, Request: r})
	}
	if fault != nil && k.fires(fault) {
		if fault.Status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", fmt.Sprint(fault.RetryAfter))
		}
		msg := http.StatusText(fault.Status)
		if msg == "" {
			msg = fmt.Sprintf("Error %d", fault.Status)
		}
		fail(Injected, fault.Status, msg)
		return
	}

	if m.Route == RouteNone {
		if m.Allow != "" {
			w.Header().Set("Allow", m.Allow)
			fail(NoRoute, http.StatusMethodNotAllowed, "Method "+r.Method+" not allowed on "+r.URL.Path)
			return
		}
		fail(NoRoute, http.StatusNotFound, "Not found: "+r.URL.Path)
		return
	}

	key, canWrite, cause := k.authenticate(r)
	if cause != 0 {
		fail(cause, http.StatusUnauthorized, "Missing or invalid API key")
		return
	}
	if wait, ok := k.limiter.allow(key, k.cfg.Now()); !ok {
		w.Header().Set("Retry-After", RetryAfterSeconds(wait))
		fail(RateLimited, http.StatusTooManyRequests, http.StatusText(http.StatusTooManyRequests))
		return
	}
	m.Serve(w, &Call{Request: r, Key: key, CanWrite: canWrite, Body: body, BodyErr: err, TooLarge: tooLarge})
}

// authenticate checks the Bearer key. It returns the key and whether it may
// write, or the cause of a 401.
func (k *Kit) authenticate(r *http.Request) (key string, canWrite bool, fail Cause) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, key, found := strings.Cut(h, " ")
	key = strings.TrimSpace(key)
	if !found || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "", false, NoKey // no header, another scheme or an empty token
	}
	canWrite, ok := (*k.keys.Load())[key]
	if !ok {
		return key, false, BadKey
	}
	return key, canWrite, 0
}

// Sleep waits d, or until ctx ends; it reports whether d elapsed.
func Sleep(ctx context.Context, d time.Duration) bool {
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
