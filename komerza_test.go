package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"customergraph/internal/cache/cachetest"
)

// komerzaRecord is what the tests read of a Komerza record straight from
// the simulator's REST API.
type komerzaRecord struct {
	ID            string   `json:"id"`
	DateCreated   string   `json:"dateCreated"`
	EmailAddress  string   `json:"emailAddress"`
	Status        *string  `json:"status"`
	TotalSpend    *float64 `json:"totalSpend"`
	AverageSpend  *float64 `json:"averageSpend"`
	TotalOrders   *int     `json:"totalOrders"`
	IPAddress     *string  `json:"ipAddress"`
	Balance       *float64 `json:"balance"`
	IsBlocked     *bool    `json:"isBlocked"`
	Subscriptions []struct {
		ID, DateCreated, ExpirationDate, StartDate, ProductID string
	} `json:"subscriptions"`
	Tickets []struct {
		ID, DateCreated, Subject string
		Status                   int
		Entries                  []struct{ ID, DateCreated, Message, Name string }
	} `json:"tickets"`
	Affiliate *struct {
		ID, DateCreated, Link                    string
		IsEnabled                                bool
		Balance, ReturnPercentage, PercentageOff float64
	} `json:"affiliate"`
}

const komerzaFields = `id vendor customerNumber email phone emails { address isPrimary } phones { number }
  status vendorStatus totalOrders totalSpent averageOrderValue createdAt updatedAt vendorRecord
  balance ipAddress
  subscriptions { id productId startsAt expiresAt createdAt }
  supportTickets { id subject status createdAt messages { id author message createdAt } }
  affiliate { id enabled link balance returnPercentage percentageOff createdAt }
  groups { id } tags address { city } firstName whatsapp`

// komerzaCustomer is what the tests read of a Komerza customer through
// GraphQL.
type komerzaCustomer struct {
	ID             string
	Vendor         string
	CustomerNumber *string
	Email          *string
	Phone          *string
	Emails         []struct {
		Address   string
		IsPrimary bool
	}
	Phones            []struct{ Number string }
	Status            string
	VendorStatus      *string
	TotalOrders       *int
	TotalSpent        *float64
	AverageOrderValue *float64
	CreatedAt         string
	UpdatedAt         *string
	VendorRecord      json.RawMessage
	Balance           *float64
	IPAddress         *string
	Subscriptions     []struct{ ID, ProductID, StartsAt, ExpiresAt, CreatedAt string }
	SupportTickets    []struct {
		ID, Subject, CreatedAt string
		Status                 int
		Messages               []struct{ ID, Author, Message, CreatedAt string }
	}
	Affiliate *struct {
		ID, Link, CreatedAt                      string
		Enabled                                  bool
		Balance, ReturnPercentage, PercentageOff float64
	}
	Groups    []struct{ ID string }
	Tags      []string
	Address   *struct{ City string }
	FirstName *string
	Whatsapp  *string
}

// gqlTime is t, an RFC 3339 timestamp, as the DateTime scalar writes it.
func gqlTime(t *testing.T, s string) string {
	t.Helper()
	if s == "" {
		return ""
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("simulator time %q: %v", s, err)
	}
	return v.UTC().Format("2006-01-02T15:04:05.000Z")
}

// checkKomerzaMapping compares a customer read through GraphQL with the
// simulator's raw record of it.
func checkKomerzaMapping(t *testing.T, raw json.RawMessage, got komerzaCustomer) {
	t.Helper()
	var r komerzaRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	wantStatus := "ACTIVE"
	if r.IsBlocked != nil && *r.IsBlocked {
		wantStatus = "BANNED"
	}
	eqf := func(a, b *float64) bool {
		return a == nil && b == nil || a != nil && b != nil && math.Abs(*a-*b) < 1e-9
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"id", got.ID, strings.ToLower(r.ID)},
		{"vendor", got.Vendor, "KOMERZA"},
		{"customerNumber", got.CustomerNumber == nil, true},
		{"email", *got.Email, strings.ToLower(r.EmailAddress)},
		{"emails", fmt.Sprint(got.Emails), fmt.Sprint([]struct {
			Address   string
			IsPrimary bool
		}{{strings.ToLower(r.EmailAddress), true}})},
		{"phone", got.Phone == nil && len(got.Phones) == 0, true},
		{"status", got.Status, wantStatus},
		{"vendorStatus", fmt.Sprint(deref(got.VendorStatus)), fmt.Sprint(deref(r.Status))},
		{"totalOrders", fmt.Sprint(deref(got.TotalOrders)), fmt.Sprint(deref(r.TotalOrders))},
		{"totalSpent", eqf(got.TotalSpent, r.TotalSpend), true},
		{"averageOrderValue", eqf(got.AverageOrderValue, r.AverageSpend), true},
		{"createdAt", got.CreatedAt, gqlTime(t, r.DateCreated)},
		{"updatedAt", got.UpdatedAt == nil, true},
		{"vendorRecord", jsonEqual(got.VendorRecord, raw), true},
		{"balance", eqf(got.Balance, r.Balance), true},
		{"ipAddress", fmt.Sprint(deref(got.IPAddress)), fmt.Sprint(deref(r.IPAddress))},
		{"subscriptions", len(got.Subscriptions), len(r.Subscriptions)},
		{"supportTickets", len(got.SupportTickets), len(r.Tickets)},
		{"affiliate", got.Affiliate == nil, r.Affiliate == nil},
		{"groups", len(got.Groups), 0},
		{"tags", fmt.Sprint(got.Tags), "[]"},
		{"address", got.Address == nil, true},
		{"firstName", got.FirstName == nil, true},
		{"whatsapp", got.Whatsapp == nil, true},
	} {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("customer %s: %s = %v; want %v", r.ID, c.name, c.got, c.want)
		}
	}
	for i := range min(len(got.Subscriptions), len(r.Subscriptions)) {
		g, w := got.Subscriptions[i], r.Subscriptions[i]
		if g.ID != strings.ToLower(w.ID) || g.ProductID != w.ProductID || g.StartsAt != gqlTime(t, w.StartDate) ||
			g.ExpiresAt != gqlTime(t, w.ExpirationDate) || g.CreatedAt != gqlTime(t, w.DateCreated) {
			t.Errorf("subscription %d = %+v; want %+v", i, g, w)
		}
	}
	for i := range min(len(got.SupportTickets), len(r.Tickets)) {
		g, w := got.SupportTickets[i], r.Tickets[i]
		if g.ID != strings.ToLower(w.ID) || g.Subject != w.Subject || g.Status != w.Status || g.CreatedAt != gqlTime(t, w.DateCreated) || len(g.Messages) != len(w.Entries) {
			t.Errorf("ticket %d = %+v; want %+v", i, g, w)
			continue
		}
		for j, e := range w.Entries {
			if m := g.Messages[j]; m.ID != strings.ToLower(e.ID) || m.Author != e.Name || m.Message != e.Message || m.CreatedAt != gqlTime(t, e.DateCreated) {
				t.Errorf("ticket %d message %d = %+v; want %+v", i, j, m, e)
			}
		}
	}
	if a, w := got.Affiliate, r.Affiliate; a != nil && w != nil {
		if a.ID != strings.ToLower(w.ID) || a.Enabled != w.IsEnabled || a.Link != w.Link || a.Balance != w.Balance ||
			a.ReturnPercentage != w.ReturnPercentage || a.PercentageOff != w.PercentageOff || a.CreatedAt != gqlTime(t, w.DateCreated) {
			t.Errorf("affiliate = %+v; want %+v", a, w)
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// komerzaSample picks customers of every shape from the simulator: blocked
// and not, with and without subscriptions, tickets and an affiliate.
func komerzaSample(t *testing.T, k *vendorSim) []string {
	t.Helper()
	want := map[string]bool{}
	var ids []string
	for _, c := range k.customers() {
		var r komerzaRecord
		json.Unmarshal(k.raw("/stores/"+testStore+"/customers/"+c.ID), &r)
		shape := fmt.Sprint(r.IsBlocked != nil && *r.IsBlocked, len(r.Subscriptions) > 0, len(r.Tickets) > 0, r.Affiliate != nil)
		if !want[shape] {
			want[shape] = true
			ids = append(ids, c.ID)
		}
		if len(ids) >= 8 {
			break
		}
	}
	if len(ids) < 4 {
		t.Fatalf("the simulator's first customers have only %d shapes; want varied data", len(ids))
	}
	return ids
}

// TestKomerzaFieldMapping reads Komerza customers of every shape by ID
// and compares each field with the simulator's raw record.
func TestKomerzaFieldMapping(t *testing.T) {
	m := newMultiStack(t, 120, "tiquo", "komerza")
	k := m.tenants["komerza"]
	ids := komerzaSample(t, k)
	for _, id := range ids {
		raw := k.raw("/stores/" + testStore + "/customers/" + id)
		var out struct{ Customer komerzaCustomer }
		// Any case of the UUID is the same customer.
		m.query("komerza", `query($id: ID!) { customer(id: $id) { `+komerzaFields+` } }`, map[string]any{"id": strings.ToUpper(id)}, &out)
		checkKomerzaMapping(t, raw, out.Customer)
		if got := k.stats(); got.Get != 1 || got.Total != 1 {
			t.Errorf("lookup of %s by ID cost %+v; want 1 GET", id, got)
		}
	}
	// node finds a Komerza customer by its UUID too, here from the cache.
	var node struct {
		Node *struct{ ID, Vendor string }
	}
	m.query("komerza", `query($id: ID!) { node(id: $id) { id ... on Customer { vendor } } }`, map[string]any{"id": ids[0]}, &node)
	if node.Node == nil || node.Node.ID != ids[0] || node.Node.Vendor != "KOMERZA" {
		t.Errorf("node(%s) = %+v; want the Komerza customer", ids[0], node.Node)
	}
	if got := k.stats(); got.Total != 1 {
		t.Errorf("node of a cached customer cost %d calls; want 0", got.Total-1)
	}
	// The Tiquo tenant's answers keep their shape: a customer number, an
	// updatedAt, and no Komerza fields.
	var tq struct {
		Customer struct {
			Vendor         string
			CustomerNumber *string
			UpdatedAt      *string
			Balance        *float64
			Subscriptions  []struct{ ID string }
			VendorStatus   *string
		}
	}
	m.query("tiquo", `{ customer(customerNumber: "CUST-000001") { vendor customerNumber updatedAt balance subscriptions { id } vendorStatus } }`, nil, &tq)
	if c := tq.Customer; c.Vendor != "TIQUO" || c.CustomerNumber == nil || c.UpdatedAt == nil || c.Balance != nil || len(c.Subscriptions) != 0 || deref(c.VendorStatus) != "active" {
		t.Errorf("Tiquo customer = %+v; want TIQUO with a number, updatedAt, vendorStatus active, no balance or subscriptions", c)
	}
}

func TestKomerzaEmailLookups(t *testing.T) {
	m := newMultiStack(t, 60, "komerza")
	k := m.tenants["komerza"]
	cs := k.customers()
	var mixed *simListed
	for i := range cs {
		if e := cs[i].Email; e != nil && *e != strings.ToLower(*e) {
			mixed = &cs[i]
			break
		}
	}
	if mixed == nil {
		t.Fatal("the simulator stores no email in mixed case")
	}
	k.reset()
	for i, spelling := range []string{strings.ToUpper(*mixed.Email), strings.ToLower(*mixed.Email), " " + *mixed.Email + " "} {
		var out struct{ Customer *struct{ ID, Email string } }
		m.query("komerza", `query($e: String!) { customer(email: $e) { id email } }`, map[string]any{"e": spelling}, &out)
		if out.Customer == nil || out.Customer.ID != mixed.ID || out.Customer.Email != strings.ToLower(*mixed.Email) {
			t.Fatalf("customer(email: %q) = %+v; want %s with its email lower-cased", spelling, out.Customer, mixed.ID)
		}
		if got := k.stats(); got.Get != 1 || got.Total != 1 {
			t.Errorf("after lookup %d: %+v; want the first to cost 1 GET and the repeats none", i+1, got)
		}
	}
	// The email found by is an alias of the ID: a lookup by either kind
	// costs nothing now.
	var out struct {
		A, B *struct{ ID string }
	}
	m.query("komerza", `query($e: String!, $id: ID!) { a: customerByIdentifier(identifier: $e) { id } b: customer(id: $id) { id } }`,
		map[string]any{"e": strings.ToUpper(*mixed.Email), "id": mixed.ID}, &out)
	if out.A == nil || out.B == nil || out.A.ID != mixed.ID || out.B.ID != mixed.ID {
		t.Errorf("customerByIdentifier and customer(id:) = %+v, %+v; want %s", out.A, out.B, mixed.ID)
	}
	if got := k.stats(); got.Total != 1 {
		t.Errorf("lookups by the cached email and ID cost %d calls more; want 0", got.Total-1)
	}
	// The request is the Komerza route by email, path-escaped.
	if rs := k.requests(); len(rs) != 1 || rs[0].Path != "/stores/"+testStore+"/customers/"+strings.ToLower(*mixed.Email)+"/email" {
		t.Errorf("requests %+v; want one GET of the email route", rs)
	}
	// An unknown email is null, and remembered.
	for range 3 {
		var none struct{ Customer *struct{ ID string } }
		m.query("komerza", `{ customer(email: "nobody.here@example.com") { id } }`, nil, &none)
		if none.Customer != nil {
			t.Errorf("unknown email = %+v; want null", none.Customer)
		}
	}
	if got := k.stats(); got.Total != 2 {
		t.Errorf("3 lookups of an unknown email cost %d calls; want 1", got.Total-1)
	}
}

func TestKomerzaWalk(t *testing.T) {
	m := newMultiStack(t, 250, "komerza")
	k := m.tenants["komerza"]
	want := k.customers()
	var all, cursors []string
	var after any
	for i := 0; ; i++ {
		if i > 20 {
			t.Fatal("the connection did not end after 20 pages")
		}
		var p struct {
			Customers struct {
				Edges []struct {
					Cursor string
					Node   struct{ ID string }
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		m.query("komerza", `query($after: String) { customers(first: 37, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after}, &p)
		for _, e := range p.Customers.Edges {
			all, cursors = append(all, e.Node.ID), append(cursors, e.Cursor)
		}
		if !p.Customers.PageInfo.HasNextPage {
			break
		}
		after = *p.Customers.PageInfo.EndCursor
	}
	if len(all) != len(want) {
		t.Fatalf("walked %d customers; want %d", len(all), len(want))
	}
	for i, id := range all {
		if id != want[i].ID {
			t.Fatalf("customer %d is %s; want %s (every customer once, in order)", i, id, want[i].ID)
		}
	}
	// after any edge continues right behind it, across Komerza's pages.
	for _, tt := range []struct{ edge, first int }{{10, 5}, {98, 5}, {99, 1}, {150, 100}, {248, 5}, {249, 3}} {
		var p struct {
			Customers struct {
				Nodes    []struct{ ID string }
				PageInfo struct{ HasNextPage bool }
			}
		}
		m.query("komerza", `query($after: String, $first: Int) { customers(first: $first, after: $after) { nodes { id } pageInfo { hasNextPage } } }`,
			map[string]any{"after": cursors[tt.edge], "first": tt.first}, &p)
		wantIDs := all[tt.edge+1 : min(len(all), tt.edge+1+tt.first)]
		var got []string
		for _, n := range p.Customers.Nodes {
			got = append(got, n.ID)
		}
		if strings.Join(got, ",") != strings.Join(wantIDs, ",") {
			t.Errorf("after edge %d, first %d: got %v; want %v", tt.edge, tt.first, got, wantIDs)
		}
		if wantNext := tt.edge+1+tt.first < len(all); p.Customers.PageInfo.HasNextPage != wantNext {
			t.Errorf("after edge %d, first %d: hasNextPage = %v; want %v", tt.edge, tt.first, p.Customers.PageInfo.HasNextPage, wantNext)
		}
	}
	// Komerza's pages are numbered: the requests ask for them by number.
	for _, r := range k.requests() {
		if r.Path != "/stores/"+testStore+"/customers" || !strings.Contains(r.Query, "Page=") {
			t.Errorf("request %s %s?%s; want the numbered list route", r.Method, r.Path, r.Query)
		}
	}
}

// TestKomerzaDetailBatched asks a page for the fields Komerza's list does
// not return: they are read in one concurrent batch, and then served from
// the cache.
func TestKomerzaDetailBatched(t *testing.T) {
	m := newMultiStack(t, 60, "komerza")
	k := m.tenants["komerza"]
	k.reset()
	// GETs take a while, so that a concurrent batch shows as overlapping.
	k.faults(`{"latency": "250ms", "routes": ["get"]}`)
	q := `{ customers(first: 20) { nodes { id email balance ipAddress subscriptions { id } affiliate { id } } } }`
	var out struct {
		Customers struct {
			Nodes []struct {
				ID        string
				Balance   *float64
				IPAddress *string
			}
		}
	}
	m.query("komerza", q, nil, &out)
	if n := len(out.Customers.Nodes); n != 20 {
		t.Fatalf("got %d customers; want 20", n)
	}
	for _, n := range out.Customers.Nodes {
		if n.Balance == nil || n.IPAddress == nil {
			t.Errorf("customer %s: balance %v, ipAddress %v; want both", n.ID, n.Balance, n.IPAddress)
		}
	}
	st := k.stats()
	if st.List != 1 || st.Get != 20 {
		t.Errorf("a page of 20 with detail fields cost %+v; want 1 list and 20 GETs", st)
	}
	if st.PeakInFlight < 2 {
		t.Errorf("peak in flight %d; want the 20 GETs to overlap", st.PeakInFlight)
	}
	// The same page again: the list, and the detail from the cache.
	k.faults("")
	k.reset()
	m.query("komerza", q, nil, &out)
	if st := k.stats(); st.List != 1 || st.Get != 0 {
		t.Errorf("the page again cost %+v; want 1 list and 0 GETs", st)
	}
	// A page that asks no detail field costs no GET at all.
	k.reset()
	m.query("komerza", `{ customers(first: 30) { nodes { id email status vendorStatus totalSpent createdAt } } }`, nil, nil)
	if st := k.stats(); st.List != 1 || st.Get != 0 {
		t.Errorf("a page without detail fields cost %+v; want 1 list", st)
	}
}

func TestKomerzaSearch(t *testing.T) {
	m := newMultiStack(t, 200, "komerza")
	k := m.tenants["komerza"]
	cs := k.customers()
	term := strings.Split(*cs[7].Email, "@")[0]
	k.reset()
	var out struct {
		Customers struct{ Nodes []struct{ ID, Email string } }
	}
	m.query("komerza", `query($s: String) { customers(first: 50, search: $s) { nodes { id email } } }`, map[string]any{"s": term}, &out)
	found := false
	for _, n := range out.Customers.Nodes {
		found = found || n.ID == cs[7].ID
		if !strings.Contains(n.Email, strings.ToLower(term)) {
			t.Errorf("search %q returned %s; want only emails containing it", term, n.Email)
		}
	}
	if !found {
		t.Errorf("search %q did not return %s", term, cs[7].ID)
	}
	if rs := k.requests(); len(rs) != 1 || !strings.HasPrefix(rs[0].Path, "/stores/"+testStore+"/customers/search/") {
		t.Errorf("requests %+v; want one search", rs)
	}
}

func TestKomerzaBalanceUpdate(t *testing.T) {
	m := newMultiStack(t, 30, "komerza")
	k := m.tenants["komerza"]
	c := k.customers()[3]
	email := strings.ToLower(*c.Email)
	// Cached under ID and email first, with the old balance.
	var before struct{ Customer struct{ Balance float64 } }
	m.query("komerza", `query($e: String!) { customer(email: $e) { balance } }`, map[string]any{"e": email}, &before)
	k.reset()

	newBalance := before.Customer.Balance + 12.5
	var out struct {
		UpdateCustomer struct {
			Customer *struct {
				ID      string
				Balance float64
			}
			UserErrors []struct {
				Field   []string
				Code    string
				Message string
			}
		}
	}
	m.query("komerza", `mutation($id: ID!, $b: Float!) { updateCustomer(id: $id, input: {balance: $b, balanceComment: "goodwill credit"}) {
		customer { id balance } userErrors { field code message } } }`, map[string]any{"id": c.ID, "b": newBalance}, &out)
	if u := out.UpdateCustomer; len(u.UserErrors) > 0 || u.Customer == nil || u.Customer.Balance != newBalance {
		t.Fatalf("updateCustomer = %+v; want the customer with balance %v", u, newBalance)
	}
	rs := k.requests()
	if len(rs) != 1 || rs[0].Method != "PATCH" || rs[0].Path != "/stores/"+testStore+"/customers/"+c.ID+"/balance" ||
		!jsonEqual([]byte(rs[0].Body), fmt.Appendf(nil, `{"newBalance": %v, "comment": "goodwill credit"}`, newBalance)) {
		t.Fatalf("requests %+v; want one PATCH of the balance with the new balance and comment", rs)
	}
	// Written through: by ID and by email, the new balance, no call.
	k.reset()
	var after struct {
		A, B struct{ Balance float64 }
	}
	m.query("komerza", `query($e: String!, $id: ID!) { a: customer(email: $e) { balance } b: customer(id: $id) { balance } }`,
		map[string]any{"e": email, "id": c.ID}, &after)
	if after.A.Balance != newBalance || after.B.Balance != newBalance {
		t.Errorf("after the update: by email %v, by ID %v; want %v", after.A.Balance, after.B.Balance, newBalance)
	}
	if st := k.stats(); st.Total != 0 {
		t.Errorf("reads after the update cost %+v; want none", st)
	}
	// The simulator has it.
	var r komerzaRecord
	json.Unmarshal(k.raw("/stores/"+testStore+"/customers/"+c.ID), &r)
	if r.Balance == nil || *r.Balance != newBalance {
		t.Errorf("simulator balance %v; want %v", deref(r.Balance), newBalance)
	}
}

// TestNotSupported: what a tenant's vendor cannot serve is refused before
// any upstream call, naming the vendor.
func TestNotSupported(t *testing.T) {
	m := newMultiStack(t, 20, "komerza", "tiquo")
	k := m.tenants["komerza"]
	id := k.customers()[0].ID
	k.reset()
	for _, q := range []string{
		`{ customer(phone: "+1 555 456 7890") { id } }`,
		`{ customer(customerNumber: "CUST-000001") { id } }`,
		`{ customerByIdentifier(identifier: "+15554567890") { id } }`,
		`{ customerByIdentifier(identifier: "15554567890") { id } }`,
		`{ customerByIdentifier(identifier: "cust-000001") { id } }`,
		`{ customers(status: ACTIVE) { nodes { id } } }`,
		`{ customers(parameter: {name: "Loyalty Tier"}) { nodes { id } } }`,
	} {
		r := m.post("komerza", q, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "NOT_SUPPORTED" || r.Errors[0].Extensions["vendor"] != "komerza" {
			t.Errorf("%s: errors %+v; want NOT_SUPPORTED naming komerza", q, r.Errors)
		}
	}
	// Update fields Komerza has no place for: a user error each, nothing
	// sent, even beside a field it can update.
	for _, tt := range []struct {
		input  string
		fields []string
	}{
		{`{firstName: "Ann"}`, []string{"firstName"}},
		{`{balance: 5, tags: ["vip"], phone: "+15554567890"}`, []string{"phone", "tags"}},
		{`{email: "ann@example.com", address: {city: "Oslo"}}`, []string{"email", "address"}},
	} {
		var out struct {
			UpdateCustomer struct {
				Customer   *struct{ ID string }
				UserErrors []struct {
					Field []string
					Code  string
				}
			}
		}
		m.query("komerza", `mutation($id: ID!) { updateCustomer(id: $id, input: `+tt.input+`) { customer { id } userErrors { field code } } }`, map[string]any{"id": id}, &out)
		var got []string
		for _, e := range out.UpdateCustomer.UserErrors {
			if e.Code != "NOT_SUPPORTED" || len(e.Field) != 2 || e.Field[0] != "input" {
				t.Errorf("%s: user error %+v; want NOT_SUPPORTED on an input field", tt.input, e)
			}
			got = append(got, e.Field[len(e.Field)-1])
		}
		if strings.Join(got, ",") != strings.Join(tt.fields, ",") || out.UpdateCustomer.Customer != nil {
			t.Errorf("%s: user errors on %v, customer %v; want NOT_SUPPORTED on %v and no customer", tt.input, got, out.UpdateCustomer.Customer, tt.fields)
		}
	}
	// And for Tiquo, the Komerza-only input and Komerza's filters.
	var out struct {
		UpdateCustomer struct{ UserErrors []struct{ Code string } }
	}
	m.query("tiquo", `mutation { updateCustomer(id: "k1234567890abcdef", input: {balance: 3}) { userErrors { code } } }`, nil, &out)
	if u := out.UpdateCustomer.UserErrors; len(u) != 1 || u[0].Code != "NOT_SUPPORTED" {
		t.Errorf("Tiquo balance update: %+v; want NOT_SUPPORTED", u)
	}
	for v, sim := range m.tenants {
		if st := sim.stats(); st.Total != 0 {
			t.Errorf("%s: what was refused cost %+v; want no call", v, st)
		}
	}
}

// TestIDsPerVendor: an ID in another vendor's syntax is BAD_USER_INPUT
// and costs no call.
func TestIDsPerVendor(t *testing.T) {
	m := newMultiStack(t, 20, "komerza", "tiquo")
	for _, tt := range []struct{ vendor, query string }{
		{"komerza", `{ customer(id: "k1234567890abcdef") { id } }`},
		{"komerza", `{ node(id: "k1234567890abcdef") { id } }`},
		{"komerza", `{ customer(id: "3c90c3cc-0d44-4b50-8888") { id } }`},
		{"komerza", `{ customer(id: "42") { id } }`},
		{"komerza", `{ customerByIdentifier(identifier: "k1234567890abcdef") { id } }`},
		{"komerza", `{ customer(email: "not-an-email") { id } }`},
		{"tiquo", `{ customer(id: "3c90c3cc-0d44-4b50-8888-8dd25736052a") { id } }`},
		{"tiquo", `{ node(id: "3c90c3cc-0d44-4b50-8888-8dd25736052a") { id } }`},
	} {
		r := m.post(tt.vendor, tt.query, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("%s: %s: errors %+v; want BAD_USER_INPUT", tt.vendor, tt.query, r.Errors)
		}
	}
	var out struct {
		UpdateCustomer struct {
			UserErrors []struct{ Code, Message string }
		}
	}
	m.query("komerza", `mutation { updateCustomer(id: "k123", input: {balance: 1}) { userErrors { code message } } }`, nil, &out)
	if u := out.UpdateCustomer.UserErrors; len(u) != 1 || u[0].Code != "INVALID" || !strings.Contains(u[0].Message, "UUID") {
		t.Errorf("update of a non-UUID: %+v; want INVALID naming the UUID", u)
	}
	for v, sim := range m.tenants {
		if st := sim.stats(); st.Total != 0 {
			t.Errorf("%s: invalid IDs cost %+v; want no call", v, st)
		}
	}
}

// TestVendorsIsolated: a Tiquo and a Komerza tenant on one Redis never see
// each other's entries.
func TestVendorsIsolated(t *testing.T) {
	m := newMultiStack(t, 30, "tiquo", "komerza")
	tq, k := m.tenants["tiquo"], m.tenants["komerza"]
	tc, kc := tq.customers()[0], k.customers()[0]
	// Each reads its own customer by email, then asks for the other's.
	m.query("tiquo", `query($e: String!) { customer(email: $e) { id } }`, map[string]any{"e": *tc.Email}, nil)
	m.query("komerza", `query($e: String!) { customer(email: $e) { id } }`, map[string]any{"e": *kc.Email}, nil)
	var a, b struct{ Customer *struct{ ID string } }
	m.query("komerza", `query($e: String!) { customer(email: $e) { id } }`, map[string]any{"e": *tc.Email}, &a)
	m.query("tiquo", `query($e: String!) { customer(email: $e) { id } }`, map[string]any{"e": *kc.Email}, &b)
	if a.Customer != nil || b.Customer != nil {
		t.Errorf("cross-tenant lookups = %+v, %+v; want null for both", a.Customer, b.Customer)
	}
	// Each asked its own upstream: 2 GETs each.
	if st := k.stats(); st.Get != 2 {
		t.Errorf("komerza: %+v; want 2 GETs (its own customer, then the other's email)", st)
	}
	if st := tq.stats(); st.Get != 2 {
		t.Errorf("tiquo: %+v; want 2 GETs", st)
	}
	// The cache: every key in one of the two namespaces, each with keys,
	// and the namespaces differ.
	nsT := m.cfg.Tenants[0].namespace(tq.url, tq.upstreamKey, m.cfg.CacheNamespace)
	nsK := m.cfg.Tenants[1].namespace(k.url, k.upstreamKey, m.cfg.CacheNamespace)
	if nsT == nsK {
		t.Fatal("the two tenants share a namespace")
	}
	rdb := cachetest.Client(t)
	counts := map[string]int{}
	for v, ns := range map[string]string{"tiquo": nsT, "komerza": nsK} {
		keys, err := rdb.Keys(t.Context(), "*"+ns+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		counts[v] = len(keys)
	}
	if counts["tiquo"] == 0 || counts["komerza"] == 0 {
		t.Errorf("keys per tenant %v; want both tenants to have cached entries", counts)
	}
}

// TestKomerzaSlowReadDoesNotOverwriteUpdate: Komerza has no update time,
// so a record is versioned by when the facade knew it current. A read
// answered before a balance update but landing after it must not replace
// the updated record, under the ID or the email.
func TestKomerzaSlowReadDoesNotOverwriteUpdate(t *testing.T) {
	m := newMultiStackWith(t, multiOptions{customers: 10, vendors: []string{"komerza"},
		wrap: func(_ string, sim http.Handler) http.Handler {
			// GETs of one customer are answered at once, but their
			// responses take 400ms to arrive.
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet && strings.Count(r.URL.Path, "/") >= 4 && !strings.Contains(r.URL.Path, "/search/") {
					rec := httptest.NewRecorder()
					sim.ServeHTTP(rec, r)
					time.Sleep(400 * time.Millisecond)
					for k, v := range rec.Header() {
						w.Header()[k] = v
					}
					w.WriteHeader(rec.Code)
					w.Write(rec.Body.Bytes())
					return
				}
				sim.ServeHTTP(w, r)
			})
		}})
	k := m.tenants["komerza"]
	c := k.customers()[2]
	email := strings.ToLower(*c.Email)
	done := make(chan *response)
	go func() {
		done <- m.post("komerza", `query($e: String!) { customer(email: $e) { balance } }`, map[string]any{"e": email})
	}()
	time.Sleep(150 * time.Millisecond) // the read has been answered, in transit
	var upd struct {
		UpdateCustomer struct{ Customer *struct{ Balance float64 } }
	}
	m.query("komerza", `mutation($id: ID!) { updateCustomer(id: $id, input: {balance: 4242.5}) { customer { balance } } }`, map[string]any{"id": c.ID}, &upd)
	if u := upd.UpdateCustomer.Customer; u == nil || u.Balance != 4242.5 {
		t.Fatalf("update = %+v; want balance 4242.5", u)
	}
	if r := <-done; len(r.Errors) > 0 {
		t.Fatalf("slow read: %+v", r.Errors)
	}
	time.Sleep(50 * time.Millisecond) // the slow read's write-back lands
	k.reset()
	var out struct {
		A, B struct{ Balance float64 }
	}
	m.query("komerza", `query($e: String!, $id: ID!) { a: customer(email: $e) { balance } b: customer(id: $id) { balance } }`,
		map[string]any{"e": email, "id": c.ID}, &out)
	if out.A.Balance != 4242.5 || out.B.Balance != 4242.5 {
		t.Errorf("after the update: by email %v, by ID %v; want 4242.5 for both", out.A.Balance, out.B.Balance)
	}
	if st := k.stats(); st.Total != 0 {
		t.Errorf("reads after the update cost %+v; want none (served from the write-through)", st)
	}
}
