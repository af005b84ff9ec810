package admission

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBudgetBoundsCostInFlight(t *testing.T) {
	c := New(100, 5*time.Second)
	var inFlight, peak atomic.Int64
	var wg sync.WaitGroup
	for _, cost := range []int64{60, 60, 30, 30, 30, 500, 1, 1} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := c.Acquire(context.Background(), cost)
			if err != nil {
				t.Error(err)
				return
			}
			n := inFlight.Add(min(cost, 100))
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(10 * time.Millisecond)
			inFlight.Add(-min(cost, 100))
			release()
			release() // a second release is a no-op
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 100 {
		t.Errorf("peak cost in flight = %d; want at most the budget 100", p)
	}
	if s := c.Stats(); s.InFlight != 0 || s.Waiting != 0 {
		t.Errorf("after all released: %+v; want nothing in flight or waiting", s)
	}
}

func TestBusyAfterTimeout(t *testing.T) {
	c := New(10, 50*time.Millisecond)
	release, err := c.Acquire(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.Acquire(context.Background(), 1); !errors.Is(err, ErrBusy) {
		t.Errorf("Acquire on a full budget = %v; want ErrBusy", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("rejection took %v; want about the 50ms timeout", d)
	}
	if c.Stats().Rejected != 1 {
		t.Errorf("Rejected = %d; want 1", c.Stats().Rejected)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Acquire(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire with a cancelled context = %v; want context.Canceled", err)
	}
	release()
	if r, err := c.Acquire(context.Background(), 10); err != nil {
		t.Errorf("Acquire after release: %v", err)
	} else {
		r()
	}
}
