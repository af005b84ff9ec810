package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"customergraph/internal/budget"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/upstream"
	"customergraph/loaders"
	"customergraph/resolvers"
)

// tenant is one upstream account as the service sees it: the GraphQL
// handler bound to its loaders, whose cache namespace derives from the
// account's URL and key.
type tenant struct {
	api  http.Handler     // the loaders' middleware around the GraphQL handler
	keys *keyState        // passthrough: what the upstream said of the key; nil otherwise
	svc  *loaders.Service // its loaders, for cache invalidation
	ns   string           // its cache namespace
}

// clientKey is one configured client key, kept as its SHA-256 digest.
type clientKey struct {
	digest [sha256.Size]byte
	label  string // "client-<n>" by the key's place in its tenant's list, for its share of the budget: never the key
	tenant *tenant
}

// gateway authenticates each request and hands it to its tenant.
//
// With configured keys, the bearer key is compared with every key's digest
// in constant time, so neither a key's length nor its position in the
// table leaks through timing. With AUTH_MODE=passthrough, the bearer key
// is forwarded upstream: its tenant (client, loaders and namespace) is
// built on first use and kept in an LRU, and it is served only while the
// upstream accepts it (see keyState).
type gateway struct {
	keys    []clientKey
	open    *tenant      // no keys configured (in-process simulator only): everyone
	pass    *passthrough // AUTH_MODE=passthrough
	options http.Handler // CORS preflight and OPTIONS: no tenant needed
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		g.options.ServeHTTP(w, r)
		return
	}
	if g.open != nil {
		g.open.api.ServeHTTP(w, r)
		return
	}
	given, ok := bearer(r)
	if !ok {
		unauthorized(w, "missing or invalid API key: send Authorization: Bearer <key>")
		return
	}
	if g.pass != nil {
		g.pass.serve(w, r, given)
		return
	}
	sum := sha256.Sum256([]byte(given))
	match := -1
	for i := range g.keys {
		eq := subtle.ConstantTimeCompare(sum[:], g.keys[i].digest[:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		unauthorized(w, "missing or invalid API key: send Authorization: Bearer <key>")
		return
	}
	k := &g.keys[match]
	k.tenant.api.ServeHTTP(w, r.WithContext(budget.WithClient(r.Context(), k.label)))
}

// maxKeyLen bounds a bearer key; longer ones are refused unread.
const maxKeyLen = 512

// bearer returns the request's bearer key, if it has a plausible one.
func bearer(r *http.Request) (string, bool) {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	key = strings.TrimSpace(key)
	if key == "" || len(key) > maxKeyLen || strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return "", false
	}
	return key, true
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="customergraph"`)
	writeJSON(w, http.StatusUnauthorized, graphQLError(msg, resolvers.CodeUnauthenticated))
}

func graphQLError(msg, code string) map[string]any {
	return map[string]any{"errors": []any{map[string]any{
		"message":    msg,
		"extensions": map[string]any{"code": code},
	}}}
}

// passthrough holds the tenants of AUTH_MODE=passthrough, one per client
// key, keyed by the key's digest.
type passthrough struct {
	tenants   *lru.Cache[[sha256.Size]byte, *tenant]
	mu        sync.Mutex // serialises building a tenant
	build     func(key string, keys *keyState) (*tenant, error)
	verifies  *rateGate     // bounds upstream verifications, instance-wide
	verifyTTL time.Duration // an acceptance by the upstream holds this long
	staleMax  time.Duration // a key accepted once may ride out an upstream outage this long
	now       func() time.Time
}

// rejectMemory is how long an upstream 401 for a passthrough key is
// remembered: requests with it are refused without an upstream call.
const rejectMemory = 30 * time.Second

// serve hands the request to the key's tenant. A key the upstream rejected
// a moment ago is refused here, at no cost; any other is checked when the
// request first reads the cache or calls the upstream (see keyState), so
// a request that fails validation, or whose arguments are invalid, never
// costs a verification call.
func (p *passthrough) serve(w http.ResponseWriter, r *http.Request, key string) {
	t, err := p.tenant(key)
	if err != nil {
		unauthorized(w, "missing or invalid API key: send Authorization: Bearer <key>")
		return
	}
	if t.keys.rejectedRecently(p.now()) {
		unauthorized(w, "the customer service rejected this API key")
		return
	}
	t.api.ServeHTTP(w, r.WithContext(budget.WithClient(r.Context(), "key")))
}

func (p *passthrough) tenant(key string) (*tenant, error) {
	sum := sha256.Sum256([]byte(key))
	if t, ok := p.tenants.Get(sum); ok {
		return t, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.tenants.Get(sum); ok {
		return t, nil
	}
	keys := &keyState{ttl: p.verifyTTL, staleMax: p.staleMax, allow: p.verifies.allow, now: p.now}
	t, err := p.build(key, keys)
	if err != nil {
		return nil, err
	}
	p.tenants.Add(sum, t)
	return t, nil
}

// errKeyRejected: the upstream answered 401 for a passthrough key.
var errKeyRejected = errors.New("the customer service rejected the API key")

// errTooManyVerifications: the instance's rate of key verifications is
// spent, so that a flood of made-up keys cannot be relayed to the upstream.
var errTooManyVerifications = errors.New("too many key verifications")

// keyState is what the upstream last said of a passthrough key.
//
// The cache is read for a key only if the upstream accepted it within ttl
// and has not rejected it since; otherwise the read first spends one
// upstream call (a one-customer list, shared by concurrent requests) to
// ask. A call to the upstream needs no such question — its answer is one —
// but an unverified key's call takes a token of the instance's
// verification rate. Every upstream answer on the key's behalf updates the
// state, so a busy key is verified by its own traffic, and a rejection
// stops cache hits at once.
type keyState struct {
	ttl      time.Duration
	staleMax time.Duration // a key accepted once may be served from the cache this long while the upstream cannot be asked
	allow    func(time.Time) bool
	now      func() time.Time

	mu       sync.Mutex
	up       loaders.Vendor // asks the upstream; set once by watchedUpstream
	accepted time.Time      // last upstream answer that was not a 401
	rejected time.Time      // last upstream 401
	verify   *verifyCall
	failed   time.Time // when the last verification could not get an answer
	failErr  error
}

type verifyCall struct {
	done chan struct{}
	err  error
}

// failMemory is how long a verification that got no answer is not
// repeated: the requests of that moment share its error.
const failMemory = time.Second

func (k *keyState) note(err error) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case errors.Is(err, loaders.ErrUnauthorized):
		k.rejected = now
	case err == nil, errors.Is(err, loaders.ErrNotFound), errors.Is(err, loaders.ErrValidation),
		errors.Is(err, loaders.ErrConflict), errors.Is(err, loaders.ErrForbidden):
		k.accepted = now
	}
}

// rejectedRecently reports whether the upstream rejected the key within
// rejectMemory and has not accepted it since.
func (k *keyState) rejectedRecently(now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rejectedLocked(now)
}

func (k *keyState) rejectedLocked(now time.Time) bool {
	return !k.rejected.IsZero() && !k.rejected.Before(k.accepted) && now.Sub(k.rejected) < rejectMemory
}

func (k *keyState) acceptedLocked(now time.Time, within time.Duration) bool {
	return !k.accepted.IsZero() && k.accepted.After(k.rejected) && now.Sub(k.accepted) < within
}

// admit returns nil if the key may be served from the cache,
// errKeyRejected if the upstream rejected it, errTooManyVerifications if
// it needs asking and the verification rate is spent, or the upstream's
// error if it could not be asked and the key was not accepted within
// staleMax.
func (k *keyState) admit(ctx context.Context) error {
	k.mu.Lock()
	t := k.now()
	switch {
	case k.rejectedLocked(t):
		k.mu.Unlock()
		return errKeyRejected
	case k.acceptedLocked(t, k.ttl):
		k.mu.Unlock()
		return nil
	case k.verify == nil && t.Sub(k.failed) < failMemory:
		err := k.failErr
		ok := k.acceptedLocked(t, k.staleMax)
		k.mu.Unlock()
		if ok {
			return nil
		}
		return err
	}
	call := k.verify
	if call == nil {
		if !k.allow(t) {
			k.mu.Unlock()
			return errTooManyVerifications
		}
		call = &verifyCall{done: make(chan struct{})}
		k.verify = call
		up := k.up
		// Detached from this request: waiters share the answer even if
		// the first caller goes away.
		go func() {
			vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_, err := up.List(vctx, customer.ListParams{Limit: 1})
			k.note(err)
			k.mu.Lock()
			call.err = err
			k.verify = nil
			if err != nil && !errors.Is(err, loaders.ErrUnauthorized) {
				k.failed, k.failErr = k.now(), err
			}
			k.mu.Unlock()
			close(call.done)
		}()
	}
	k.mu.Unlock()
	select {
	case <-call.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	switch err := call.err; {
	case err == nil:
		return nil
	case errors.Is(err, loaders.ErrUnauthorized):
		return errKeyRejected
	default:
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.acceptedLocked(k.now(), k.staleMax) {
			return nil // accepted before: ride out the outage on the cache
		}
		return err
	}
}

// call admits a call to the upstream on the key's behalf: refused while
// the key's rejection is remembered; for a key not accepted lately, only
// within the verification rate, since the call is its verification.
func (k *keyState) call() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	t := k.now()
	switch {
	case k.rejectedLocked(t):
		return errKeyRejected
	case k.acceptedLocked(t, k.ttl):
		return nil
	case !k.allow(t):
		return errTooManyVerifications
	}
	return nil
}

// watchedUpstream calls the upstream with a passthrough key: it refuses
// calls keyState.call refuses, reports every answer to the keyState, and
// turns a 401 into a client error, since the client's own key was refused.
type watchedUpstream struct {
	next loaders.Vendor
	keys *keyState
}

func newWatchedUpstream(next loaders.Vendor, keys *keyState) *watchedUpstream {
	keys.mu.Lock()
	keys.up = next
	keys.mu.Unlock()
	return &watchedUpstream{next: next, keys: keys}
}

// keyRejectedError is an upstream 401 for a passthrough key: it matches
// both resolvers.ErrKeyRejected and the upstream's ErrUnauthorized.
type keyRejectedError struct{ err error }

func (e keyRejectedError) Error() string   { return errKeyRejected.Error() }
func (e keyRejectedError) Unwrap() []error { return []error{resolvers.ErrKeyRejected, e.err} }

// refusal is the error of a call the keyState refused (or of a cache read
// it did not admit).
func refusal(err error) error {
	switch {
	case errors.Is(err, errKeyRejected):
		return keyRejectedError{loaders.ErrUnauthorized}
	case errors.Is(err, errTooManyVerifications):
		return &upstream.Error{Kind: upstream.ErrRateLimited, RetryAfter: time.Second, Err: err}
	}
	return err
}

func (u *watchedUpstream) watch(err error) error {
	u.keys.note(err)
	if errors.Is(err, loaders.ErrUnauthorized) {
		return keyRejectedError{err}
	}
	return err
}

// verifiedCache reads the cache of a passthrough key only once the key is
// admitted (keyState.admit); a refused read is an error, which the loaders
// take for a miss, and the upstream call that follows is refused too.
type verifiedCache struct {
	loaders.Cache
	keys *keyState
}

func (c *verifiedCache) Get(ctx context.Context, keys []string) ([][]byte, error) {
	if err := c.keys.admit(ctx); err != nil {
		return make([][]byte, len(keys)), refusal(err)
	}
	return c.Cache.Get(ctx, keys)
}

// Capabilities returns the vendor's.
func (u *watchedUpstream) Capabilities() customer.Capabilities { return u.next.Capabilities() }

func (u *watchedUpstream) Customer(ctx context.Context, id identifier.ID) (*customer.Customer, error) {
	if err := u.keys.call(); err != nil {
		return nil, refusal(err)
	}
	c, err := u.next.Customer(ctx, id)
	return c, u.watch(err)
}

func (u *watchedUpstream) List(ctx context.Context, p customer.ListParams) (*customer.Page, error) {
	if err := u.keys.call(); err != nil {
		return nil, refusal(err)
	}
	page, err := u.next.List(ctx, p)
	return page, u.watch(err)
}

func (u *watchedUpstream) Update(ctx context.Context, id string, current *customer.Customer, p customer.Patch) (*customer.Customer, error) {
	if err := u.keys.call(); err != nil {
		return nil, refusal(err)
	}
	c, err := u.next.Update(ctx, id, current, p)
	return c, u.watch(err)
}

func (u *watchedUpstream) Contacts(ctx context.Context, c *customer.Customer) (*customer.Customer, error) {
	if err := u.keys.call(); err != nil {
		return nil, refusal(err)
	}
	out, err := u.next.Contacts(ctx, c)
	return out, u.watch(err)
}

// newPassthrough returns the passthrough tenants, at most size of them,
// verifying at most perSecond keys a second.
func newPassthrough(size, perSecond int, verifyTTL, staleMax time.Duration, build func(string, *keyState) (*tenant, error)) (*passthrough, error) {
	c, err := lru.New[[sha256.Size]byte, *tenant](size)
	if err != nil {
		return nil, fmt.Errorf("passthrough tenants: %w", err)
	}
	return &passthrough{
		tenants:   c,
		build:     build,
		verifies:  newRateGate(perSecond),
		verifyTTL: verifyTTL,
		staleMax:  staleMax,
		now:       time.Now,
	}, nil
}

// rateGate is a token bucket: perSecond events a second, in bursts of as
// many.
type rateGate struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

func newRateGate(perSecond int) *rateGate {
	return &rateGate{rate: float64(perSecond), tokens: float64(perSecond)}
}

func (g *rateGate) allow(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.last.IsZero() {
		g.tokens = min(g.rate, g.tokens+now.Sub(g.last).Seconds()*g.rate)
	}
	g.last = now
	if g.tokens < 1 {
		return false
	}
	g.tokens--
	return true
}
