package loaders

import (
	"context"
	"testing"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/customer"
	"customergraph/internal/identifier"
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

// A write-back of part of a record (no detail fields, or not every contact)
// never replaces the whole record at the same updatedAt, whatever order the
// write-backs land in; a newer updatedAt always wins.
func TestVersionKeepsTheFullerRecord(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	rec := func(updated time.Time, detail, contacts bool) *customer.Customer {
		c := &customer.Customer{ID: "k1", CustomerNumber: "CUST-000001", UpdatedAt: &updated, AllContacts: contacts}
		if detail {
			c.Detail = &customer.Detail{}
		}
		return c
	}
	full, detailOnly, contactsOnly, bare := rec(at, true, true), rec(at, true, false), rec(at, false, true), rec(at, false, false)
	newerBare := rec(at.Add(time.Millisecond), false, false)
	tests := []struct {
		name          string
		higher, lower *customer.Customer
	}{
		{"full over detail only", full, detailOnly},
		{"full over contacts only", full, contactsOnly},
		{"detail only over bare", detailOnly, bare},
		{"contacts only over bare", contactsOnly, bare},
		{"newer over fuller", newerBare, full},
	}
	s := New(Config{Vendor: nilVendor{}, Cache: cache.NewMemory(cache.MemoryOptions{}), Namespace: "t"})
	for _, tt := range tests {
		if h, l := s.version(tt.higher), s.version(tt.lower); h <= l {
			t.Errorf("%s: version %d <= %d; want higher", tt.name, h, l)
		}
	}

	// Through a cache: the full record is written first, a detail-only
	// one of the same updatedAt after; the full one stays.
	ctx := context.Background()
	for _, c := range []*customer.Customer{full, detailOnly} {
		if err := s.cache.Set(ctx, s.entries(nil, c, at, false)); err != nil {
			t.Fatal(err)
		}
	}
	got, _, _ := s.lookup(ctx, []string{s.keys.Customer("k1")})
	if got[0].c == nil || !got[0].c.AllContacts || got[0].c.Detail == nil {
		t.Errorf("after a full and then a detail-only write-back: %+v; want the full record", got[0].c)
	}
}

// Plan works out a key's plan once per Service, and another key's anew.
func TestPlanOncePerKey(t *testing.T) {
	s := New(Config{Vendor: nilVendor{}, Cache: cache.NewMemory(cache.MemoryOptions{}), Namespace: "t"})
	builds := 0
	plan := func(key any, email string) []identifier.ID {
		return s.NewLoaders().Plan(key, func() []identifier.ID {
			builds++
			return []identifier.ID{identifier.MustParse(email)}
		})
	}
	a, b := new(int), new(int)
	for range 3 {
		if got := plan(a, "a@example.com"); len(got) != 1 || got[0].String() != "a@example.com" {
			t.Fatalf("plan of a: %v", got)
		}
	}
	if got := plan(b, "b@example.com"); len(got) != 1 || got[0].String() != "b@example.com" {
		t.Fatalf("plan of b: %v", got)
	}
	if builds != 2 {
		t.Errorf("%d plans built for 2 keys; want 2", builds)
	}
	other := New(Config{Vendor: nilVendor{}, Cache: cache.NewMemory(cache.MemoryOptions{}), Namespace: "u"})
	if other.NewLoaders().Plan(a, func() []identifier.ID { return nil }) != nil {
		t.Error("another tenant's Service has a's plan")
	}
}
