// Package guard protects one upstream API. Before every request to it,
// retries included, a Guard asks, in this order:
//
//  1. whether the upstream asked to wait (a 429's Retry-After, see
//     budget.Limiter.Pause): refused as ReasonRateLimit;
//  2. the circuit breaker: refused as ReasonBreaker while it is open;
//  3. the request budget: refused as ReasonBudget when it is spent (or
//     ReasonRateLimit for a pause another instance met).
//
// After the request it tells the breaker whether the upstream failed, and
// pauses the budget on a 429. A refused request is never sent.
package guard

import (
	"context"
	"errors"
	"net/http"
	"time"

	"customergraph/internal/breaker"
	"customergraph/internal/budget"
)

// Reason says why a request was refused.
type Reason string

// Reasons for a refusal.
const (
	ReasonBreaker   Reason = "breaker"    // the circuit is open
	ReasonRateLimit Reason = "rate_limit" // the upstream asked to wait
	ReasonBudget    Reason = "budget"     // the request budget, or the client's share, is spent
)

// Refusal is the error Before refuses a request with.
type Refusal struct {
	Reason     Reason
	RetryAfter time.Duration // when to try again; 0 when unknown
	Err        error         // the breaker's or the budget's refusal
}

func (r *Refusal) Error() string { return "not sent: " + r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// Outcome is what became of a request Before let through.
type Outcome struct {
	Status     int           // the response's HTTP status; 0 when there was none
	RetryAfter time.Duration // the response's Retry-After
	// Failed reports that the upstream failed: a 5xx, an attempt timeout,
	// a connection error. A request the caller gave up on has neither a
	// Status nor Failed: it tells nothing about the upstream.
	Failed bool
}

// DefaultPause is how long a 429 without Retry-After pauses the requests.
const DefaultPause = 5 * time.Second

// Config configures a Guard. Every part is optional.
type Config struct {
	Breaker *breaker.Breaker
	Limiter *budget.Limiter
	// OnRefuse, if set, is called for every refused request.
	OnRefuse func(Reason)
}

// Guard guards one upstream. It is safe for concurrent use.
type Guard struct {
	br       *breaker.Breaker
	lim      *budget.Limiter
	onRefuse func(Reason)
}

// New returns a Guard for cfg.
func New(cfg Config) *Guard {
	return &Guard{br: cfg.Breaker, lim: cfg.Limiter, onRefuse: cfg.OnRefuse}
}

// Before asks whether one request may be sent now. It returns a *Refusal,
// or the function to call with the request's Outcome once it is over.
func (g *Guard) Before(ctx context.Context) (after func(Outcome), err error) {
	if g.lim != nil {
		if wait, paused := g.lim.Paused(); paused {
			return nil, g.refuse(ReasonRateLimit, wait, budget.ErrPaused)
		}
	}
	var ticket breaker.Ticket
	if g.br != nil {
		t, err := g.br.Allow()
		if err != nil {
			var wait time.Duration
			if oe, ok := errors.AsType[*breaker.OpenError](err); ok {
				wait = oe.RetryAfter
			}
			return nil, g.refuse(ReasonBreaker, wait, err)
		}
		ticket = t
	}
	if g.lim != nil {
		if err := g.lim.Take(ctx); err != nil {
			ticket.Done(breaker.Ignored)
			var wait time.Duration
			if we, ok := errors.AsType[*budget.WaitError](err); ok {
				wait = we.RetryAfter
			}
			reason := ReasonBudget
			if errors.Is(err, budget.ErrPaused) {
				reason = ReasonRateLimit
			}
			return nil, g.refuse(reason, wait, err)
		}
	}
	return func(o Outcome) {
		switch {
		case o.Failed:
			ticket.Done(breaker.Failure)
		case o.Status != 0:
			ticket.Done(breaker.Success) // it answered: 4xx included
		default:
			ticket.Done(breaker.Ignored)
		}
		if o.Status == http.StatusTooManyRequests && g.lim != nil {
			wait := o.RetryAfter
			if wait <= 0 {
				wait = DefaultPause
			}
			g.lim.Pause(ctx, wait)
		}
	}, nil
}

func (g *Guard) refuse(reason Reason, wait time.Duration, err error) error {
	if g.onRefuse != nil {
		g.onRefuse(reason)
	}
	return &Refusal{Reason: reason, RetryAfter: wait, Err: err}
}
