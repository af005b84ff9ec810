package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/cache/cachetest"
	"customergraph/internal/sim/tiquosim"
)

type page struct {
	Customers struct {
		Edges []struct {
			Cursor string
			Node   struct{ CustomerNumber string }
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
	}
}

const pageQuery = `query($first: Int, $after: String) {
  customers(first: $first, after: $after) {
    edges { cursor node { customerNumber } }
    pageInfo { hasNextPage endCursor }
  }
}`

func TestWalkConnection(t *testing.T) {
	s := newStack(t, stackOptions{customers: 250})
	var all []string
	var cursors []string
	after := any(nil)
	for i := 0; ; i++ {
		if i > 20 {
			t.Fatal("connection did not end after 20 pages")
		}
		var p page
		s.query(pageQuery, map[string]any{"first": 37, "after": after}, &p)
		for _, e := range p.Customers.Edges {
			all = append(all, e.Node.CustomerNumber)
			cursors = append(cursors, e.Cursor)
		}
		if !p.Customers.PageInfo.HasNextPage {
			break
		}
		after = *p.Customers.PageInfo.EndCursor
	}
	if len(all) != 250 {
		t.Fatalf("walked %d customers; want 250", len(all))
	}
	seen := map[string]bool{}
	for i, n := range all {
		if want := fmt.Sprintf("CUST-%06d", i+1); n != want {
			t.Fatalf("customer %d is %s; want %s", i, n, want)
		}
		if seen[n] {
			t.Fatalf("%s returned twice", n)
		}
		seen[n] = true
	}
	// One upstream list call per page: the end cursor of a full upstream
	// page points straight at the next one.
	if got := s.stats(); got.List != 7 || got.Get != 0 {
		t.Errorf("walking 250 customers 37 at a time cost %+v; want 7 list calls and no GETs", got)
	}

	// after any edge, even mid-page, continues right behind it.
	for _, tt := range []struct{ edge, first int }{
		{10, 5},   // mid-page
		{30, 20},  // mid-page, past the end of the page it came from
		{36, 3},   // a page's last edge
		{90, 100}, // far into a page, more than one upstream page long
		{248, 5},  // near the end: only one left
		{249, 5},  // the very last edge: nothing after it
	} {
		var p page
		s.query(pageQuery, map[string]any{"first": tt.first, "after": cursors[tt.edge]}, &p)
		want := all[tt.edge+1 : min(len(all), tt.edge+1+tt.first)]
		var got []string
		for _, e := range p.Customers.Edges {
			got = append(got, e.Node.CustomerNumber)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("after edge %d, first %d: got %v; want %v", tt.edge, tt.first, got, want)
		}
		if wantNext := tt.edge+1+tt.first < len(all); p.Customers.PageInfo.HasNextPage != wantNext {
			t.Errorf("after edge %d, first %d: hasNextPage = %v; want %v", tt.edge, tt.first, p.Customers.PageInfo.HasNextPage, wantNext)
		}
	}
}

// A cursor is given wherever a query selects one, through aliases,
// fragments and @include, and it continues right behind its edge.
func TestCursorsWhereverSelected(t *testing.T) {
	s := newStack(t, stackOptions{})
	var want page
	s.query(pageQuery, map[string]any{"first": 3}, &want)
	next := func(cursor string) string {
		t.Helper()
		var p page
		s.query(pageQuery, map[string]any{"first": 1, "after": cursor}, &p)
		if len(p.Customers.Edges) != 1 {
			t.Fatalf("after %q: %+v", cursor, p)
		}
		return p.Customers.Edges[0].Node.CustomerNumber
	}
	edges := want.Customers.Edges
	for _, tt := range []struct {
		name, query string
		vars        map[string]any
		edge        int // the edge the cursor at path is of
		path        []string
	}{
		{"alias", `{ customers(first: 3) { e: edges { c: cursor } } }`, nil, 1, []string{"e", "1", "c"}},
		{"fragment", `{ customers(first: 3) { ...P } } fragment P on CustomerConnection { pageInfo { startCursor } }`, nil, 0,
			[]string{"pageInfo", "startCursor"}},
		{"inline fragment", `{ customers(first: 3) { ... on CustomerConnection { pageInfo { endCursor } } } }`, nil, 2,
			[]string{"pageInfo", "endCursor"}},
		{"included", `query($c: Boolean!) { customers(first: 3) { edges { cursor @include(if: $c) } } }`, map[string]any{"c": true}, 2,
			[]string{"edges", "2", "cursor"}},
		{"beside a skipped one", `query($c: Boolean!) { customers(first: 3) { edges @skip(if: $c) { cursor } pageInfo { endCursor } } }`,
			map[string]any{"c": true}, 2, []string{"pageInfo", "endCursor"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out struct{ Customers any }
			s.query(tt.query, tt.vars, &out)
			v := out.Customers
			for _, k := range tt.path {
				switch x := v.(type) {
				case map[string]any:
					v = x[k]
				case []any:
					var i int
					fmt.Sscan(k, &i)
					v = x[i]
				}
			}
			cursor, _ := v.(string)
			if cursor == "" {
				t.Fatalf("%v: %#v; want a cursor", tt.path, out.Customers)
			}
			if got, want := next(cursor), next(edges[tt.edge].Cursor); got != want {
				t.Errorf("after the cursor at %v: %s; want %s", tt.path, got, want)
			}
		})
	}
}

func TestConnectionArguments(t *testing.T) {
	s := newStack(t, stackOptions{})
	var p page
	s.query(pageQuery, map[string]any{"first": 2}, &p)
	cursor := p.Customers.Edges[0].Cursor
	s.resetStats()
	for _, q := range []string{
		`{ customers(first: 0) { nodes { id } } }`,
		`{ customers(first: 101) { nodes { id } } }`,
		`{ customers(first: -1) { nodes { id } } }`,
		`{ customers(after: "not-a-cursor") { nodes { id } } }`,
		`{ customers(after: "` + cursor + `x") { nodes { id } } }`,
		`{ customers(after: "` + cursor + `", status: ACTIVE) { nodes { id } } }`, // cursor of other filters
		`{ customers(search: "john", parameter: {name: "Loyalty Tier"}) { nodes { id } } }`,
		`{ customers(parameter: {}) { nodes { id } } }`,
		`{ customers(parameter: {value: "Gold"}) { nodes { id } } }`,
		`{ customers(parameter: {id: "system_source", name: "Source"}) { nodes { id } } }`,
		`{ customers(status: UNKNOWN) { nodes { id } } }`,
		`{ customers(search: "` + strings.Repeat("x", 300) + `") { nodes { id } } }`,
	} {
		r := s.post(q, nil)
		if got := r.code("customers"); got != "BAD_USER_INPUT" {
			t.Errorf("%s: got code %q (%+v); want BAD_USER_INPUT", q, got, r.Errors)
		}
	}
	if got := s.stats(); got.Total != 0 {
		t.Errorf("invalid arguments cost %d upstream calls; want 0", got.Total)
	}

	// Parameter filters carry the parameter's value on each edge.
	var pv struct {
		Customers struct {
			Edges []struct{ ParameterValue *string }
		}
	}
	s.query(`{ customers(first: 10, parameter: {name: "Loyalty Tier", value: "Gold"}) { edges { parameterValue } } }`, nil, &pv)
	if len(pv.Customers.Edges) == 0 {
		t.Fatal("no Gold customers")
	}
	for _, e := range pv.Customers.Edges {
		if e.ParameterValue == nil || *e.ParameterValue != "Gold" {
			t.Errorf("parameterValue = %v; want Gold", e.ParameterValue)
		}
	}
}

func TestPhoneFormatsAndEmailCase(t *testing.T) {
	s := newStack(t, stackOptions{})
	for _, ident := range []string{
		"+1 (555) 456-7890", "+15554567890", "00 1 555 456 7890",
		"0015554567890", "1 555 456 7890", "15554567890",
		"JOHN@Example.com", "john@example.com", "cust-000001", "k1234567890abcdef",
	} {
		var out struct{ CustomerByIdentifier *struct{ ID, Phone string } }
		s.query(`query($i: String!) { customerByIdentifier(identifier: $i) { id phone } }`, map[string]any{"i": ident}, &out)
		if c := out.CustomerByIdentifier; c == nil || c.ID != "k1234567890abcdef" || c.Phone != "+15554567890" {
			t.Errorf("customerByIdentifier(%q) = %+v; want k1234567890abcdef with phone +15554567890", ident, c)
		}
	}
	// The phone formats are one key, and the customer found by phone is
	// cached under its email, number and ID too: one GET in all.
	if got := s.stats(); got.Get != 1 || got.Total != 1 {
		t.Errorf("10 lookups of one customer cost %+v; want 1 GET", got)
	}
}

// TestAliasedLookupsBatch is the benchmark's W3: one query, 100 aliased
// lookups of 50 customers in mixed spellings.
func TestAliasedLookupsBatch(t *testing.T) {
	s := newStack(t, stackOptions{})
	cs := s.customers(50)
	var b strings.Builder
	b.WriteString("{")
	for i, c := range cs {
		// Two spellings of the same identifier per customer, kinds mixed
		// across customers.
		var x, y string
		switch i % 3 {
		case 0:
			x, y = strings.ToUpper(*c.Email), " "+*c.Email+" "
		case 1:
			x, y = spaced(*c.Phone), "00"+strings.TrimPrefix(*c.Phone, "+")
		case 2:
			x, y = strings.ToLower(c.CustomerNumber), c.CustomerNumber
		}
		fmt.Fprintf(&b, "a%d: customerByIdentifier(identifier: %q) { id } b%d: customerByIdentifier(identifier: %q) { id }\n", i, x, i, y)
	}
	b.WriteString("}")
	q := b.String()

	check := func() {
		var out map[string]*struct{ ID string }
		s.query(q, nil, &out)
		for i, c := range cs {
			for _, alias := range []string{fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)} {
				if got := out[alias]; got == nil || got.ID != c.ID {
					t.Errorf("%s = %+v; want %s", alias, got, c.ID)
				}
			}
		}
	}
	check()
	if got := s.stats(); got.Get > 50 || got.Total != got.Get {
		t.Errorf("100 lookups of 50 customers, cold: %+v; want at most 50 GETs and nothing else", got)
	}
	s.resetStats()
	check()
	if got := s.stats(); got.Total != 0 {
		t.Errorf("100 lookups of 50 customers, warm: %d upstream calls; want 0", got.Total)
	}
}

// spaced writes an E.164 number the way people do: +1 (555) 456-7890.
func spaced(e164 string) string {
	d := strings.TrimPrefix(e164, "+")
	if len(d) < 8 {
		return e164
	}
	return fmt.Sprintf("+%s (%s) %s-%s", d[:len(d)-10], d[len(d)-10:len(d)-7], d[len(d)-7:len(d)-4], d[len(d)-4:])
}

func TestListPrimesLookupsAndBatchesDetails(t *testing.T) {
	s := newStack(t, stackOptions{})
	var list struct {
		Customers struct {
			Nodes []struct {
				ID, CustomerNumber string
				Email, Phone       *string
			}
		}
	}
	s.query(`{ customers(first: 50) { nodes { id customerNumber email phone } } }`, nil, &list)
	if got := s.stats(); got.List != 1 || got.Get != 0 {
		t.Fatalf("customers(first: 50) cost %+v; want 1 list call", got)
	}
	s.resetStats()
	n := 0
	for _, c := range list.Customers.Nodes {
		if c.Email == nil || c.Phone == nil || n == 10 {
			continue
		}
		n++
		for _, ident := range []string{*c.Email, spaced(*c.Phone), c.CustomerNumber, c.ID} {
			var out struct{ CustomerByIdentifier *struct{ ID string } }
			s.query(`query($i: String!) { customerByIdentifier(identifier: $i) { id } }`, map[string]any{"i": ident}, &out)
			if out.CustomerByIdentifier == nil || out.CustomerByIdentifier.ID != c.ID {
				t.Errorf("lookup %q = %+v; want %s", ident, out.CustomerByIdentifier, c.ID)
			}
		}
	}
	if got := s.stats(); got.Total != 0 {
		t.Errorf("40 lookups of listed customers cost %d upstream calls; want 0", got.Total)
	}

	// Detail fields the list lacks (the benchmark's W2): one list call,
	// then one concurrent batch of GETs (the simulator's latency makes them
	// overlap, with room for a loaded machine to start all 50).
	s.resetStats()
	s.sim.SetFaults(tiquosim.Faults{Latency: 250 * time.Millisecond, Routes: []string{"get"}})
	var details struct {
		Customers struct {
			Nodes []struct{ MarketingOptIn *bool }
		}
	}
	s.query(`{ customers(first: 50) { nodes { marketingOptIn smsOptIn tags } } }`, nil, &details)
	s.sim.ClearFaults()
	st := s.stats()
	if st.List != 1 || st.Get > 50 {
		t.Errorf("customers(first: 50) with detail fields cost %+v; want 1 list and at most 50 GETs", st)
	}
	if peak := st.PeakInFlight; peak < st.Get {
		t.Errorf("peak concurrent upstream calls = %d; want all %d GETs in one concurrent batch", peak, st.Get)
	}
	for i, c := range details.Customers.Nodes {
		if c.MarketingOptIn == nil {
			t.Errorf("node %d: marketingOptIn is null", i)
		}
	}
	// The same page again: the details are cached with the listed version.
	s.resetStats()
	s.query(`{ customers(first: 50) { nodes { marketingOptIn smsOptIn tags } } }`, nil, &details)
	if got := s.stats(); got.List != 1 || got.Get != 0 {
		t.Errorf("repeated page with details cost %+v; want 1 list call and no GETs", got)
	}
}

func TestUpdateWritesThrough(t *testing.T) {
	s := newStack(t, stackOptions{})
	c := s.customers(3)[2]
	oldPhone := *c.Phone
	// Warm the cache under every identifier.
	for _, ident := range []string{c.ID, oldPhone, *c.Email, c.CustomerNumber} {
		s.query(`query($i: String!) { customerByIdentifier(identifier: $i) { id } }`, map[string]any{"i": ident}, nil)
	}
	s.resetStats()

	var upd struct {
		UpdateCustomer struct {
			Customer   *struct{ ID, Phone string }
			UserErrors []map[string]any
		}
	}
	s.query(`mutation($id: ID!) { updateCustomer(id: $id, input: {phone: "+1 (202) 555-0199"}) {
	  customer { id phone } userErrors { field message code } } }`, map[string]any{"id": c.ID}, &upd)
	if u := upd.UpdateCustomer; len(u.UserErrors) != 0 || u.Customer == nil || u.Customer.Phone != "+12025550199" {
		t.Fatalf("updateCustomer = %+v; want the customer with phone +12025550199", u)
	}
	reqs := s.requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPatch || reqs[0].Path != "/customers/"+c.ID {
		t.Fatalf("upstream requests = %+v; want one PATCH /customers/%s", reqs, c.ID)
	}
	if got, want := reqs[0].Body, `{"phone":"+12025550199"}`; got != want {
		t.Errorf("PATCH body = %s; want %s", got, want)
	}

	s.resetStats()
	var out struct {
		New  *struct{ ID string }
		ByID *struct{ Phone string }
	}
	s.query(`query($id: ID!) { new: customer(phone: "0012025550199") { id } byID: customer(id: $id) { phone } }`, map[string]any{"id": c.ID}, &out)
	if out.New == nil || out.New.ID != c.ID {
		t.Errorf("lookup by the new phone = %+v; want %s", out.New, c.ID)
	}
	if out.ByID == nil || out.ByID.Phone != "+12025550199" {
		t.Errorf("customer(id).phone = %+v; want +12025550199", out.ByID)
	}
	if got := s.stats(); got.Total != 0 {
		t.Errorf("reads right after the update cost %d upstream calls; want 0", got.Total)
	}
	// The old phone's alias is gone from Redis, not merely outvoted.
	ns := cache.Namespace(s.simURL, string(s.cfg.UpstreamAPIKey), s.cfg.CacheNamespace)
	rdb := cachetest.Client(t)
	oldKey := cache.NewKeyspace(ns).Alias("phone", oldPhone)
	if n := rdb.Exists(t.Context(), oldKey).Val(); n != 0 {
		t.Errorf("the old phone's alias %s is still in Redis after the update", oldKey)
	}
	newKey := cache.NewKeyspace(ns).Alias("phone", "+12025550199")
	if n := rdb.Exists(t.Context(), newKey).Val(); n != 1 {
		t.Errorf("the new phone's alias %s is not in Redis after the update", newKey)
	}
	var old struct{ Customer *struct{ ID string } }
	s.query(`query($p: String!) { customer(phone: $p) { id } }`, map[string]any{"p": oldPhone}, &old)
	if old.Customer != nil {
		t.Errorf("lookup by the old phone = %+v; want null", old.Customer)
	}
}

func TestUpdateUserErrors(t *testing.T) {
	s := newStack(t, stackOptions{})
	cs := s.customers(2)
	tests := []struct {
		name  string
		id    string
		input string
		code  string
		field []string
		calls int
	}{
		{"taken", cs[0].ID, fmt.Sprintf(`{email: %q}`, strings.ToUpper(*cs[1].Email)), "TAKEN", []string{"input", "email"}, 1},
		{"bad email", cs[0].ID, `{email: "foo@"}`, "INVALID", []string{"input", "email"}, 0},
		{"bad phone", cs[0].ID, `{phone: "+1 555 CALL NOW"}`, "INVALID", []string{"input", "phone"}, 0},
		{"phone given an email", cs[0].ID, `{phone: "a@b.co"}`, "INVALID", []string{"input", "phone"}, 0},
		{"null opt-in", cs[0].ID, `{marketingOptIn: null}`, "INVALID", []string{"input", "marketingOptIn"}, 0},
		{"long name", cs[0].ID, `{firstName: "` + strings.Repeat("x", 101) + `"}`, "INVALID", []string{"input", "firstName"}, 0},
		{"bad id", "../x", `{notes: "x"}`, "INVALID", []string{"id"}, 0},
		{"unknown id", "kzzzzzzzzzzzzzzzz", `{notes: "x"}`, "NOT_FOUND", []string{"id"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.resetStats()
			r := s.post(`mutation($id: ID!) { updateCustomer(id: $id, input: `+tt.input+`) { customer { id } userErrors { field message code } } }`,
				map[string]any{"id": tt.id})
			if len(r.Errors) != 0 {
				t.Fatalf("top-level errors %+v; want none", r.Errors)
			}
			var out struct {
				UpdateCustomer struct {
					Customer   *struct{ ID string }
					UserErrors []struct {
						Field   []string
						Message string
						Code    string
					}
				}
			}
			json.Unmarshal(r.Data, &out)
			u := out.UpdateCustomer
			if u.Customer != nil || len(u.UserErrors) != 1 {
				t.Fatalf("payload = %+v; want one user error and no customer", u)
			}
			if e := u.UserErrors[0]; e.Code != tt.code || strings.Join(e.Field, ".") != strings.Join(tt.field, ".") || e.Message == "" {
				t.Errorf("user error = %+v; want code %s on %v", e, tt.code, tt.field)
			}
			if got := s.stats(); int(got.Total) != tt.calls {
				t.Errorf("cost %d upstream calls; want %d", got.Total, tt.calls)
			}
		})
	}
}

func TestUpdateSendsOnlyPresentFields(t *testing.T) {
	s := newStack(t, stackOptions{})
	c := s.customers(1)[0]
	var out struct {
		UpdateCustomer struct {
			Customer struct {
				Notes          *string
				Tags           []string
				MarketingOptIn *bool
				DateOfBirth    *string
				Address        *struct{ Line1, City *string }
			}
		}
	}
	s.query(`mutation($id: ID!) { updateCustomer(id: $id, input: {
	    notes: null, tags: ["vip"], marketingOptIn: false, dateOfBirth: "1990-05-15", address: {line1: "456 Oak Avenue"}
	  }) { customer { notes tags marketingOptIn dateOfBirth address { line1 city } } } }`, map[string]any{"id": c.ID}, &out)
	reqs := s.requests()
	want := `{"dateOfBirth":"1990-05-15","address":{"line1":"456 Oak Avenue"},"tags":["vip"],"notes":null,"marketingConsent":false}`
	if len(reqs) != 1 || reqs[0].Body != want {
		t.Fatalf("PATCH = %+v; want body %s", reqs, want)
	}
	got := out.UpdateCustomer.Customer
	if got.Notes != nil || len(got.Tags) != 1 || got.Tags[0] != "vip" || got.MarketingOptIn == nil || *got.MarketingOptIn ||
		got.DateOfBirth == nil || *got.DateOfBirth != "1990-05-15" || got.Address == nil || *got.Address.Line1 != "456 Oak Avenue" {
		t.Errorf("updated customer = %+v", got)
	}

	// An invalid Date never reaches the upstream.
	s.resetStats()
	r := s.post(`mutation($id: ID!) { updateCustomer(id: $id, input: {dateOfBirth: "1990-02-30"}) { customer { id } } }`, map[string]any{"id": c.ID})
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] == nil {
		t.Errorf("invalid Date: errors %+v; want one with a code", r.Errors)
	}
	if st := s.stats(); st.Total != 0 {
		t.Errorf("invalid Date cost %d upstream calls; want 0", st.Total)
	}
}

func TestInvalidIdentifiers(t *testing.T) {
	s := newStack(t, stackOptions{})
	for _, ident := range []string{"", "foo@", "../x", strings.Repeat("a", 10_000), "+1 555 CALL NOW", "%2F", "CUST-12a"} {
		r := s.post(`query($i: String!) { customerByIdentifier(identifier: $i) { id } }`, map[string]any{"i": ident})
		if got := r.code("customerByIdentifier"); got != "BAD_USER_INPUT" {
			t.Errorf("customerByIdentifier(%.20q): code %q (%+v); want BAD_USER_INPUT", ident, got, r.Errors)
		}
	}
	for _, q := range []string{
		`{ customer(email: "CUST-000001") { id } }`,
		`{ customer(phone: "john@example.com") { id } }`,
		`{ customer { id } }`,
		`{ customer(id: "k1234567890abcdef", email: "john@example.com") { id } }`,
		`{ node(id: "../etc") { id } }`,
	} {
		r := s.post(q, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("%s: errors %+v; want one BAD_USER_INPUT", q, r.Errors)
		}
	}
	if got := s.stats(); got.Total != 0 {
		t.Errorf("invalid identifiers cost %d upstream calls; want 0", got.Total)
	}
	r := s.post(`{ customer(customerNumber: "CUST-999999") { id } node(id: "kzzzzzzzzzzzzzzzz") { id } }`, nil)
	if len(r.Errors) != 0 || string(r.Data) != `{"customer":null,"node":null}` {
		t.Errorf("unknown customer: data %s, errors %+v; want nulls and no error", r.Data, r.Errors)
	}
}

func TestUpstreamFaults(t *testing.T) {
	s := newStack(t, stackOptions{})
	cs := s.customers(3)
	s.query(`query($i: ID) { customer(id: $i) { id } }`, map[string]any{"i": cs[0].ID}, nil)

	s.faults(`{"status": 503, "routes": ["get"]}`)
	r := s.post(`query($a: ID, $b: ID) { a: customer(id: $a) { id displayName } b: customer(id: $b) { id } }`,
		map[string]any{"a": cs[0].ID, "b": cs[1].ID})
	var out struct{ A, B *struct{ ID string } }
	json.Unmarshal(r.Data, &out)
	if out.A == nil || out.A.ID != cs[0].ID {
		t.Errorf("cached customer = %+v; want %s", out.A, cs[0].ID)
	}
	if out.B != nil || r.code("b") != "UPSTREAM_UNAVAILABLE" {
		t.Errorf("uncached customer = %+v with code %q; want null and UPSTREAM_UNAVAILABLE", out.B, r.code("b"))
	}

	s.faults(`{"status": 429, "retryAfter": 1, "routes": ["get"]}`)
	r = s.post(`query($c: ID) { c: customer(id: $c) { id } }`, map[string]any{"c": cs[2].ID})
	if r.code("c") != "RATE_LIMITED" || len(r.Errors) != 1 {
		t.Fatalf("rate limited: errors %+v; want RATE_LIMITED", r.Errors)
	}
	if got := r.Errors[0].Extensions["retryAfterSeconds"]; got != float64(1) {
		t.Errorf("retryAfterSeconds = %v; want 1", got)
	}
	s.faults("")
	time.Sleep(1100 * time.Millisecond) // the pause the 429 asked for
	// Errors are not cached: the same lookup now succeeds.
	var ok struct{ C *struct{ ID string } }
	s.query(`query($c: ID) { c: customer(id: $c) { id } }`, map[string]any{"c": cs[2].ID}, &ok)
	if ok.C == nil {
		t.Error("lookup after the upstream recovered is null; want the customer")
	}
	for _, e := range append(r.Errors, gqlError{}) {
		if strings.Contains(e.Message, s.simURL) || strings.Contains(e.Message, "127.0.0.1") {
			t.Errorf("error message leaks the upstream address: %q", e.Message)
		}
	}
}

func TestRedisOutage(t *testing.T) {
	srv := cachetest.StartServer(t, 0)
	s := newStack(t, stackOptions{redisAddr: srv.Addr})
	cs := s.customers(6)
	lookup := func(c simCustomer) {
		t.Helper()
		var out struct{ Customer *struct{ ID string } }
		s.query(`query($e: String) { customer(email: $e) { id } }`, map[string]any{"e": *c.Email}, &out)
		if out.Customer == nil || out.Customer.ID != c.ID {
			t.Fatalf("customer(email: %s) = %+v; want %s", *c.Email, out.Customer, c.ID)
		}
	}
	lookup(cs[0])
	s.resetStats()
	lookup(cs[0])
	if got := s.stats(); got.Total != 0 {
		t.Fatalf("cached lookup cost %d upstream calls; want 0", got.Total)
	}

	srv.Stop()
	s.resetStats()
	for _, c := range cs[1:4] {
		lookup(c)
		lookup(c)
	}
	// Each customer comes from the upstream; a repeat may share the first
	// read while it is still being offered, never a cached answer.
	if got := s.stats(); got.Get < 3 || got.Get > 6 {
		t.Errorf("6 lookups of 3 customers with Redis down cost %d GETs; want 3 to 6 (answered from the upstream)", got.Get)
	}

	cachetest.StartServer(t, srv.Port)
	deadline := time.Now().Add(5 * time.Second)
	for {
		lookup(cs[4])
		s.resetStats()
		lookup(cs[4])
		if s.stats().Total == 0 {
			break // cached again
		}
		if time.Now().After(deadline) {
			t.Fatal("caching did not resume within 5s of Redis returning")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestTwoInstancesShareRedis(t *testing.T) { testTwoInstancesShareRedis(t, stackOptions{}) }

func testTwoInstancesShareRedis(t *testing.T, o stackOptions) {
	a := newStack(t, o)
	b := newStack(t, stackOptions{upstream: a})
	c := a.customers(4)[3]
	read := func(s *stack, ident string) *struct{ ID, Email string } {
		var out struct{ CustomerByIdentifier *struct{ ID, Email string } }
		s.query(`query($i: String!) { customerByIdentifier(identifier: $i) { id email } }`, map[string]any{"i": ident}, &out)
		return out.CustomerByIdentifier
	}
	read(a, c.ID)
	read(b, *c.Email)
	a.resetStats()
	if got := read(b, c.ID); got == nil || got.Email != *c.Email {
		t.Fatalf("read through b = %+v", got)
	}
	if st := a.stats(); st.Total != 0 {
		t.Errorf("b reading what a cached cost %d upstream calls; want 0", st.Total)
	}

	newEmail := "moved." + *c.Email
	a.query(`mutation($id: ID!, $e: String) { updateCustomer(id: $id, input: {email: $e}) { customer { id } } }`,
		map[string]any{"id": c.ID, "e": newEmail}, nil)
	if got := read(b, c.ID); got == nil || got.Email != newEmail {
		t.Errorf("b reads %+v after a's update; want email %s", got, newEmail)
	}
	if got := read(b, strings.ToUpper(newEmail)); got == nil || got.ID != c.ID {
		t.Errorf("b's lookup by the new email = %+v; want %s", got, c.ID)
	}
	if got := read(b, *c.Email); got != nil {
		t.Errorf("b's lookup by the old email = %+v; want null", got)
	}
}

func TestAuthentication(t *testing.T) {
	s := newStack(t, stackOptions{})
	for _, key := range []string{"", "wrong", testKey + "x", strings.TrimSuffix(testKey, "y")} {
		r := s.send(http.MethodPost, `{ customer(customerNumber: "CUST-000001") { id } }`, nil, key)
		if r.Status != http.StatusUnauthorized || len(r.Data) != 0 || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
			t.Errorf("key %q: status %d, data %s, errors %+v; want 401 UNAUTHENTICATED and no data", key, r.Status, r.Data, r.Errors)
		}
	}
	if got := s.stats(); got.Total != 0 {
		t.Errorf("unauthenticated requests cost %d upstream calls; want 0", got.Total)
	}
	for _, key := range []string{testKey, secondKey} {
		if r := s.send(http.MethodPost, `{ __typename }`, nil, key); r.Status != http.StatusOK {
			t.Errorf("key %q: status %d; want 200", key, r.Status)
		}
	}
}

func TestGETTransport(t *testing.T) {
	s := newStack(t, stackOptions{})
	req, _ := http.NewRequest(http.MethodGet, s.url+`/graphql?query={customer(customerNumber:"CUST-000001"){id}}`, nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET query: status %d; want 200", resp.StatusCode)
	}
	q := `mutation{updateCustomer(id:"k1234567890abcdef",input:{notes:"x"}){customer{id}}}`
	req, _ = http.NewRequest(http.MethodGet, s.url+"/graphql?query="+q, nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	s.resetStats()
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || s.stats().Patch != 0 {
		t.Errorf("GET mutation: status %d, %d PATCHes; want it refused", resp.StatusCode, s.stats().Patch)
	}
}

func TestScalarsAndStatus(t *testing.T) {
	s := newStack(t, stackOptions{})
	var out struct {
		Customer struct {
			CreatedAt, UpdatedAt string
			LastOrderAt          *string
			Status               string
		}
	}
	s.query(`{ customer(customerNumber: "CUST-000001") { createdAt updatedAt lastOrderAt status } }`, nil, &out)
	if got, want := out.Customer.CreatedAt, "2022-01-01T00:00:00.000Z"; got != want {
		t.Errorf("createdAt = %s; want %s", got, want)
	}
	if out.Customer.Status != "ACTIVE" {
		t.Errorf("status = %s; want ACTIVE", out.Customer.Status)
	}
}

// A page whose detail fields cannot be loaded still returns its nodes: the
// detail fields are null with their errors.
func TestDetailFailureIsPerField(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.faults(`{"status": 503, "routes": ["get"]}`)
	r := s.post(`{ customers(first: 3) { nodes { customerNumber marketingOptIn } } }`, nil)
	var out struct {
		Customers struct {
			Nodes []struct {
				CustomerNumber string
				MarketingOptIn *bool
			}
		}
	}
	json.Unmarshal(r.Data, &out)
	if len(out.Customers.Nodes) != 3 {
		t.Fatalf("data %s; want 3 nodes", r.Data)
	}
	for i, n := range out.Customers.Nodes {
		if n.CustomerNumber == "" || n.MarketingOptIn != nil {
			t.Errorf("node %d = %+v; want its number and a null marketingOptIn", i, n)
		}
	}
	if len(r.Errors) != 3 {
		t.Fatalf("errors %+v; want one per node", r.Errors)
	}
	for _, e := range r.Errors {
		if e.Extensions["code"] != "UPSTREAM_UNAVAILABLE" || len(e.Path) != 4 || e.Path[3] != "marketingOptIn" {
			t.Errorf("error %+v; want UPSTREAM_UNAVAILABLE at customers.nodes.N.marketingOptIn", e)
		}
	}
}

// The upstream's single read returns only the primary email and phone; the
// full lists come from its list, once, and are cached with the record.
func TestAllContactsOfOneCustomer(t *testing.T) {
	s := newStack(t, stackOptions{customers: 400})
	// Find customers with a secondary email straight from the simulator.
	var withSecondary *tiquosim.Customer
	for i := 1; i <= 400 && withSecondary == nil; i++ {
		c, _ := s.sim.Customer(fmt.Sprintf("CUST-%06d", i))
		if len(c.Emails) > 1 && c.PrimaryEmail() != "" {
			withSecondary = &c
		}
	}
	if withSecondary == nil {
		t.Fatal("no customer with a secondary email in the data set")
	}
	q := `query($e: String) { customer(email: $e) { emails { address isPrimary } phones { number } marketingOptIn } }`
	vars := map[string]any{"e": withSecondary.PrimaryEmail()}
	var out struct {
		Customer struct {
			Emails []struct {
				Address   string
				IsPrimary bool
			}
		}
	}
	s.query(q, vars, &out)
	if got, want := len(out.Customer.Emails), len(withSecondary.Emails); got != want {
		t.Errorf("emails = %+v; want %d addresses", out.Customer.Emails, want)
	}
	if st := s.stats(); st.Get != 1 || st.List != 1 {
		t.Errorf("first read with all contacts cost %+v; want 1 GET and 1 list search", st)
	}
	s.resetStats()
	s.query(q, vars, &out)
	if st := s.stats(); st.Total != 0 {
		t.Errorf("second read cost %d upstream calls (%+v); want 0\n%s", st.Total, st, s.logs.String())
	}
}

// A read that reached the upstream before an update, and writes back after
// the update's write-through, must not leave the old record cached.
func TestSlowReadDoesNotOverwriteUpdate(t *testing.T) {
	sim := newStack(t, stackOptions{redisAddr: "memory"}) // just the simulator
	// The upstream answers GETs at once but their responses take 400ms to
	// arrive: the record read is the one from before the update.
	target, _ := url.Parse(sim.simURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/customers/") {
			rec := httptest.NewRecorder()
			proxy.ServeHTTP(rec, r)
			time.Sleep(400 * time.Millisecond)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer slow.Close()
	s := newStack(t, stackOptions{upstream: sim, env: map[string]string{"UPSTREAM_URL": slow.URL}})
	c := s.customers(5)[4]

	done := make(chan *response)
	go func() {
		done <- s.post(`query($e: String) { customer(email: $e) { firstName } }`, map[string]any{"e": *c.Email})
	}()
	time.Sleep(150 * time.Millisecond) // the read has been answered, in transit
	s.query(`mutation($id: ID!) { updateCustomer(id: $id, input: {firstName: "Renamed"}) { customer { firstName } } }`,
		map[string]any{"id": c.ID}, nil)
	if r := <-done; len(r.Errors) > 0 {
		t.Fatalf("slow read: %+v", r.Errors)
	}
	s.resetStats()
	for q, vars := range map[string]map[string]any{
		`query($id: ID) { a: customer(id: $id) { firstName } }`:      {"id": c.ID},
		`query($e: String) { a: customer(email: $e) { firstName } }`: {"e": *c.Email},
	} {
		var out struct{ A *struct{ FirstName string } }
		s.query(q, vars, &out)
		if out.A == nil || out.A.FirstName != "Renamed" {
			t.Errorf("%s after the update = %+v; want firstName Renamed", q, out.A)
		}
	}
	if st := s.stats(); st.Total != 0 {
		t.Errorf("reads after the update cost %d upstream calls; want 0 (served from the write-through)", st.Total)
	}
}

// The parts a query needs are found through fragments and directives.
func TestSelectionLookahead(t *testing.T) {
	s := newStack(t, stackOptions{})
	// Cache customers from a list page: no detail fields yet.
	var page struct {
		Customers struct{ Nodes []struct{ ID string } }
	}
	s.query(`{ customers(first: 4) { nodes { id } } }`, nil, &page)
	tests := []struct {
		name, query string
		gets        int64 // upstream GETs for the detail fields
	}{
		{"node, inline fragment", `query($id: ID!) { node(id: $id) { ... on Customer { marketingOptIn } } }`, 1},
		{"named fragment", `query($id: ID!) { customer(id: $id) { ...F } } fragment F on Customer { tags }`, 1},
		{"skipped detail field", `query($id: ID!) { customer(id: $id) { id tags @skip(if: true) } }`, 0},
		{"included detail field", `query($id: ID!) { customer(id: $id) { id tags @include(if: true) } }`, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := page.Customers.Nodes[i].ID // a listed customer of its own
			s.resetStats()
			r := s.post(tt.query, map[string]any{"id": id})
			if len(r.Errors) > 0 {
				t.Fatalf("errors %+v", r.Errors)
			}
			if st := s.stats(); st.Get != tt.gets || st.Total != st.Get {
				t.Errorf("cost %+v; want %d GETs and nothing else", st, tt.gets)
			}
			if strings.Contains(string(r.Data), "null") && tt.gets > 0 {
				t.Errorf("data %s has a null where a detail field was loaded", r.Data)
			}
		})
	}
}

// An update with nothing in it changes nothing and sends nothing.
func TestEmptyUpdate(t *testing.T) {
	s := newStack(t, stackOptions{})
	c := s.customers(1)[0]
	s.query(`query($id: ID) { customer(id: $id) { id } }`, map[string]any{"id": c.ID}, nil)
	s.resetStats()
	var out struct {
		UpdateCustomer struct {
			Customer   *struct{ ID string }
			UserErrors []struct{ Code string }
		}
	}
	s.query(`mutation($id: ID!) { updateCustomer(id: $id, input: {}) { customer { id } userErrors { code } } }`, map[string]any{"id": c.ID}, &out)
	if u := out.UpdateCustomer; u.Customer == nil || u.Customer.ID != c.ID || len(u.UserErrors) != 0 {
		t.Errorf("empty update = %+v; want the customer unchanged", u)
	}
	if st := s.stats(); st.Total != 0 {
		t.Errorf("empty update of a cached customer cost %+v; want no upstream call", st)
	}
	s.query(`mutation { updateCustomer(id: "kzzzzzzzzzzzzzzzz", input: {}) { customer { id } userErrors { code } } }`, nil, &out)
	if u := out.UpdateCustomer; u.Customer != nil || len(u.UserErrors) != 1 || u.UserErrors[0].Code != "NOT_FOUND" {
		t.Errorf("empty update of an unknown customer = %+v; want NOT_FOUND", u)
	}
}

// A Tiquo customer's vendorRecord is Tiquo's record as listed, the same
// from the list and from the cache the list wrote it to.
func TestTiquoVendorRecordFromListAndCache(t *testing.T) {
	s := newStack(t, stackOptions{})
	var list struct {
		Customers struct {
			Nodes []struct {
				ID, Email, CustomerNumber string
				VendorRecord              json.RawMessage
			}
		}
	}
	s.query(`{ customers(first: 3) { nodes { id email customerNumber vendorRecord } } }`, nil, &list)
	n := list.Customers.Nodes[0]
	var rec struct {
		ID, CustomerNumber string
		Emails             []struct{ Address string }
	}
	if err := json.Unmarshal(n.VendorRecord, &rec); err != nil || rec.ID != n.ID || rec.CustomerNumber != n.CustomerNumber || len(rec.Emails) == 0 {
		t.Fatalf("vendorRecord of %s from the list: %s (%v); want Tiquo's listed record", n.ID, n.VendorRecord, err)
	}
	// The list's write-back lands after the answer.
	rdb := cachetest.Client(t)
	for deadline := time.Now().Add(5 * time.Second); rdb.Exists(t.Context(), s.keyspace().Customer(n.ID)).Val() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the listed customer was not written to the cache")
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.resetStats()
	var one struct {
		Customer struct{ VendorRecord json.RawMessage }
	}
	s.query(`query($e: String) { customer(email: $e) { vendorRecord } }`, map[string]any{"e": n.Email}, &one)
	if st := s.stats(); st.Total != 0 {
		t.Fatalf("the lookup cost %+v; want it served from the cache", st)
	}
	if string(one.Customer.VendorRecord) != string(n.VendorRecord) {
		t.Errorf("vendorRecord from the cache\n%s\nwant the list's\n%s", one.Customer.VendorRecord, n.VendorRecord)
	}
}
