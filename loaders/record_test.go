package loaders

import (
	"testing"
	"time"

	"customergraph/internal/customer"
)

func TestRecordRoundTrip(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	c := &customer.Customer{ID: "k1", CustomerNumber: "CUST-000001", Status: customer.StatusActive}
	b, err := encodeCustomer(c, now, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := decodeRecord(b)
	if !ok || r.c.ID != "k1" || !r.fetchedAt.Equal(now) || !r.freshUntil.Equal(now.Add(time.Minute)) {
		t.Fatalf("decodeRecord(encodeCustomer) = %+v, %v", r, ok)
	}
	if !r.fresh(now.Add(59*time.Second)) || r.fresh(now.Add(61*time.Second)) {
		t.Error("freshness does not follow freshUntil")
	}
	if !r.servableStale(now.Add(30*time.Minute), time.Hour) || r.servableStale(now.Add(2*time.Hour), time.Hour) || r.servableStale(now.Add(2*time.Minute), 0) {
		t.Error("stale window does not follow StaleIfError")
	}
	if r, ok := decodeRecord(missingValue); !ok || !r.missing || !r.fresh(now) {
		t.Errorf("negative entry decodes as %+v, %v", r, ok)
	}
	for _, garbage := range [][]byte{nil, []byte("x"), []byte("+short"), append(b[:headerLen:headerLen], "{not json"...), []byte(`{"id":"k1"}`)} {
		if _, ok := decodeRecord(garbage); ok {
			t.Errorf("decodeRecord(%q) ok; want a miss", garbage)
		}
	}
}

func TestJitter(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := jitter(100*time.Second, 0.1)
		if d < 90*time.Second || d > 110*time.Second {
			t.Fatalf("jitter(100s, 0.1) = %v; want 90s..110s", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Errorf("1000 jittered TTLs have %d distinct values; want them spread", len(seen))
	}
	if got := jitter(time.Second, 0); got != time.Second {
		t.Errorf("jitter(1s, 0) = %v; want 1s", got)
	}
}
