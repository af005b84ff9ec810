package xtrakitsim

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	e164RE   = regexp.MustCompile(`^\+[1-9]\d{7,14}$`)
	spacedRE = regexp.MustCompile(`^\+[1-9]\d{0,2}( \d+)+$`)
)

func canonical(phone string) string { return strings.ReplaceAll(phone, " ", "") }

func TestDataVariety(t *testing.T) {
	s := New(Options{Customers: 3000, Seed: 8})
	all := allCustomers(t, s)
	count := map[string]int{}
	phones, emails := map[string]bool{}, map[string]bool{}
	for _, cu := range all {
		for _, f := range []string{cu.CustomerName, cu.CustomerPhone, cu.CustomerCountry, cu.CustomerCity, cu.CustomerState, cu.Address1, cu.CreatedBy} {
			if strings.TrimSpace(f) == "" {
				t.Fatalf("customer %d: a required field is empty: %+v", cu.ID, cu)
			}
		}
		if cu.UserID != businessUserID || cu.BusinessCode != businessCode {
			t.Errorf("customer %d: business %s %s", cu.ID, cu.UserID, cu.BusinessCode)
		}
		p := cu.CustomerPhone
		switch {
		case e164RE.MatchString(p):
			count["e164"]++
		case spacedRE.MatchString(p) && e164RE.MatchString(canonical(p)):
			count["spaced"]++
		default:
			t.Errorf("customer %d: phone %q is neither E.164 nor spaced E.164", cu.ID, p)
		}
		if phones[canonical(p)] {
			t.Errorf("customer %d: phone %s repeated", cu.ID, p)
		}
		phones[canonical(p)] = true
		for prefix, country := range map[string]string{"+233": "Ghana", "+44": "United Kingdom", "+1": "United States"} {
			if strings.HasPrefix(canonical(p), prefix) {
				count[prefix]++
				if cu.CustomerCountry != country {
					t.Errorf("customer %d: phone %s in %s", cu.ID, p, cu.CustomerCountry)
				}
			}
		}
		switch w := cu.CustomerWhatsapp; {
		case w == nil:
			count["no whatsapp"]++
		case canonical(*w) == canonical(p):
			count["whatsapp is the phone"]++
		default:
			count["other whatsapp"]++
			if !e164RE.MatchString(*w) || phones[*w] {
				t.Errorf("customer %d: whatsapp %s", cu.ID, *w)
			}
		}
		if e := cu.CustomerEmail; e == nil {
			count["no email"]++
		} else {
			if emails[strings.ToLower(*e)] || !strings.Contains(*e, "@") {
				t.Errorf("customer %d: email %s repeated or malformed", cu.ID, *e)
			}
			emails[strings.ToLower(*e)] = true
		}
		groups, _ := s.CustomerGroups(cu.ID)
		switch {
		case len(groups) == 0:
			count["no group"]++
			if cu.CustomerGroupID != nil {
				t.Errorf("customer %d: main group without groups", cu.ID)
			}
		case len(groups) > 1:
			count["several groups"]++
		}
		if cu.CustomerGroupID != nil && groups[0].ID != *cu.CustomerGroupID {
			t.Errorf("customer %d: groups %v do not start with the main group %d", cu.ID, groupIDs(groups), *cu.CustomerGroupID)
		}
		if cu.CustomerGroupID == nil && len(groups) > 0 {
			count["groups, no main"]++
		}
		created, err1 := time.Parse(TimestampLayout, cu.CreatedAt)
		updated, err2 := time.Parse(TimestampLayout, cu.UpdatedAt)
		if err1 != nil || err2 != nil {
			t.Fatalf("customer %d: timestamps %q %q", cu.ID, cu.CreatedAt, cu.UpdatedAt)
		}
		if cu.ID > 1 && updated.Before(created) {
			t.Errorf("customer %d: updated before created", cu.ID)
		}
		if cu.Address2 == nil {
			count["no address2"]++
		}
		if cu.CustomerZip == nil {
			count["no zip"]++
		}
		if cu.CustomerProfile != nil {
			count["profile"]++
		}
	}
	n := len(all)
	for _, want := range []struct {
		what     string
		min, max int
	}{
		{"e164", 65, 85}, {"spaced", 15, 35}, {"+233", 40, 60}, {"+44", 18, 32}, {"+1", 18, 32},
		{"no whatsapp", 10, 25}, {"whatsapp is the phone", 65, 82}, {"other whatsapp", 4, 11},
		{"no email", 10, 20}, {"no group", 20, 35}, {"several groups", 15, 30}, {"groups, no main", 1, 8},
		{"no address2", 45, 65}, {"no zip", 10, 40}, {"profile", 30, 50},
	} {
		if got := count[want.what] * 100 / n; got < want.min || got > want.max {
			t.Errorf("%s: got %d%%; want %d–%d%%", want.what, got, want.min, want.max)
		}
	}
}

func TestTimeZone(t *testing.T) {
	zone := time.FixedZone("UTC-5", -5*3600)
	utc := allCustomers(t, New(Options{Customers: 50}))
	local := allCustomers(t, New(Options{Customers: 50, TimeZone: zone}))
	if local[0].CreatedAt != "2024-08-04 08:23:45" {
		t.Errorf("Jane Doe in another zone: got %s; want the docs' wall clock", local[0].CreatedAt)
	}
	for i := 1; i < 50; i++ {
		u, _ := time.ParseInLocation(TimestampLayout, utc[i].CreatedAt, time.UTC)
		l, _ := time.ParseInLocation(TimestampLayout, local[i].CreatedAt, zone)
		if !u.Equal(l) {
			t.Fatalf("customer %d: %s UTC and %s UTC-5 are different instants", i+1, utc[i].CreatedAt, local[i].CreatedAt)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := allCustomers(t, New(Options{Customers: 200, Seed: 3}))
	if b := allCustomers(t, New(Options{Customers: 200, Seed: 3})); !reflect.DeepEqual(a, b) {
		t.Errorf("the same seed: got different data")
	}
	if c := allCustomers(t, New(Options{Customers: 200, Seed: 4})); reflect.DeepEqual(a[1:], c[1:]) {
		t.Errorf("another seed: got the same data")
	}
	if z, one := allCustomers(t, New(Options{Customers: 50})), allCustomers(t, New(Options{Customers: 50, Seed: 1})); !reflect.DeepEqual(z, one) {
		t.Errorf("seed 0: want it to mean 1")
	}
}

func TestNewDefaults(t *testing.T) {
	s := New(Options{})
	if s.Len() != DefaultCustomers {
		t.Errorf("Len: got %d; want %d", s.Len(), DefaultCustomers)
	}
	if keys := s.Kit.Keys(); !reflect.DeepEqual(keys, map[string]bool{DefaultAPIKey: true}) {
		t.Errorf("keys: got %v", keys)
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
