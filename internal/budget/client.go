package budget

import (
	"context"
	"sync"
)

type clientKey struct{}

// WithClient returns ctx for requests made on behalf of the client id: a
// label that names the client and is not a secret (such as "client-1"),
// never its key. It names the client's bucket.
func WithClient(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, clientKey{}, id)
}

// ClientFrom returns the client WithClient named, or "" for none.
func ClientFrom(ctx context.Context) string {
	id, _ := ctx.Value(clientKey{}).(string)
	return id
}

// Report is what a request learnt of the budget from the tokens it took.
type Report struct {
	Limit     int `json:"limit"`
	Remaining int `json:"remaining"`
	// ClientRemaining is what is left of the client's share; nil when the
	// client has no bucket of its own.
	ClientRemaining *int `json:"clientRemaining,omitempty"`
}

type usageKey struct{}

type usage struct {
	mu  sync.Mutex
	set bool
	r   Report
}

// record keeps the lowest figures seen.
func (u *usage) record(r Report) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.set || r.Remaining < u.r.Remaining {
		u.r.Limit, u.r.Remaining = r.Limit, r.Remaining
	}
	if r.ClientRemaining != nil && (u.r.ClientRemaining == nil || *r.ClientRemaining < *u.r.ClientRemaining) {
		v := *r.ClientRemaining
		u.r.ClientRemaining = &v
	}
	u.set = true
}

// Track returns ctx with a record of the budget figures that Take learns
// on its behalf; Used reads it.
func Track(ctx context.Context) context.Context {
	return context.WithValue(ctx, usageKey{}, &usage{})
}

// Used returns the lowest budget figures Take saw for ctx (installed by
// Track), and false when it took no token for ctx or there is no budget.
func Used(ctx context.Context) (Report, bool) {
	u, ok := ctx.Value(usageKey{}).(*usage)
	if !ok {
		return Report{}, false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	r := u.r
	if r.ClientRemaining != nil {
		v := *r.ClientRemaining
		r.ClientRemaining = &v
	}
	return r, u.set
}
