// Package admission bounds the work a server executes at once by cost, so
// that under overload requests queue before they start instead of all
// slowing down together: a request that has started keeps the CPU it needs
// to finish within its cache and upstream deadlines, and memory stays
// bounded by the budget rather than by the number of open connections.
package admission

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// ErrBusy is returned when a request waited Timeout without being admitted.
var ErrBusy = errors.New("admission: server busy")

// Controller admits requests while the sum of their costs stays within a
// budget. Waiting requests are admitted in arrival order. A request costing
// more than the whole budget is admitted alone.
type Controller struct {
	sem     *semaphore.Weighted
	budget  int64
	timeout time.Duration

	inFlight atomic.Int64 // cost admitted and not yet released
	waiting  atomic.Int64 // requests queued
	rejected atomic.Int64 // requests that timed out in the queue
}

// New returns a Controller with the given cost budget; a request waits at
// most timeout to be admitted.
func New(budget int64, timeout time.Duration) *Controller {
	return &Controller{sem: semaphore.NewWeighted(budget), budget: budget, timeout: timeout}
}

// Acquire waits until cost fits in the budget and returns the func that
// gives it back. It fails with ErrBusy after the Controller's timeout, or
// with ctx's error.
func (c *Controller) Acquire(ctx context.Context, cost int64) (release func(), err error) {
	cost = min(max(cost, 1), c.budget)
	c.waiting.Add(1)
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	err = c.sem.Acquire(actx, cost)
	cancel()
	c.waiting.Add(-1)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.rejected.Add(1)
		return nil, ErrBusy
	}
	c.inFlight.Add(cost)
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			c.inFlight.Add(-cost)
			c.sem.Release(cost)
		}
	}, nil
}

// Stats is a snapshot of a Controller.
type Stats struct {
	Budget, InFlight, Waiting, Rejected int64
}

// Stats returns the Controller's current figures.
func (c *Controller) Stats() Stats {
	return Stats{Budget: c.budget, InFlight: c.inFlight.Load(), Waiting: c.waiting.Load(), Rejected: c.rejected.Load()}
}
