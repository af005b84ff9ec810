package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"customergraph/internal/cache"
	"customergraph/internal/cache/cachetest"
)

// xtrakitRecord is what the tests read of an Xtrakit record straight from
// the simulator's REST API.
type xtrakitRecord struct {
	Customer struct {
		ID               int64
		CustomerName     string  `json:"customer_name"`
		CustomerEmail    *string `json:"customer_email"`
		CustomerPhone    string  `json:"customer_phone"`
		CustomerWhatsApp *string `json:"customer_whatsapp"`
		CustomerCountry  string  `json:"customer_country"`
		CustomerCity     string  `json:"customer_city"`
		CustomerState    string  `json:"customer_state"`
		CustomerZip      *string `json:"customer_zip"`
		Address1         string  `json:"address1"`
		Address2         *string `json:"address2"`
		CustomerProfile  *string `json:"customer_profile"`
		CreatedAt        string  `json:"created_at"`
		UpdatedAt        string  `json:"updated_at"`
	} `json:"customer"`
	Groups []struct {
		ID        int64
		GroupName string `json:"group_name"`
	} `json:"customer-group"`
}

// e164 is the phone s in E.164: "+" and its digits.
func e164(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return "+" + b.String()
}

// xtrakitTime is an Xtrakit timestamp, read in loc, as DateTime writes it.
func xtrakitTime(t *testing.T, s string, loc *time.Location) string {
	t.Helper()
	v, err := time.ParseInLocation(time.DateTime, s, loc)
	if err != nil {
		t.Fatalf("simulator time %q: %v", s, err)
	}
	return v.UTC().Format("2006-01-02T15:04:05.000Z")
}

const xtrakitFields = `id vendor displayName firstName lastName customerNumber email phone whatsapp profilePhoto status
  address { line1 line2 city state postalCode country } groups { id name } createdAt updatedAt vendorRecord
  tags balance subscriptions { id }`

type xtrakitCustomer struct {
	ID, Vendor             string
	DisplayName            *string
	FirstName, LastName    *string
	CustomerNumber         *string
	Email, Phone, Whatsapp *string
	ProfilePhoto           *string
	Status                 string
	Address                *struct{ Line1, Line2, City, State, PostalCode, Country *string }
	Groups                 []struct{ ID, Name string }
	CreatedAt              string
	UpdatedAt              *string
	VendorRecord           json.RawMessage
	Tags                   []string
	Balance                *float64
	Subscriptions          []struct{ ID string }
}

func TestXtrakitFieldMapping(t *testing.T) {
	m := newMultiStack(t, 40, "xtrakit")
	x := m.tenants["xtrakit"]
	var noEmail, spacedPhone, twoGroups, noWhatsApp bool
	for _, c := range x.customers()[:25] {
		raw := x.raw("/customers/" + c.ID)
		var r xtrakitRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		var rawCustomer struct {
			Customer json.RawMessage `json:"customer"`
		}
		json.Unmarshal(raw, &rawCustomer)
		var out struct{ Customer xtrakitCustomer }
		m.query("xtrakit", `query($id: ID!) { customer(id: $id) { `+xtrakitFields+` } }`, map[string]any{"id": c.ID}, &out)
		g, w := out.Customer, r.Customer
		noEmail = noEmail || w.CustomerEmail == nil || *w.CustomerEmail == ""
		spacedPhone = spacedPhone || strings.Contains(w.CustomerPhone, " ")
		twoGroups = twoGroups || len(r.Groups) > 1
		noWhatsApp = noWhatsApp || w.CustomerWhatsApp == nil
		wantEmail := any(nil)
		if w.CustomerEmail != nil && *w.CustomerEmail != "" {
			wantEmail = strings.ToLower(*w.CustomerEmail)
		}
		wantWhatsApp := any(nil)
		if w.CustomerWhatsApp != nil {
			wantWhatsApp = e164(*w.CustomerWhatsApp)
		}
		var groups []string
		for _, gr := range r.Groups {
			groups = append(groups, fmt.Sprint(gr.ID, ":", gr.GroupName))
		}
		var gotGroups []string
		for _, gr := range g.Groups {
			gotGroups = append(gotGroups, gr.ID+":"+gr.Name)
		}
		for _, f := range []struct {
			name      string
			got, want any
		}{
			{"id", g.ID, fmt.Sprint(w.ID)},
			{"vendor", g.Vendor, "XTRAKIT"},
			{"displayName", deref(g.DisplayName), w.CustomerName},
			{"firstName/lastName", g.FirstName == nil && g.LastName == nil, true},
			{"customerNumber", g.CustomerNumber == nil, true},
			{"email", deref(g.Email), wantEmail},
			{"phone", deref(g.Phone), e164(w.CustomerPhone)},
			{"whatsapp", deref(g.Whatsapp), wantWhatsApp},
			{"profilePhoto", deref(g.ProfilePhoto), deref(w.CustomerProfile)},
			{"address.line1", deref(g.Address.Line1), w.Address1},
			{"address.line2", deref(g.Address.Line2), deref(w.Address2)},
			{"address.city", deref(g.Address.City), w.CustomerCity},
			{"address.state", deref(g.Address.State), w.CustomerState},
			{"address.postalCode", deref(g.Address.PostalCode), deref(w.CustomerZip)},
			{"address.country", deref(g.Address.Country), w.CustomerCountry},
			{"groups", strings.Join(gotGroups, ","), strings.Join(groups, ",")},
			{"createdAt", g.CreatedAt, xtrakitTime(t, w.CreatedAt, time.UTC)},
			{"updatedAt", deref(g.UpdatedAt), xtrakitTime(t, w.UpdatedAt, time.UTC)},
			{"vendorRecord", jsonEqual(g.VendorRecord, rawCustomer.Customer), true},
			{"tags, balance, subscriptions", fmt.Sprint(g.Tags, g.Balance, len(g.Subscriptions)), "[] <nil> 0"},
		} {
			if fmt.Sprint(f.got) != fmt.Sprint(f.want) {
				t.Errorf("customer %s: %s = %v; want %v", c.ID, f.name, f.got, f.want)
			}
		}
	}
	if !noEmail || !spacedPhone || !twoGroups || !noWhatsApp {
		t.Errorf("the data lacks variety: a customer without email %v, a phone with spaces %v, several groups %v, no WhatsApp %v",
			noEmail, spacedPhone, twoGroups, noWhatsApp)
	}
}

// TestXtrakitTimeZone: Xtrakit's zone-less timestamps are read in the
// tenant's timeZone.
func TestXtrakitTimeZone(t *testing.T) {
	sim := newMultiStack(t, 5, "xtrakit").tenants["xtrakit"]
	table := fmt.Sprintf(`{"tenants":[{"name":"x","vendor":"xtrakit","timeZone":"America/New_York","upstreamUrl":%q,"upstreamApiKey":%q,"clientKeys":["tz-client-key"]}]}`, sim.url, sim.upstreamKey)
	s := newStack(t, stackOptions{redisAddr: "memory", env: map[string]string{"TENANTS": table, "UPSTREAM_URL": "", "UPSTREAM_API_KEY": "", "FACADE_API_KEYS": ""}})
	r := s.send("POST", `{ customer(id: "1") { createdAt } }`, nil, "tz-client-key")
	var out struct{ Customer struct{ CreatedAt string } }
	json.Unmarshal(r.Data, &out)
	ny, _ := time.LoadLocation("America/New_York")
	if want := xtrakitTime(t, "2024-08-04 08:23:45", ny); out.Customer.CreatedAt != want {
		t.Errorf("createdAt in America/New_York = %q (%v); want %q", out.Customer.CreatedAt, r.Errors, want)
	}
}

// TestXtrakitIndexedLookups: Xtrakit has no lookup by email or phone; the
// facade answers from its alias index, refreshed from the one list at
// most once per NEGATIVE_CACHE_TTL, shared by concurrent requests.
func TestXtrakitIndexedLookups(t *testing.T) { testXtrakitIndexedLookups(t, nil) }

// testXtrakitIndexedLookups is TestXtrakitIndexedLookups on one Redis, or
// on cluster unless it is nil.
func testXtrakitIndexedLookups(t *testing.T, cluster *cachetest.Cluster) {
	m := newMultiStackWith(t, multiOptions{customers: 60, vendors: []string{"xtrakit"}, cluster: cluster})
	x := m.tenants["xtrakit"]
	cs := x.customers()
	x.reset()
	// Ten missing emails at once, and ten more after: one list call.
	var b strings.Builder
	b.WriteString("{")
	for i := range 10 {
		fmt.Fprintf(&b, "m%d: customer(email: \"missing-%d@example.com\") { id }\n", i, i)
	}
	b.WriteString("}")
	r := m.post("xtrakit", b.String(), nil)
	if len(r.Errors) > 0 || strings.Contains(string(r.Data), `"id"`) {
		t.Fatalf("missing emails = %s %+v; want nulls", r.Data, r.Errors)
	}
	var out struct{ Customer *struct{ ID string } }
	for i := range 10 {
		m.query("xtrakit", `query($e: String!) { customer(email: $e) { id } }`, map[string]any{"e": fmt.Sprintf("other-missing-%d@example.com", i)}, &out)
	}
	if st := x.stats(); st.List != 1 || st.Get != 0 || st.Total != 1 {
		t.Errorf("20 lookups of missing emails cost %+v; want 1 list call", st)
	}
	// Found by email (any case) and by phone (any format): from the index,
	// then cached under the ID and every alias.
	var c simListed
	for _, sc := range cs[5:] {
		if sc.Email != nil && sc.Phone != nil {
			c = sc
			break
		}
	}
	phone := e164(*c.Phone)
	for i, q := range []struct {
		arg, value string
	}{
		{"email", strings.ToUpper(*c.Email)},
		{"phone", "00" + strings.TrimPrefix(phone, "+")},
		{"phone", phone[:4] + " " + phone[4:7] + " " + phone[7:]},
		{"id", c.ID},
	} {
		var got struct {
			Customer *struct{ ID, Email, Phone string }
		}
		m.query("xtrakit", fmt.Sprintf(`query($v: %s!) { customer(%s: $v) { id email phone } }`, map[string]string{"id": "ID"}[q.arg]+map[bool]string{true: "", false: "String"}[q.arg == "id"], q.arg), map[string]any{"v": q.value}, &got)
		if got.Customer == nil || got.Customer.ID != c.ID || got.Customer.Phone != phone {
			t.Errorf("lookup %d, %s %q = %+v; want customer %s with phone %s", i, q.arg, q.value, got.Customer, c.ID, phone)
		}
	}
	var byIdent struct{ A, B *struct{ ID string } }
	m.query("xtrakit", `query($p: String!, $e: String!) { a: customerByIdentifier(identifier: $p) { id } b: customerByIdentifier(identifier: $e) { id } }`,
		map[string]any{"p": phone, "e": *c.Email}, &byIdent)
	if byIdent.A == nil || byIdent.B == nil || byIdent.A.ID != c.ID || byIdent.B.ID != c.ID {
		t.Errorf("customerByIdentifier = %+v, %+v; want %s", byIdent.A, byIdent.B, c.ID)
	}
	if st := x.stats(); st.Total != 1 {
		t.Errorf("lookups of an existing customer cost %+v in all; want still only the 1 list call", st)
	}
	// A second instance on the same Redis: the refresh wrote every
	// customer, so it finds another one without a call, and takes a miss
	// for "not found" within the interval.
	// (The refresh's write-back runs after its answer: wait for its marker.)
	ns := m.cfg.Tenants[0].namespace(x.url, x.upstreamKey, m.cfg.CacheNamespace)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if n, _ := m.redisClient().Exists(t.Context(), cache.NewKeyspace(ns).Alias("index", "refreshed")).Result(); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the index refresh wrote no marker within 10s")
		}
	}
	other := newMultiStackShared(t, m)
	var found struct{ Customer *struct{ ID string } }
	var e2 *simListed
	for i := range cs[20:] {
		if cs[20+i].Email != nil {
			e2 = &cs[20+i]
			break
		}
	}
	other.query("xtrakit", `query($e: String!) { customer(email: $e) { id } }`, map[string]any{"e": *e2.Email}, &found)
	other.query("xtrakit", `{ customer(email: "still-missing@example.com") { id } }`, nil, nil)
	if found.Customer == nil || found.Customer.ID != e2.ID {
		t.Errorf("second instance: %+v; want %s", found.Customer, e2.ID)
	}
	if st := x.stats(); st.Total != 1 {
		t.Errorf("the second instance's lookups cost %d calls; want 0", st.Total-1)
	}
}

// newMultiStackShared starts a second facade with m's tenants, simulators,
// Redis and namespace.
func newMultiStackShared(t *testing.T, m *multiStack) *multiStack {
	t.Helper()
	o := stackOptions{redisAddr: m.redis, cluster: m.cluster, namespace: m.cfg.CacheNamespace, env: map[string]string{
		"TENANTS": m.table, "UPSTREAM_URL": "", "UPSTREAM_API_KEY": "", "FACADE_API_KEYS": "",
	}}
	s := newStack(t, o)
	return &multiStack{t: t, url: s.url, cfg: s.cfg, tenants: m.tenants, logs: s.logs, table: m.table, redis: m.redis, cluster: m.cluster}
}

func TestXtrakitWalkAndGroups(t *testing.T) {
	m := newMultiStack(t, 230, "xtrakit", "komerza")
	x := m.tenants["xtrakit"]
	want := x.customers()
	x.reset()
	walk := func(vars map[string]any) (ids, cursors []string) {
		var after any
		for i := 0; ; i++ {
			if i > 30 {
				t.Fatal("the connection did not end after 30 pages")
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
			v := map[string]any{"after": after}
			for k, val := range vars {
				v[k] = val
			}
			m.query("xtrakit", `query($after: String, $group: ID, $search: String) { customers(first: 29, after: $after, group: $group, search: $search) {
				edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, v, &p)
			for _, e := range p.Customers.Edges {
				ids, cursors = append(ids, e.Node.ID), append(cursors, e.Cursor)
			}
			if !p.Customers.PageInfo.HasNextPage {
				return ids, cursors
			}
			after = *p.Customers.PageInfo.EndCursor
		}
	}
	ids, cursors := walk(nil)
	if len(ids) != len(want) {
		t.Fatalf("walked %d customers; want %d", len(ids), len(want))
	}
	for i := range ids {
		if ids[i] != want[i].ID {
			t.Fatalf("customer %d is %s; want %s", i, ids[i], want[i].ID)
		}
	}
	if st := x.stats(); st.List != 1 || st.Total != 1 {
		t.Errorf("a walk of %d customers in pages of 29 cost %+v; want 1 list call", len(ids), st)
	}
	// after any edge continues right behind it.
	for _, edge := range []int{0, 28, 100, 228, 229} {
		var p struct {
			Customers struct{ Nodes []struct{ ID string } }
		}
		m.query("xtrakit", `query($after: String) { customers(first: 3, after: $after) { nodes { id } } }`, map[string]any{"after": cursors[edge]}, &p)
		var got []string
		for _, n := range p.Customers.Nodes {
			got = append(got, n.ID)
		}
		if w := ids[edge+1 : min(len(ids), edge+4)]; strings.Join(got, ",") != strings.Join(w, ",") {
			t.Errorf("after edge %d: got %v; want %v", edge, got, w)
		}
	}
	// The group filter is Xtrakit's customer_group_id; its cursors are its own.
	x.reset()
	groupIDs, groupCursors := walk(map[string]any{"group": "3"})
	rs := x.requests()
	if len(rs) != 1 || !strings.Contains(rs[0].Query, "customer_group_id=3") {
		t.Fatalf("requests %+v; want one list with customer_group_id=3", rs)
	}
	var listed struct {
		Customers []struct{ ID int64 } `json:"customers"`
	}
	json.Unmarshal(x.raw("/customers?customer_group_id=3"), &listed)
	if len(groupIDs) == 0 || len(groupIDs) != len(listed.Customers) || len(groupIDs) == len(ids) {
		t.Errorf("group 3 has %d customers through GraphQL, %d in the simulator's list, of %d; want the same, some, not all", len(groupIDs), len(listed.Customers), len(ids))
	}
	r := m.post("xtrakit", `query($after: String) { customers(first: 3, after: $after) { nodes { id } } }`, map[string]any{"after": groupCursors[0]})
	if r.code("customers") != "BAD_USER_INPUT" {
		t.Errorf("a group's cursor without the group: %+v; want BAD_USER_INPUT", r.Errors)
	}
	// Search by the facade: by name, email and phone.
	c := want[7]
	for _, term := range []string{strings.ToUpper(strings.Fields(*c.Name)[0]), strings.Split(*c.Email, "@")[0], e164(*c.Phone)[3:]} {
		found, _ := walk(map[string]any{"search": term})
		if !containsString(found, c.ID) {
			t.Errorf("search %q did not find customer %s", term, c.ID)
		}
	}
	// Other vendors have no groups.
	r = m.post("komerza", `{ customers(group: "3") { nodes { id } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "NOT_SUPPORTED" {
		t.Errorf("komerza group filter: %+v; want NOT_SUPPORTED", r.Errors)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestXtrakitUpdate: a partial update over a full-replace API reads the
// record, merges the input into it and sends one PUT with every field.
func TestXtrakitUpdate(t *testing.T) {
	m := newMultiStack(t, 20, "xtrakit")
	x := m.tenants["xtrakit"]
	c := x.customers()[0]
	oldPhone := e164(*c.Phone)
	// Cached by the old phone first.
	m.query("xtrakit", `query($p: String!) { customer(phone: $p) { id } }`, map[string]any{"p": oldPhone}, nil)
	before := x.raw("/customers/" + c.ID)
	x.reset()
	var out struct {
		UpdateCustomer struct {
			Customer *struct {
				Phone, DisplayName string
				Address            struct{ City string }
			}
			UserErrors []struct{ Field []string }
		}
	}
	m.query("xtrakit", `mutation($id: ID!) { updateCustomer(id: $id, input: {phone: "+44 20 7946 0958", address: {city: "Kumasi"}}) {
		customer { phone displayName address { city } } userErrors { field } } }`, map[string]any{"id": c.ID}, &out)
	if u := out.UpdateCustomer; u.Customer == nil || u.Customer.Phone != "+442079460958" || u.Customer.Address.City != "Kumasi" || len(u.UserErrors) > 0 {
		t.Fatalf("updateCustomer = %+v; want the new phone and city", u)
	}
	rs := x.requests()
	if len(rs) != 2 || rs[0].Method != "GET" || rs[1].Method != "PUT" || rs[1].Path != "/customers/"+c.ID {
		t.Fatalf("requests %+v; want a GET of the record, then one PUT", rs)
	}
	var sent, old map[string]any
	json.Unmarshal([]byte(rs[1].Body), &sent)
	var o struct {
		Customer map[string]any `json:"customer"`
	}
	json.Unmarshal(before, &o)
	old = o.Customer
	for _, f := range []string{"customer_name", "customer_phone", "customer_country", "customer_city", "customer_state", "address1"} {
		if sent[f] == nil || sent[f] == "" {
			t.Errorf("PUT body lacks required %s: %s", f, rs[1].Body)
		}
	}
	for f, v := range old {
		switch f {
		case "customer_phone":
			if sent[f] != "+442079460958" {
				t.Errorf("PUT %s = %v; want the new phone", f, sent[f])
			}
		case "customer_city":
			if sent[f] != "Kumasi" {
				t.Errorf("PUT %s = %v; want Kumasi", f, sent[f])
			}
		case "customer_name", "customer_email", "customer_whatsapp", "customer_country", "customer_state", "customer_zip", "address1", "address2", "customer_profile", "customer_group_id":
			if fmt.Sprint(sent[f]) != fmt.Sprint(v) {
				t.Errorf("PUT %s = %v; want the record's %v", f, sent[f], v)
			}
		}
	}
	// Written through: by ID and the new phone, the new record; the old
	// phone finds nobody; no call.
	x.reset()
	var after struct {
		A, B *struct{ Phone string }
		C    *struct{ ID string }
	}
	m.query("xtrakit", `query($id: ID!, $p: String!, $old: String!) { a: customer(id: $id) { phone } b: customer(phone: $p) { phone } c: customer(phone: $old) { id } }`,
		map[string]any{"id": c.ID, "p": "+442079460958", "old": oldPhone}, &after)
	if after.A == nil || after.B == nil || after.A.Phone != "+442079460958" || after.B.Phone != "+442079460958" || after.C != nil {
		t.Errorf("after the update: by ID %+v, by new phone %+v, by old phone %+v; want the new record twice and null", after.A, after.B, after.C)
	}
	if st := x.stats(); st.Total != 0 {
		t.Errorf("reads after the update cost %+v; want none", st)
	}
	// What Xtrakit has no place for, and required fields set to null:
	// user errors, nothing sent.
	x.reset()
	for _, tt := range []struct {
		input, code string
		field       []string
	}{
		{`{firstName: "Jane"}`, "NOT_SUPPORTED", []string{"input", "firstName"}},
		{`{tags: ["vip"]}`, "NOT_SUPPORTED", []string{"input", "tags"}},
		{`{marketingOptIn: true}`, "NOT_SUPPORTED", []string{"input", "marketingOptIn"}},
		{`{displayName: null}`, "INVALID", []string{"input", "displayName"}},
		{`{phone: null}`, "INVALID", []string{"input", "phone"}},
		{`{address: {city: null}}`, "INVALID", []string{"input", "address", "city"}},
		{`{address: null}`, "INVALID", []string{"input", "address"}},
		{`{whatsapp: "call me"}`, "INVALID", []string{"input", "whatsapp"}},
	} {
		var res struct {
			UpdateCustomer struct {
				Customer   *struct{ ID string }
				UserErrors []struct {
					Field []string
					Code  string
				}
			}
		}
		m.query("xtrakit", `mutation($id: ID!) { updateCustomer(id: $id, input: `+tt.input+`) { customer { id } userErrors { field code } } }`, map[string]any{"id": c.ID}, &res)
		u := res.UpdateCustomer
		if len(u.UserErrors) != 1 || u.UserErrors[0].Code != tt.code || strings.Join(u.UserErrors[0].Field, ".") != strings.Join(tt.field, ".") || u.Customer != nil {
			t.Errorf("%s: %+v; want one %s on %v", tt.input, u, tt.code, tt.field)
		}
	}
	if st := x.stats(); st.Total != 0 {
		t.Errorf("refused updates cost %+v; want no call", st)
	}
}

// TestThreeVendorsIsolated: one tenant per vendor on one Redis, each
// over its own simulator: no answer crosses, and each has its namespace.
func TestThreeVendorsIsolated(t *testing.T) {
	m := newMultiStack(t, 30, "tiquo", "komerza", "xtrakit")
	emails := map[string]string{}
	for v, sim := range m.tenants {
		for _, c := range sim.customers() {
			if c.Email != nil {
				emails[v] = *c.Email
				break
			}
		}
	}
	for v := range m.tenants {
		for other, e := range emails {
			var out struct{ Customer *struct{ ID string } }
			m.query(v, `query($e: String!) { customer(email: $e) { id } }`, map[string]any{"e": e}, &out)
			if found := out.Customer != nil; found != (v == other) {
				t.Errorf("%s looking up %s's email %s: found %v; want %v", v, other, e, found, v == other)
			}
		}
	}
	rdb := m.redisClient()
	seen := map[string]bool{}
	for i, tc := range m.cfg.Tenants {
		sim := m.tenants[tc.Name]
		ns := m.cfg.Tenants[i].namespace(sim.url, sim.upstreamKey, m.cfg.CacheNamespace)
		if seen[ns] {
			t.Fatalf("tenant %s shares a namespace", tc.Name)
		}
		seen[ns] = true
		keys, err := rdb.Keys(t.Context(), "*"+ns+"*").Result()
		if err != nil || len(keys) == 0 {
			t.Errorf("tenant %s: %d keys (%v); want its own", tc.Name, len(keys), err)
		}
	}
}
