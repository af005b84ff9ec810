package komerzasim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// refFields are the keys of a list item (PublicCustomerReference).
var refFields = []string{
	"averageSpend", "dateCreated", "emailAddress", "id", "isAffiliate", "isBlocked",
	"status", "totalOrders", "totalSpend",
}

func refOf(c Customer) Reference {
	return Reference{
		ID: c.ID, DateCreated: c.DateCreated, EmailAddress: c.EmailAddress, Status: c.Status,
		IsAffiliate: c.Affiliate != nil, TotalSpend: c.TotalSpend, AverageSpend: c.AverageSpend,
		TotalOrders: c.TotalOrders, IsBlocked: c.IsBlocked,
	}
}

func TestListEnvelopeAndDefaults(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 45})
	r := c.get(base)
	wantStatus(t, r, http.StatusOK)
	var env map[string]json.RawMessage
	decode(t, r, &env)
	if got, want := keysOf(env), []string{"code", "data", "message", "pages", "success"}; !slices.Equal(got, want) {
		t.Fatalf("list keys: got %v; want %v", got, want)
	}
	var items []map[string]any
	json.Unmarshal(env["data"], &items)
	if len(items) != 20 || string(env["pages"]) != "3" {
		t.Errorf("defaults: got %d items, %s pages; want 20 items, 3 pages", len(items), env["pages"])
	}
	for _, it := range items {
		if got := keysOf(it); !slices.Equal(got, refFields) {
			t.Fatalf("item keys: got %v; want %v", got, refFields)
		}
	}
	tests := []struct {
		query       string
		items, page int
	}{
		{"?Page=3", 5, 3},
		{"?Page=4", 0, 3},
		{"?Page=1000", 0, 3},
		{"?PageSize=100", 45, 1},
		{"?PageSize=45", 45, 1},
		{"?PageSize=44&Page=2", 1, 2},
		{"?page=2&pagesize=40", 5, 2}, // names in any case
		{"?Page=&PageSize=", 20, 3},   // empty is absent
		{"?Page=1&unknown=x", 20, 3},  // unknown names are ignored
	}
	for _, tt := range tests {
		p := c.list(base + tt.query)
		if len(p.Data) != tt.items || p.Pages != tt.page {
			t.Errorf("%s: got %d items, %d pages; want %d, %d", tt.query, len(p.Data), p.Pages, tt.items, tt.page)
		}
	}
}

func TestListWalksEveryCustomerOnce(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 250, Seed: 3})
	all := allCustomers(t, s)
	for _, size := range []int{1, 7, 20, 100} {
		got := c.listAll(base+"?x=1", size)
		if len(got) != len(all) {
			t.Fatalf("PageSize %d: got %d customers; want %d", size, len(got), len(all))
		}
		for i, ref := range got {
			if want := refOf(all[i]); ref != want {
				t.Fatalf("PageSize %d, item %d: got %+v; want %+v", size, i, ref, want)
			}
		}
	}
}

func TestListValidation(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 5})
	tests := []struct {
		query string
		field []string
	}{
		{"Page=0", []string{"Page"}},
		{"Page=-1", []string{"Page"}},
		{"Page=one", []string{"Page"}},
		{"PageSize=0", []string{"PageSize"}},
		{"PageSize=101", []string{"PageSize"}},
		{"PageSize=1e3", []string{"PageSize"}},
		{"Page=0&PageSize=500", []string{"Page", "PageSize"}},
		{"balanceFrom=ten", []string{"balanceFrom"}},
		{"balanceTo=NaN", []string{"balanceTo"}},
		{"Sorts=-dateCreated", []string{"Sorts"}},
		{"Filters=status==VIP", []string{"Filters"}},
		{"affiliateCode=ABC", []string{"affiliateCode"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			wantError(t, c.get(base+"?"+tt.query), 400, "One or more fields are invalid", tt.field...)
		})
	}
	wantError(t, c.get(base+"?Page=%zz"), 400, "The query string is malformed")
	wantError(t, c.get(base+"/search/a?PageSize=101"), 400, "", "PageSize")
}

func TestListFilters(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 600, Seed: 11})
	all := allCustomers(t, s)
	want := func(keep func(Customer) bool) []Reference {
		var out []Reference
		for _, cu := range all {
			if keep(cu) {
				out = append(out, refOf(cu))
			}
		}
		return out
	}
	ip := func(cu Customer) string {
		if cu.IPAddress == nil {
			return ""
		}
		return strings.ToLower(*cu.IPAddress)
	}
	tests := []struct {
		name, query string
		keep        func(Customer) bool
	}{
		{"email contains, any case", "email=EXAMPLE.ORG", func(cu Customer) bool {
			return strings.Contains(strings.ToLower(cu.EmailAddress), "example.org")
		}},
		{"email of one", "email=Jordan.Lee@", func(cu Customer) bool { return cu.ID == exampleID }},
		{"ipv6 prefix, any case", "ipAddress=2001:DB8:", func(cu Customer) bool { return strings.Contains(ip(cu), "2001:db8:") }},
		{"ipv4 part", "ipaddress=.113.", func(cu Customer) bool { return strings.Contains(ip(cu), ".113.") }},
		{"balance range", "balanceFrom=10&balanceTo=100.5", func(cu Customer) bool { return cu.Balance >= 10 && cu.Balance <= 100.5 }},
		{"zero balance", "balanceTo=0", func(cu Customer) bool { return cu.Balance == 0 }},
		{"both filters", "email=rossi&ipAddress=2001", func(cu Customer) bool {
			return strings.Contains(strings.ToLower(cu.EmailAddress), "rossi") && strings.Contains(ip(cu), "2001")
		}},
		{"no match", "email=nobody-at-all", func(Customer) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := want(tt.keep)
			got := c.listAll(base+"?"+tt.query, 50)
			if len(w) == 0 && tt.name != "no match" {
				t.Fatalf("the data set has no customer for %q", tt.query)
			}
			if !slices.Equal(got, w) {
				t.Errorf("%s: got %d customers; want %d", tt.query, len(got), len(w))
			}
		})
	}
	if p := c.list(base + "?email=nobody-at-all"); p.Pages != 0 || len(p.Data) != 0 {
		t.Errorf("no match: got %d pages, %d items; want 0 pages, []", p.Pages, len(p.Data))
	}
}

func TestSearch(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 400, Seed: 2})
	all := allCustomers(t, s)
	matching := func(q string) []Reference {
		var out []Reference
		for _, cu := range all {
			if strings.Contains(strings.ToLower(cu.EmailAddress), strings.ToLower(q)) || strings.EqualFold(cu.ID, q) {
				out = append(out, refOf(cu))
			}
		}
		return out
	}
	target := all[123]
	tests := []struct {
		name, query string
		want        []Reference
	}{
		{"email part, any case", "ROSSI", matching("rossi")},
		{"domain", "gamer.example.io", matching("gamer.example.io")},
		{"whole address", target.EmailAddress, []Reference{refOf(target)}},
		{"id", target.ID, []Reference{refOf(target)}},
		{"id in upper case", strings.ToUpper(target.ID), []Reference{refOf(target)}},
		{"part of an id is no match", target.ID[:8], matching(target.ID[:8])},
		{"no match", "zzzz-nothing", nil},
		{"the word email", "email", matching("email")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.listAll(base+"/search/"+url.PathEscape(tt.query)+"?x=1", 30)
			if !slices.Equal(got, tt.want) {
				t.Errorf("search %q: got %d customers; want %d", tt.query, len(got), len(tt.want))
			}
		})
	}
	if len(matching("rossi")) < 5 {
		t.Errorf("search rossi: the data set has %d matches; want several", len(matching("rossi")))
	}
	p := c.list(base + "/search/example?Page=2&PageSize=10")
	if len(p.Data) != 10 || p.Data[0] != refOf(all[10]) || p.Pages != (len(matching("example"))+9)/10 {
		t.Errorf("search page 2: got %d items, first %s, %d pages; want 10, %s, %d", len(p.Data), p.Data[0].ID, p.Pages, all[10].ID, (len(matching("example"))+9)/10)
	}
}
