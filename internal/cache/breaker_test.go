package cache

import (
	"testing"
	"time"
)

// fakeClock is a breaker's clock, moved by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }

func newTestBreaker(c *fakeClock) *breaker {
	return &breaker{cooldown: time.Second, tripAfter: 200 * time.Millisecond, now: c.now}
}

func mustAllow(t *testing.T, b *breaker) {
	t.Helper()
	mustAllowAs(t, b, false)
}

func mustAllowAs(t *testing.T, b *breaker, wantProbe bool) bool {
	t.Helper()
	ok, probe := b.allow()
	if !ok || probe != wantProbe {
		t.Fatalf("allow() = %v, %v; want true, %v", ok, probe, wantProbe)
	}
	return probe
}

func mustSkip(t *testing.T, b *breaker) {
	t.Helper()
	if ok, _ := b.allow(); ok {
		t.Fatal("allow() = true; want the operation skipped")
	}
}

func TestBreakerOpensAfterFailingForAWhile(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b := newTestBreaker(clock)

	// Failures within tripAfter do not open it, however many.
	for range 10 {
		mustAllow(t, b)
		if b.failed(false) {
			t.Fatal("opened within tripAfter")
		}
		clock.add(10 * time.Millisecond)
	}
	// A success ends the streak; a new one opens it after 3 failures
	// spanning tripAfter.
	b.succeeded(false)
	clock.add(time.Second)
	mustAllow(t, b)
	b.failed(false)
	clock.add(300 * time.Millisecond)
	mustAllow(t, b)
	if b.failed(false) {
		t.Fatal("opened after 2 failures; want at least 3")
	}
	mustAllow(t, b)
	if !b.failed(false) {
		t.Fatal("3 failures over 300ms did not open it")
	}
	mustSkip(t, b)

	// An operation sent before it opened changes nothing when it fails.
	if b.failed(false) {
		t.Error("a late failure reopened it")
	}
	clock.add(999 * time.Millisecond)
	mustSkip(t, b)

	// After the cooldown, one probe; the others are skipped meanwhile.
	clock.add(time.Millisecond)
	probe := mustAllowAs(t, b, true)
	mustSkip(t, b)
	b.failed(probe) // still down: another cooldown
	mustSkip(t, b)
	clock.add(500 * time.Millisecond)
	mustSkip(t, b)
	clock.add(500 * time.Millisecond)
	probe = mustAllowAs(t, b, true)
	b.abandoned(probe) // the caller went away: probe again at once
	probe = mustAllowAs(t, b, true)
	if !b.succeeded(probe) {
		t.Error("a successful probe did not report the recovery")
	}
	mustAllow(t, b)
	if b.succeeded(false) {
		t.Error("a success while closed reported a recovery")
	}
}

func TestBreakerSuccessWhileOpenCloses(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b := newTestBreaker(clock)
	for range 3 {
		mustAllow(t, b)
		b.failed(false)
		clock.add(100 * time.Millisecond)
	}
	mustSkip(t, b)
	// An operation sent before it opened succeeded: Redis is fine.
	if !b.succeeded(false) {
		t.Error("success while open did not close it")
	}
	mustAllow(t, b)
}

func TestBreakerOff(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b := &breaker{tripAfter: time.Millisecond, now: clock.now}
	for range 100 {
		mustAllow(t, b)
		if b.failed(false) {
			t.Fatal("a breaker without cooldown opened")
		}
		clock.add(time.Second)
	}
}
