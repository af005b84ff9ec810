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
