package upstream

import (
	"context"
	"errors"
	"fmt"
)

// ErrAbandoned is the error of a call the Caller did not make, or did not
// retry, because nobody waits for its answer any more (see
// WithAbandonment). It matches context.Canceled too.
var ErrAbandoned = errors.New("no request waits for the answer any more")

type goneKey struct{}

// WithAbandonment returns ctx carrying gone, a channel closed once nobody
// waits for the call's answer any more. A Caller then starts no further
// attempt, retries included, and stops waiting for its turn
// (Options.MaxConcurrent); the call fails with ErrAbandoned. An attempt
// under way is not cut short: its answer may still be cached. It is for
// calls that run detached from the requests waiting for them, shared among
// them: an upstream read that no request needs any more is not spent from
// the budget.
func WithAbandonment(ctx context.Context, gone <-chan struct{}) context.Context {
	return context.WithValue(ctx, goneKey{}, gone)
}

// goneOf returns ctx's abandonment channel, or nil (never closed).
func goneOf(ctx context.Context) <-chan struct{} {
	gone, _ := ctx.Value(goneKey{}).(<-chan struct{})
	return gone
}

// isClosed reports whether ch is closed; a nil channel never is.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// abandonedError is the error of a call not made for nobody wants it.
func (c *Caller) abandonedError(op string) error {
	return &Error{API: c.api, Op: op, Err: fmt.Errorf("%w: %w", ErrAbandoned, context.Canceled)}
}
