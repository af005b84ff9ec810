package loaders

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"customergraph/internal/budget"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/upstream"
)

func TestFlightCoalesces(t *testing.T) {
	var f flight[string, int]
	var calls atomic.Int32
	release := make(chan struct{})
	fn := func(context.Context) (int, error) {
		calls.Add(1)
		<-release
		return 42, nil
	}
	const n = 50
	var wg sync.WaitGroup
	var leaders atomic.Int32
	started := make(chan struct{}, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			v, err, leader := f.do(context.Background(), "k", time.Time{}, fn)
			if v != 42 || err != nil {
				t.Errorf("do = %d, %v; want 42, nil", v, err)
			}
			if leader {
				leaders.Add(1)
			}
		}()
	}
	for range n {
		<-started
	}
	time.Sleep(20 * time.Millisecond) // let every caller join the call
	close(release)
	wg.Wait()
	if calls.Load() != 1 || leaders.Load() != 1 {
		t.Errorf("%d concurrent callers: %d calls, %d leaders; want 1 and 1", n, calls.Load(), leaders.Load())
	}
}

func TestFlightLeaderCancelDoesNotFailFollowers(t *testing.T) {
	var f flight[string, int]
	release := make(chan struct{})
	fn := func(ctx context.Context) (int, error) {
		<-release
		return 7, ctx.Err() // the call's context is not the leader's
	}
	lctx, cancel := context.WithCancel(context.Background())
	leaderDone := make(chan error)
	go func() {
		_, err, _ := f.do(lctx, "k", time.Time{}, fn)
		leaderDone <- err
	}()
	time.Sleep(10 * time.Millisecond)
	followerDone := make(chan int)
	go func() {
		v, err, leader := f.do(context.Background(), "k", time.Time{}, fn)
		if err != nil || leader {
			t.Errorf("follower: err %v, leader %v; want nil, false", err, leader)
		}
		followerDone <- v
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled leader: err %v; want context.Canceled", err)
	}
	close(release)
	if v := <-followerDone; v != 7 {
		t.Errorf("follower got %d; want 7", v)
	}
}

func TestFlightKeysAreSeparate(t *testing.T) {
	var f flight[string, string]
	for _, k := range []string{"a", "b"} {
		v, _, leader := f.do(context.Background(), k, time.Time{}, func(context.Context) (string, error) { return k, nil })
		if v != k || !leader {
			t.Errorf("do(%q) = %q, leader %v; want %q, true", k, v, leader, k)
		}
	}
}

func TestFlightResultJoinableUntilRelease(t *testing.T) {
	var f flight[string, int]
	var calls atomic.Int32
	fn := func(context.Context) (int, error) { return int(calls.Add(1)), nil }
	ctx := context.Background()
	if v, _, leader := f.do(ctx, "k", time.Now(), fn); v != 1 || !leader {
		t.Fatalf("first do = %d, leader %v; want 1, true", v, leader)
	}
	// Finished but not released: a late caller joins the result.
	if v, _, leader := f.do(ctx, "k", time.Now(), fn); v != 1 || leader {
		t.Errorf("do before release = %d, leader %v; want the shared 1, false", v, leader)
	}
	lookedBefore := time.Now()
	time.Sleep(time.Millisecond)
	f.release("k")
	time.Sleep(time.Millisecond)
	// A caller whose cache read began before the release joins the result;
	// one that looked after it saw the cache miss anew and calls again.
	if v, _, leader := f.do(ctx, "k", lookedBefore, fn); v != 1 || leader {
		t.Errorf("do that looked before release = %d, leader %v; want the shared 1, false", v, leader)
	}
	if v, _, leader := f.do(ctx, "k", time.Now(), fn); v != 2 || !leader {
		t.Errorf("do that looked after release = %d, leader %v; want a new call 2, true", v, leader)
	}
	f.forget("k")
	if v, _, _ := f.do(ctx, "k", time.Now(), fn); v != 3 {
		t.Errorf("do after forget = %d; want a new call 3", v)
	}
	// Results go after linger.
	time.Sleep(linger + 100*time.Millisecond)
	if v, _, _ := f.do(ctx, "k", time.Time{}, fn); v != 4 {
		t.Errorf("do after linger = %d; want a new call 4", v)
	}
	// Errors are never shared after the call.
	errFn := func(context.Context) (int, error) { calls.Add(1); return 0, errors.New("boom") }
	f.do(ctx, "e", time.Time{}, errFn)
	before := calls.Load()
	time.Sleep(10 * time.Millisecond)
	f.do(ctx, "e", time.Time{}, errFn)
	if calls.Load() != before+1 {
		t.Error("a failed call's error was shared with a later caller")
	}
}

func TestOutdatedReadsAreNotShared(t *testing.T) {
	s := New(Config{Vendor: nilVendor{}, Cache: nil, Namespace: "t"})
	old := &customer.Customer{ID: "k1", UpdatedAt: new(time.UnixMilli(1000))}
	newer := &customer.Customer{ID: "k1", UpdatedAt: new(time.UnixMilli(2000))}
	s.noteUpdate(newer)
	if !s.outdated(old) || s.outdated(newer) {
		t.Errorf("outdated(old) = %v, outdated(newer) = %v; want true, false", s.outdated(old), s.outdated(newer))
	}
	hooks := s.sharer(func(int) identifier.ID { return identifier.MustParse("k1") })
	hooks.fetched(0, old)
	if _, _, leader := s.gets.do(context.Background(), identifier.MustParse("k1"), time.Time{},
		func(context.Context) (*customer.Customer, error) { return newer, nil }); !leader {
		t.Error("a read from before an update was offered to a later request")
	}
	time.Sleep(linger + 50*time.Millisecond)
	if s.outdated(old) {
		t.Error("an update is remembered past linger")
	}
}

// TestFlightTimeout: a shared call ends at the flight's timeout, even when
// no caller waits for it any more.
func TestFlightTimeout(t *testing.T) {
	f := flight[string, int]{timeout: 50 * time.Millisecond}
	ended := make(chan error, 1)
	fn := func(ctx context.Context) (int, error) {
		<-ctx.Done()
		ended <- ctx.Err()
		return 0, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err, _ := f.do(ctx, "k", time.Time{}, fn); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("do = %v; want the caller's deadline", err)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the call ended with %v; want its deadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the call did not end at the flight's timeout")
	}
}

// TestFlightAbandoned: once every caller has stopped waiting, the call's
// upstream attempts stop (the one under way finishes); a caller whose
// context has ended starts nothing; a caller who comes after the call was
// given up gets a call of its own, not the abandonment.
func TestFlightAbandoned(t *testing.T) {
	var requests atomic.Int32
	inAttempt, finish := make(chan struct{}, 8), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		inAttempt <- struct{}{}
		<-finish
		w.WriteHeader(http.StatusServiceUnavailable) // retried, were anyone waiting
	}))
	defer srv.Close()
	caller, err := upstream.NewCaller("test", srv.URL, "k", &upstream.Options{RetryBase: time.Millisecond, MaxRetries: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var f flight[string, int]
	var calls atomic.Int32
	done := make(chan error, 1)
	fn := func(ctx context.Context) (int, error) {
		calls.Add(1)
		_, _, err := caller.Do(ctx, "get", http.MethodGet, "/x", nil)
		done <- err
		return 0, err
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, ctx := range []context.Context{ctx1, ctx2} {
		wg.Add(1)
		go func() { defer wg.Done(); f.do(ctx, "k", time.Time{}, fn) }()
	}
	<-inAttempt
	time.Sleep(10 * time.Millisecond) // both callers have joined
	cancel1()
	cancel2()
	wg.Wait()
	close(finish) // the attempt under way ends with a 503
	if err := <-done; !errors.Is(err, upstream.ErrAbandoned) {
		t.Errorf("the call ended with %v; want ErrAbandoned", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d upstream requests; want 1: no retry once nobody waits", n)
	}

	// A caller already gone starts nothing.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err, _ := f.do(gone, "k2", time.Time{}, fn); !errors.Is(err, context.Canceled) || calls.Load() != 1 {
		t.Errorf("a cancelled caller: %v, %d calls; want context.Canceled and no new call", err, calls.Load())
	}

	// After an abandonment, a new caller makes a call of its own.
	abandoned := &call[int]{done: make(chan struct{}), gone: make(chan struct{}), err: upstream.ErrAbandoned}
	close(abandoned.done)
	close(abandoned.gone)
	f.mu.Lock()
	f.calls["k3"] = abandoned
	f.mu.Unlock()
	v, err, leader := f.do(context.Background(), "k3", time.Time{}, func(context.Context) (int, error) { return 9, nil })
	if v != 9 || err != nil || !leader {
		t.Errorf("after an abandoned call: %d, %v, leader %v; want 9, nil, a call of its own", v, err, leader)
	}
}

// A failed call is dropped before its callers hear of it: a caller who
// comes once the answer is given makes a call of its own.
func TestFlightErrorIsNeverJoinedAfterward(t *testing.T) {
	var f flight[string, int]
	var calls atomic.Int32
	fn := func(context.Context) (int, error) {
		calls.Add(1)
		return 0, upstream.ErrUnavailable
	}
	var (
		first  atomic.Bool
		done   = make(chan struct{})
		leader bool
		err    error
	)
	f.answered = func() {
		if first.CompareAndSwap(false, true) {
			defer close(done)
			_, err, leader = f.do(context.Background(), "k", time.Time{}, fn)
		}
	}
	if _, err, _ := f.do(context.Background(), "k", time.Time{}, fn); err == nil {
		t.Fatal("first call: no error")
	}
	<-done
	if !leader || err == nil || calls.Load() != 2 {
		t.Errorf("a caller after the failed call's answer: leader %v, err %v, %d calls in all; want its own call, failing, and 2", leader, err, calls.Load())
	}
}

// A refusal for the leader's client's share of the budget is the
// leader's: a follower of another client makes its own call, on its own
// share; one of the same client is refused on its own call too.
func TestFlightClientShareRefusalIsNotShared(t *testing.T) {
	var f flight[string, int]
	var calls sync.Map // client → calls
	joined := make(chan struct{})
	fn := func(ctx context.Context) (int, error) {
		client := budget.ClientFrom(ctx)
		n, _ := calls.LoadOrStore(client, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		if client == "spent" {
			<-joined
			return 0, &upstream.Error{Kind: upstream.ErrRateLimited, Err: fmt.Errorf("not sent: %w", budget.ErrClientSpent)}
		}
		return 7, nil
	}
	callsOf := func(client string) int32 {
		n, ok := calls.Load(client)
		if !ok {
			return 0
		}
		return n.(*atomic.Int32).Load()
	}
	for _, tc := range []struct {
		follower string // the follower's client, and the key of the subtest
		want     int
		wantErr  error
	}{
		{"other", 7, nil},
		{"spent", 0, budget.ErrClientSpent},
	} {
		t.Run(tc.follower, func(t *testing.T) {
			calls.Clear()
			joined = make(chan struct{})
			lead := make(chan error, 1)
			go func() {
				_, err, _ := f.do(budget.WithClient(context.Background(), "spent"), tc.follower, time.Time{}, fn)
				lead <- err
			}()
			for callsOf("spent") == 0 {
				time.Sleep(time.Millisecond)
			}
			follow := make(chan struct{})
			var (
				v      int
				err    error
				leader bool
			)
			go func() {
				defer close(follow)
				v, err, leader = f.do(budget.WithClient(context.Background(), tc.follower), tc.follower, time.Time{}, fn)
			}()
			for f.waiting(tc.follower) < 2 {
				time.Sleep(time.Millisecond)
			}
			close(joined)
			if err := <-lead; !errors.Is(err, budget.ErrClientSpent) {
				t.Errorf("leader: %v; want its client's refusal", err)
			}
			<-follow
			if v != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("follower of client %q: %d, %v; want %d, %v", tc.follower, v, err, tc.want, tc.wantErr)
			}
			if !leader {
				t.Errorf("follower of client %q took the leader's refusal; want a call of its own", tc.follower)
			}
			if got, want := callsOf("spent")+callsOf("other"), int32(2); got != want {
				t.Errorf("%d calls; want %d, the leader's and the follower's own", got, want)
			}
		})
	}
}

// A shared result that is not enough for a caller is not its answer: the
// caller makes one call of its own, and later callers join that one.
func TestFlightResultNotEnoughIsCalledAgain(t *testing.T) {
	var f flight[string, int]
	f.share("k", 1)
	var calls atomic.Int32
	fn := func(context.Context) (int, error) { calls.Add(1); return 2, nil }
	big := func(v int) bool { return v >= 2 }
	tests := []struct {
		name      string
		enough    func(int) bool
		want      int
		wantCalls int32
	}{
		{"any result", nil, 1, 0},
		{"not enough", big, 2, 1},
		{"the new call's result, enough", big, 2, 1},
	}
	for _, tc := range tests {
		v, err, _ := f.doFor(context.Background(), "k", time.Time{}, fn, tc.enough)
		if v != tc.want || err != nil || calls.Load() != tc.wantCalls {
			t.Errorf("%s: got %d, %v after %d calls; want %d, nil after %d", tc.name, v, err, calls.Load(), tc.want, tc.wantCalls)
		}
	}
}
