package breaker

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"customergraph/internal/fakeclock"
)

// TestBreaker runs scripts of steps against a breaker with Failures 3 and
// CoolDown 10s. Steps:
//
//	ok, fail, ignore  a call allowed and done with that result
//	refused           Allow refuses
//	hold              a call allowed and kept open (a probe under way, or a slow call)
//	ok*, fail*        the held call is done with that result
//	+5s               the clock moves on
//	=state            the state is now this
func TestBreaker(t *testing.T) {
	tests := []struct {
		name  string
		steps []string
	}{
		{"stays closed below the threshold", []string{"fail", "fail", "=closed", "ok", "fail", "fail", "=closed", "ok"}},
		{"opens after consecutive failures", []string{"fail", "fail", "fail", "=open", "refused", "refused"}},
		{"ignored calls do not count", []string{"fail", "fail", "ignore", "ignore", "=closed", "fail", "=open"}},
		{"a success resets the count", []string{"fail", "fail", "ok", "fail", "fail", "=closed"}},
		{"half-open after the cool-down", []string{"fail", "fail", "fail", "+9s", "refused", "+1s", "=half-open"}},
		{"one probe at a time", []string{"fail", "fail", "fail", "+10s", "hold", "refused", "refused", "=half-open"}},
		{"a successful probe closes", []string{"fail", "fail", "fail", "+10s", "ok", "=closed", "ok", "fail", "fail", "=closed"}},
		{"a failed probe opens again", []string{"fail", "fail", "fail", "+10s", "fail", "=open", "refused", "+9s", "refused", "+1s", "ok", "=closed"}},
		{"an abandoned probe lets another probe", []string{"fail", "fail", "fail", "+10s", "ignore", "=half-open", "ok", "=closed"}},
		{"a held probe that fails reopens", []string{"fail", "fail", "fail", "+10s", "hold", "refused", "fail*", "=open", "refused"}},
		{"a held probe that succeeds closes", []string{"fail", "fail", "fail", "+10s", "hold", "refused", "ok*", "=closed", "ok"}},
		// A call allowed before the circuit opened reports late: it must
		// neither close the open circuit nor count in the next closed period.
		{"a late success does not close", []string{"hold", "fail", "fail", "fail", "=open", "ok*", "=open", "refused"}},
		{"a late failure does not count", []string{"fail", "fail", "fail", "+10s", "hold", "ok*", "=closed", "fail", "fail", "=closed"}},
		{"late results of an old period are ignored", []string{"hold", "fail", "fail", "fail", "+10s", "ok", "=closed", "fail*", "fail", "fail", "=closed", "fail", "=open"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeclock.New()
			var changes []string
			b := New(Config{Failures: 3, CoolDown: 10 * time.Second, Now: c.Now, OnChange: func(from, to State) {
				changes = append(changes, from.String()+"→"+to.String())
			}})
			var held Ticket
			for i, step := range tt.steps {
				where := fmt.Sprintf("step %d (%s)", i, step)
				switch step {
				case "ok", "fail", "ignore", "hold":
					tk, err := b.Allow()
					if err != nil {
						t.Fatalf("%s: Allow = %v; want allowed (state %s)", where, err, b.State())
					}
					switch step {
					case "ok":
						tk.Done(Success)
					case "fail":
						tk.Done(Failure)
					case "ignore":
						tk.Done(Ignored)
					case "hold":
						held = tk
					}
				case "ok*":
					held.Done(Success)
				case "fail*":
					held.Done(Failure)
				case "refused":
					if _, err := b.Allow(); !errors.Is(err, ErrOpen) {
						t.Fatalf("%s: Allow = %v; want ErrOpen", where, err)
					}
				case "=closed", "=open", "=half-open":
					if got := b.State().String(); got != step[1:] {
						t.Fatalf("%s: state %s (changes %v)", where, got, changes)
					}
				default:
					d, err := time.ParseDuration(step[1:])
					if err != nil {
						t.Fatalf("bad step %q", step)
					}
					c.Advance(d)
				}
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	c := fakeclock.New()
	b := New(Config{Failures: 1, CoolDown: 10 * time.Second, Now: c.Now})
	tk, _ := b.Allow()
	tk.Done(Failure)
	c.Advance(4 * time.Second)
	_, err := b.Allow()
	var oe *OpenError
	if !errors.As(err, &oe) || oe.RetryAfter != 6*time.Second {
		t.Fatalf("Allow = %#v; want *OpenError with RetryAfter 6s", err)
	}
	c.Advance(6 * time.Second)
	if _, err := b.Allow(); err != nil {
		t.Fatalf("after the cool-down: %v; want the probe", err)
	}
	if _, err := b.Allow(); !errors.As(err, &oe) || oe.RetryAfter != 0 {
		t.Fatalf("during the probe: %#v; want *OpenError with RetryAfter 0", err)
	}
}

func TestChanges(t *testing.T) {
	c := fakeclock.New()
	var changes []string
	b := New(Config{Failures: 1, CoolDown: time.Second, Now: c.Now, OnChange: func(from, to State) {
		changes = append(changes, from.String()+"→"+to.String())
	}})
	tk, _ := b.Allow()
	tk.Done(Failure)
	c.Advance(time.Second)
	tk, _ = b.Allow()
	tk.Done(Success)
	want := "[closed→open open→half-open half-open→closed]"
	if got := fmt.Sprint(changes); got != want {
		t.Errorf("changes %s; want %s", got, want)
	}
}

func TestDefaults(t *testing.T) {
	b := New(Config{})
	if b.failures != DefaultFailures || b.coolDown != DefaultCoolDown {
		t.Errorf("defaults %d, %v", b.failures, b.coolDown)
	}
	var zero Ticket
	zero.Done(Failure) // a zero Ticket is harmless
}

func TestConcurrent(t *testing.T) {
	b := New(Config{Failures: 50, CoolDown: time.Hour})
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if tk, err := b.Allow(); err == nil {
				tk.Done(Failure)
			}
		})
	}
	wg.Wait()
	if b.State() != Open {
		t.Errorf("state %s after 100 concurrent failures; want open", b.State())
	}
}
