package cache

import (
	"testing"
	"time"
)

// fakeClock is a breaker's clock, moved by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }

func TestBreakerOpensAfterFailingForAWhile(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b := &breaker{tripAfter: 200 * time.Millisecond, now: clock.now}

	// Failures within tripAfter do not open it, however many.
	for range 10 {
		if !b.allow() || b.failed() {
			t.Fatal("opened within tripAfter")
		}
		clock.add(10 * time.Millisecond)
	}
	// A success ends the streak; a new one opens it after 3 failures
	// spanning tripAfter.
	if b.succeeded() {
		t.Error("a success while closed reported a recovery")
	}
	clock.add(time.Second)
	b.failed()
	clock.add(300 * time.Millisecond)
	if b.failed() {
		t.Fatal("opened after 2 failures; want at least 3")
	}
	if !b.failed() {
		t.Fatal("3 failures over 300ms did not trip it")
	}
	if !b.allow() {
		t.Fatal("tripped opened it before trip()")
	}
	if !b.trip() || b.trip() {
		t.Fatal("trip() did not report the opening once")
	}
	if b.allow() {
		t.Fatal("allow() = true once open")
	}
	// An operation sent before it opened changes nothing when it fails...
	if b.failed() || b.allow() {
		t.Error("a late failure changed an open breaker")
	}
	// ...and closes it when it succeeds, as a probe does.
	if !b.succeeded() {
		t.Error("a success while open did not report the recovery")
	}
	if !b.allow() {
		t.Error("allow() = false after a success")
	}
	// A new streak starts from scratch.
	b.failed()
	clock.add(time.Second)
	b.failed()
	if b.allow() != true {
		t.Error("opened after 2 failures of a new streak")
	}
}

func TestBreakerOff(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b := &breaker{now: clock.now}
	for range 100 {
		if !b.allow() || b.failed() {
			t.Fatal("a breaker without tripAfter opened")
		}
		clock.add(time.Second)
	}
}
