package guard

import (
	"errors"
	"testing"
	"time"

	"customergraph/internal/breaker"
	"customergraph/internal/budget"
	"customergraph/internal/fakeclock"
)

type fixture struct {
	t       *testing.T
	c       *fakeclock.Clock
	g       *Guard
	lim     *budget.Limiter
	refused map[Reason]int
}

func newFixture(t *testing.T, limit int) *fixture {
	f := &fixture{t: t, c: fakeclock.New(), refused: map[Reason]int{}}
	f.lim = budget.New(budget.Config{Limit: limit, Window: time.Hour, Now: f.c.Now})
	f.g = New(Config{
		Breaker:  breaker.New(breaker.Config{Failures: 2, CoolDown: 10 * time.Second, Now: f.c.Now}),
		Limiter:  f.lim,
		OnRefuse: func(r Reason) { f.refused[r]++ },
	})
	return f
}

// call makes one request with outcome o, and returns Before's error.
func (f *fixture) call(o Outcome) error {
	after, err := f.g.Before(f.t.Context())
	if err == nil {
		after(o)
	}
	return err
}

// refusedWith checks that err is a Refusal for reason with RetryAfter wait.
func refusedWith(t *testing.T, err error, reason Reason, wait time.Duration) {
	t.Helper()
	var r *Refusal
	if !errors.As(err, &r) || r.Reason != reason || r.RetryAfter != wait {
		t.Fatalf("Before = %#v; want a refusal for %s, retry after %v", err, reason, wait)
	}
}

var (
	ok        = Outcome{Status: 200}
	failed    = Outcome{Status: 503, Failed: true}
	timeout   = Outcome{Failed: true}
	abandoned = Outcome{}
)

func TestBreakerOpensOnFailuresOnly(t *testing.T) {
	for _, o := range []Outcome{{Status: 400}, {Status: 401}, {Status: 403}, {Status: 404}, {Status: 409}, abandoned} {
		f := newFixture(t, 0)
		for range 5 {
			if err := f.call(o); err != nil {
				t.Fatalf("outcome %+v: %v; want never refused", o, err)
			}
		}
	}
	for _, o := range []Outcome{failed, timeout, {Status: 500, Failed: true}} {
		f := newFixture(t, 0)
		f.call(o)
		f.call(o)
		refusedWith(t, f.call(ok), ReasonBreaker, 10*time.Second)
	}
}

func TestOpenCircuitSpendsNoBudget(t *testing.T) {
	f := newFixture(t, 10)
	f.call(failed)
	f.call(failed)
	for range 5 {
		refusedWith(t, f.call(ok), ReasonBreaker, 10*time.Second)
	}
	if st := f.lim.Stats(); st.Remaining != 8 {
		t.Errorf("remaining %d; want 8: refused requests take no token", st.Remaining)
	}
	if f.refused[ReasonBreaker] != 5 {
		t.Errorf("refusals counted %v; want 5 by the breaker", f.refused)
	}
	// After the cool-down one probe goes; its success closes the circuit.
	f.c.Advance(10 * time.Second)
	after, err := f.g.Before(t.Context())
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	refusedWith(t, f.call(ok), ReasonBreaker, 0)
	after(ok)
	if err := f.call(ok); err != nil {
		t.Errorf("after a successful probe: %v", err)
	}
}

func TestPauseOn429(t *testing.T) {
	f := newFixture(t, 10)
	f.call(Outcome{Status: 429, RetryAfter: 3 * time.Second})
	refusedWith(t, f.call(ok), ReasonRateLimit, 3*time.Second)
	f.c.Advance(2 * time.Second)
	refusedWith(t, f.call(ok), ReasonRateLimit, time.Second)
	f.c.Advance(time.Second)
	if err := f.call(ok); err != nil {
		t.Fatalf("after the pause: %v", err)
	}
	// A 429 does not count towards opening the circuit.
	f.call(failed)
	f.call(Outcome{Status: 429})
	refusedWith(t, f.call(ok), ReasonRateLimit, DefaultPause)
	f.c.Advance(DefaultPause)
	if err := f.call(ok); err != nil {
		t.Fatalf("after the default pause: %v", err)
	}
	if st := f.lim.Stats(); st.Remaining != 5 {
		t.Errorf("remaining %d; want 5: paused requests take no token", st.Remaining)
	}
}

func TestBudget(t *testing.T) {
	f := newFixture(t, 2)
	f.call(ok)
	f.call(ok)
	refusedWith(t, f.call(ok), ReasonBudget, 30*time.Minute)
	if f.refused[ReasonBudget] != 1 {
		t.Errorf("refusals counted %v; want 1 for the budget", f.refused)
	}
}

// TestRefusedProbeIsReleased: a probe the budget refuses leaves the next
// request free to probe.
func TestRefusedProbeIsReleased(t *testing.T) {
	f := newFixture(t, 2)
	f.call(failed)
	f.call(failed)
	f.c.Advance(10 * time.Second) // the failures spent the budget
	refusedWith(t, f.call(ok), ReasonBudget, 30*time.Minute-10*time.Second)
	f.c.Advance(time.Hour)
	if err := f.call(ok); err != nil {
		t.Fatalf("probe once the budget refilled: %v", err)
	}
	if err := f.call(ok); err != nil {
		t.Fatalf("after the probe closed the circuit: %v", err)
	}
}

func TestNothingConfigured(t *testing.T) {
	g := New(Config{})
	for range 3 {
		after, err := g.Before(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		after(Outcome{Status: 429})
	}
}
