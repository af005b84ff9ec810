package xtrakitsim

import (
	"reflect"
	"strings"
	"testing"
)

func TestListEveryCustomer(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 300, Seed: 2})
	all := allCustomers(t, s)
	if got := c.list(""); !reflect.DeepEqual(got, all) {
		t.Errorf("list: got %d customers; want all %d in ID order", len(got), len(all))
	}
	if got := c.list("?page=2&limit=5"); len(got) != 300 {
		t.Errorf("paging parameters: got %d customers; want all 300 (no paging)", len(got))
	}
	if r := c.get("/customers"); !strings.Contains(string(r.body), `"customers":[`) {
		t.Errorf("data.customers: want a JSON array")
	}
}

func TestListFilters(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 2000, Seed: 5})
	all := allCustomers(t, s)
	inGroup := func(g int) func(Customer) bool {
		return func(cu Customer) bool {
			groups, _ := s.CustomerGroups(cu.ID)
			for _, gr := range groups {
				if gr.ID == g {
					return true
				}
			}
			return false
		}
	}
	day := all[777].CreatedAt[:10]
	g1Day := ""
	for _, cu := range all[500:] {
		if cu.CustomerGroupID != nil && *cu.CustomerGroupID == 1 {
			g1Day = cu.CreatedAt[:10]
			break
		}
	}
	updDay := all[1234].UpdatedAt[:10]
	tests := []struct {
		name, query string
		keep        func(Customer) bool
	}{
		{"group 3, main or not", "?customer_group_id=3", inGroup(3)},
		{"group 6", "?customer_group_id=6", inGroup(6)},
		{"created on a day", "?created_at=" + day, func(cu Customer) bool { return strings.HasPrefix(cu.CreatedAt, day) }},
		{"updated on a day", "?updated_at=" + updDay, func(cu Customer) bool { return strings.HasPrefix(cu.UpdatedAt, updDay) }},
		{"group and day", "?customer_group_id=1&created_at=" + g1Day, func(cu Customer) bool {
			return inGroup(1)(cu) && strings.HasPrefix(cu.CreatedAt, g1Day)
		}},
		{"the docs' day", "?created_at=2024-08-04&customer_group_id=1", func(cu Customer) bool {
			return inGroup(1)(cu) && strings.HasPrefix(cu.CreatedAt, "2024-08-04")
		}},
		{"no such day", "?created_at=2001-01-01", func(Customer) bool { return false }},
		{"empty filters are absent", "?customer_group_id=&created_at=", func(Customer) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []Customer
			for _, cu := range all {
				if tt.keep(cu) {
					want = append(want, cu)
				}
			}
			got := c.list(tt.query)
			if len(got) != len(want) || len(got) > 0 && !reflect.DeepEqual(got, want) {
				t.Errorf("%s: got %d customers; want %d", tt.query, len(got), len(want))
			}
			if tt.name != "no such day" && len(want) == 0 {
				t.Errorf("%s: the data set has no match", tt.query)
			}
		})
	}
	// Customer 1 is in group 3 without it being the main group.
	if got := c.list("?customer_group_id=3"); got[0].ID != 1 || *got[0].CustomerGroupID != 1 {
		t.Errorf("group 3: got first %d; want Jane Doe, whose main group is 1", got[0].ID)
	}

	for _, q := range []string{"?customer_group_id=x", "?customer_group_id=0", "?created_at=2024-8-4", "?created_at=04-08-2024", "?updated_at=2024-02-30", "?updated_at=2024-08-04 08:00:00"} {
		wantError(t, c.get("/customers"+strings.ReplaceAll(q, " ", "%20")), 422, "")
	}
	wantError(t, c.get("/customers?created_at=%zz"), 400, "")
}
