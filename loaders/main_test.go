package loaders

import (
	"testing"

	"customergraph/internal/cache/cachetest"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
)

func TestMain(m *testing.M) { cachetest.Main(m) }

// nilVendor is a Vendor for tests that never reach the upstream.
type nilVendor struct{ Vendor }

func (nilVendor) Capabilities() customer.Capabilities {
	return customer.Capabilities{Vendor: customer.Tiquo, IDs: identifier.DocumentIDs, UpdateTimes: true}
}

// waiting returns how many callers wait for the call for key.
func (f *flight[K, V]) waiting(key K) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.calls[key]; ok {
		return c.waiters.Load()
	}
	return 0
}
