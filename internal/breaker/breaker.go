// Package breaker is a circuit breaker for calls to one upstream.
//
// It is closed while calls succeed. After Failures consecutive failed calls
// it opens: every call is refused at once, without reaching the upstream,
// for CoolDown. Then it is half-open: one call, the probe, goes through and
// the others are still refused. A probe that succeeds closes the circuit; one
// that fails opens it for another CoolDown.
//
// What counts as a failure is the caller's decision (Done). Calls that end
// without telling anything about the upstream (the caller gave up, or the
// call was never made) are Ignored: they neither count nor close.
package breaker

import (
	"errors"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultFailures = 5
	DefaultCoolDown = 30 * time.Second
)

// Config configures a Breaker. Zero fields take the defaults.
type Config struct {
	// Failures is how many consecutive failures open the circuit.
	Failures int
	// CoolDown is how long the circuit stays open before a probe.
	CoolDown time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// OnChange, if set, is called after every change of state, outside the
	// breaker's lock.
	OnChange func(from, to State)
}

// State is the state of a circuit.
type State int

// The states of a circuit.
const (
	Closed   State = iota // calls go through
	Open                  // calls are refused until the cool-down is over
	HalfOpen              // one probe goes through, the other calls are refused
)

func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return "unknown"
}

// Result is what a call told about the upstream.
type Result int

// Results of a call, for Ticket.Done.
const (
	Ignored Result = iota // nothing: the call was not made or was abandoned
	Success               // the upstream answered
	Failure               // the upstream failed: a 5xx, a timeout, a connection error
)

// ErrOpen is matched (errors.Is) by the error Allow returns while the
// circuit refuses calls.
var ErrOpen = errors.New("circuit open")

// OpenError is the error Allow returns while the circuit refuses calls.
type OpenError struct {
	// RetryAfter is how long until a probe may go through; 0 while a probe
	// is under way.
	RetryAfter time.Duration
}

func (e *OpenError) Error() string { return ErrOpen.Error() }

// Is reports whether target is ErrOpen.
func (e *OpenError) Is(target error) bool { return target == ErrOpen }

// Breaker is a circuit breaker. It is safe for concurrent use.
type Breaker struct {
	failures int
	coolDown time.Duration
	now      func() time.Time
	onChange func(from, to State)

	mu      sync.Mutex
	state   State
	gen     uint64    // bumped on every change of state: old tickets no longer count
	fails   int       // consecutive failures while closed
	until   time.Time // end of the cool-down while open
	probing bool      // a probe is under way while half-open
}

// New returns a closed Breaker.
func New(cfg Config) *Breaker {
	b := &Breaker{failures: cfg.Failures, coolDown: cfg.CoolDown, now: cfg.Now, onChange: cfg.OnChange}
	if b.failures <= 0 {
		b.failures = DefaultFailures
	}
	if b.coolDown <= 0 {
		b.coolDown = DefaultCoolDown
	}
	if b.now == nil {
		b.now = time.Now
	}
	return b
}

// Ticket is the permission to make one call. Report its result with Done,
// exactly once.
type Ticket struct {
	b     *Breaker
	gen   uint64
	probe bool
}

// Allow asks to make one call. While the circuit is open, and while another
// call is the probe, it returns an *OpenError.
func (b *Breaker) Allow() (Ticket, error) {
	b.mu.Lock()
	from := b.state
	if b.state == Open {
		if wait := b.until.Sub(b.now()); wait > 0 {
			b.mu.Unlock()
			return Ticket{}, &OpenError{RetryAfter: wait}
		}
		b.set(HalfOpen)
	}
	t := Ticket{b: b, gen: b.gen}
	if b.state == HalfOpen {
		if b.probing {
			b.mu.Unlock()
			return Ticket{}, &OpenError{}
		}
		b.probing, t.probe = true, true
	}
	to := b.state
	b.mu.Unlock()
	b.changed(from, to)
	return t, nil
}

// Done reports the result of the call t allowed. Results of calls allowed
// before the last change of state are ignored, so a slow call that started
// before the circuit opened cannot close it, nor count towards opening it
// again.
func (t Ticket) Done(r Result) {
	b := t.b
	if b == nil {
		return
	}
	b.mu.Lock()
	from := b.state
	switch {
	case t.gen != b.gen:
	case b.state == Closed && r == Failure:
		b.fails++
		if b.fails >= b.failures {
			b.openLocked()
		}
	case b.state == Closed && r == Success:
		b.fails = 0
	case b.state == HalfOpen && t.probe:
		switch r {
		case Success:
			b.set(Closed)
		case Failure:
			b.openLocked()
		default:
			b.probing = false // let another call probe
		}
	}
	to := b.state
	b.mu.Unlock()
	b.changed(from, to)
}

// State returns the circuit's state now.
func (b *Breaker) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == Open && !b.now().Before(b.until) {
		return HalfOpen
	}
	return b.state
}

func (b *Breaker) openLocked() {
	b.set(Open)
	b.until = b.now().Add(b.coolDown)
}

// set moves to state s and starts a new generation.
func (b *Breaker) set(s State) {
	b.state = s
	b.gen++
	b.fails = 0
	b.probing = false
}

func (b *Breaker) changed(from, to State) {
	if from != to && b.onChange != nil {
		b.onChange(from, to)
	}
}
