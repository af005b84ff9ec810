package upstream

import (
	"testing"
	"time"
)

// SetJitter makes every backoff draw f(ceiling) until t ends. Tests that
// call it must not run in parallel.
func SetJitter(t testing.TB, f func(ceiling time.Duration) time.Duration) {
	old := jitter
	jitter = f
	t.Cleanup(func() { jitter = old })
}
