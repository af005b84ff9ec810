package komerzasim

import (
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"customergraph/internal/sim/simkit"
)

func TestDataVariety(t *testing.T) {
	s := New(Options{Customers: 3000, Seed: 7})
	all := allCustomers(t, s)
	count := map[string]int{}
	ids, emails := map[string]bool{}, map[string]bool{}
	objectIDs := map[string]bool{}
	seenObject := func(id string) {
		if _, ok := simkit.ParseUUID(id); !ok || objectIDs[id] {
			t.Errorf("object ID %q: malformed or repeated", id)
		}
		objectIDs[id] = true
	}
	second := func(what string, tm time.Time) {
		if tm.Location() != time.UTC || tm.Nanosecond() != 0 {
			t.Fatalf("%s %v: want UTC, whole seconds", what, tm)
		}
	}
	for _, cu := range all {
		if u, ok := simkit.ParseUUID(cu.ID); !ok || u != cu.ID || ids[cu.ID] {
			t.Fatalf("id %q: malformed, not lower-case or repeated", cu.ID)
		}
		ids[cu.ID] = true
		seenObject(cu.ID)
		lower := strings.ToLower(cu.EmailAddress)
		if emails[lower] || !strings.Contains(lower, "@") {
			t.Fatalf("email %q: repeated (in any case) or malformed", cu.EmailAddress)
		}
		emails[lower] = true
		if lower != cu.EmailAddress {
			count["mixed-case email"]++
		}
		second("dateCreated", cu.DateCreated)
		count["status "+cu.Status]++
		if cu.TotalOrders > 0 && cu.AverageSpend != simkit.RoundCents(cu.TotalSpend/float64(cu.TotalOrders)) {
			t.Errorf("%s: averageSpend %v; want totalSpend/totalOrders", cu.ID, cu.AverageSpend)
		}
		if cu.IPAddress == nil {
			t.Fatalf("%s: no IP address", cu.ID)
		}
		ip := net.ParseIP(*cu.IPAddress)
		switch {
		case ip == nil:
			t.Fatalf("%s: IP %q does not parse", cu.ID, *cu.IPAddress)
		case ip.To4() != nil:
			count["ipv4"]++
		default:
			count["ipv6"]++
		}
		if cu.Balance == 0 {
			count["zero balance"]++
		} else if cu.Balance > 0 {
			count["positive balance"]++
		} else {
			t.Errorf("%s: negative balance", cu.ID)
		}
		if len(cu.ExternalIntegrations) > 0 {
			count["integrations"]++
		}
		if cu.IsBlocked {
			count["blocked"]++
			if cu.BlockedNote == nil || cu.BlockedAt == nil || cu.BlockedAt.Before(cu.DateCreated) {
				t.Errorf("%s: blocked without a note or time after creation", cu.ID)
			}
		} else if cu.BlockedNote != nil || cu.BlockedAt != nil {
			t.Errorf("%s: not blocked, yet with a note or time", cu.ID)
		}
		if len(cu.Subscriptions) > 0 {
			count["subscriptions"]++
		}
		for _, sub := range cu.Subscriptions {
			seenObject(sub.ID)
			second("subscription", sub.StartDate)
			if sub.StartDate.Before(cu.DateCreated) || !sub.ExpirationDate.After(sub.StartDate) {
				t.Errorf("%s: subscription %+v out of order", cu.ID, sub)
			}
		}
		if len(cu.Tickets) > 0 {
			count["tickets"]++
		}
		for _, tk := range cu.Tickets {
			seenObject(tk.ID)
			if tk.Status < 0 || tk.Status > 4 || tk.CustomerID != cu.ID || tk.StoreID != DefaultStore || tk.EmailAddress != cu.EmailAddress {
				t.Errorf("%s: ticket %+v", cu.ID, tk)
			}
			count["ticket status "+string(rune('0'+tk.Status))]++
			if len(tk.Entries) < 2 {
				t.Errorf("%s: ticket with %d entries; want several", cu.ID, len(tk.Entries))
			}
			authors := map[string]bool{}
			for i, e := range tk.Entries {
				seenObject(e.ID)
				authors[e.Name] = true
				if i > 0 && e.DateCreated.Before(tk.Entries[i-1].DateCreated) || e.Message == "" || e.Name == "" {
					t.Errorf("%s: entry %+v", cu.ID, e)
				}
			}
			if len(authors) != 2 {
				t.Errorf("%s: ticket authors %v; want the customer and one staff member", cu.ID, authors)
			}
		}
		if a := cu.Affiliate; a != nil {
			seenObject(a.ID)
			if a.IsEnabled {
				count["affiliate enabled"]++
			} else {
				count["affiliate disabled"]++
			}
			if !strings.HasPrefix(a.Link, "https://") || a.ReturnPercentage <= 0 {
				t.Errorf("%s: affiliate %+v", cu.ID, a)
			}
		} else {
			count["no affiliate"]++
		}
	}
	n := len(all)
	for _, want := range []struct {
		what     string
		min, max int // percent
	}{
		{"mixed-case email", 10, 30}, {"status New", 15, 35}, {"status Regular", 30, 55},
		{"status VIP", 5, 15}, {"status Returning", 6, 18}, {"status Inactive", 3, 14},
		{"ipv4", 65, 90}, {"ipv6", 10, 35}, {"zero balance", 50, 70}, {"positive balance", 30, 50},
		{"integrations", 35, 55}, {"blocked", 2, 7}, {"subscriptions", 25, 45}, {"tickets", 20, 40},
		{"affiliate enabled", 7, 15}, {"affiliate disabled", 2, 8}, {"no affiliate", 75, 92},
	} {
		if got := count[want.what] * 100 / n; got < want.min || got > want.max {
			t.Errorf("%s: got %d%%; want %d–%d%%", want.what, got, want.min, want.max)
		}
	}
	for st := range 5 {
		if count["ticket status "+string(rune('0'+st))] == 0 {
			t.Errorf("no ticket in status %d", st)
		}
	}
}

func TestEveryStatusInSmallSets(t *testing.T) {
	want := []string{StatusRegular, StatusNew, StatusVIP, StatusReturning, StatusInactive}
	for i, cu := range allCustomers(t, New(Options{Customers: 5, Seed: 42})) {
		if cu.Status != want[i] {
			t.Errorf("customer %d: status %s; want %s", i+1, cu.Status, want[i])
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := allCustomers(t, New(Options{Customers: 300, Seed: 9}))
	b := allCustomers(t, New(Options{Customers: 300, Seed: 9}))
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the same seed: got different data")
	}
	c := allCustomers(t, New(Options{Customers: 300, Seed: 10}))
	if reflect.DeepEqual(a[1:], c[1:]) {
		t.Errorf("another seed: got the same data")
	}
	if a[0].ID != exampleID || c[0].ID != exampleID {
		t.Errorf("first customer: got %s, %s; want the docs' example for every seed", a[0].ID, c[0].ID)
	}
	if z := allCustomers(t, New(Options{Customers: 300})); !reflect.DeepEqual(z, allCustomers(t, New(Options{Customers: 300, Seed: 1}))) {
		t.Errorf("seed 0: want it to mean 1")
	}
}

func TestNewDefaults(t *testing.T) {
	s := New(Options{})
	if s.Len() != DefaultCustomers || s.Store() != DefaultStore {
		t.Errorf("defaults: got %d customers, store %s; want %d, %s", s.Len(), s.Store(), DefaultCustomers, DefaultStore)
	}
	if keys := s.Kit.Keys(); !reflect.DeepEqual(keys, map[string]bool{DefaultAPIKey: true}) {
		t.Errorf("keys: got %v; want only %s, with write permission", keys, DefaultAPIKey)
	}
}

func TestBuild100kQuickly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100,000 customers")
	}
	start := time.Now()
	s := New(Options{Customers: 100_000})
	if d := time.Since(start); d > 3*time.Second { // generous: -race slows it several times
		t.Errorf("building 100,000 customers took %v", d)
	}
	if s.Len() != 100_000 {
		t.Errorf("Len: got %d", s.Len())
	}
}

func BenchmarkNew100k(b *testing.B) {
	for b.Loop() {
		if s := New(Options{Customers: 100_000}); s.Len() != 100_000 {
			b.Fatal(s.Len())
		}
	}
}
