package persisted

import (
	"testing"

	"customergraph/internal/cache/cachetest"
)

func TestMain(m *testing.M) { cachetest.Main(m) }
