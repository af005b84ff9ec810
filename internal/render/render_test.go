package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	gqllru "github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/vektah/gqlparser/v2/ast"

	"customergraph/graph"
	"customergraph/graph/model"
	"customergraph/internal/customer"
)

// The tests here run every query through two real gqlgen handlers over
// the same resolvers, one with the Renderer and one without, and require
// the same bytes from both. The resolvers serve crafted records: every
// field of every type, set and unset, strings of every byte, floats at
// the edges of their formatting, parts that could not be loaded.

func ptr[T any](v T) *T { return &v }

var t0 = time.Date(2025, 1, 15, 10, 30, 0, 123456789, time.UTC)

// records returns the data set: index 0 holds everything, 1 nothing
// optional, and the rest the awkward cases.
func records() []customer.Customer {
	full := customer.Customer{
		ID: "c-full", Vendor: customer.Komerza, CustomerNumber: "CN-1",
		FirstName: ptr("Ada"), LastName: ptr("Lovelace"), DisplayName: ptr("Ada \"the\" Countess\\\n\t\r\x01\x1f é 日本 \u2028"),
		Emails:       []customer.Email{{Address: "ada@example.com", IsPrimary: true}, {Address: "a2@example.com"}},
		Phones:       []customer.Phone{{Number: "+15551234567", IsPrimary: true}, {Number: "+15550000000"}},
		ProfilePhoto: ptr("https://example.com/a.png?x=<y>&z"), WhatsApp: ptr("+15551234567"),
		Status: customer.StatusActive, VendorStatus: ptr("VIP"), Source: ptr("web"),
		TotalOrders: ptr(-3), TotalSpent: ptr(1e21), AverageOrder: ptr(5e-324), LifetimeValue: ptr(math.Copysign(0, -1)),
		LastOrderAt: ptr(t0.In(time.FixedZone("x", 3600))), LastActivityAt: ptr(t0.Add(time.Hour)),
		CreatedAt: t0, UpdatedAt: ptr(t0.Add(2 * time.Hour)),
		VendorRecord: json.RawMessage(`{ "a" : [1, 2, {"b": "c"}],  "d": null }`),
		AllContacts:  true,
		Detail: &customer.Detail{
			MarketingOptIn: ptr(true), SMSOptIn: ptr(false), DateOfBirth: ptr("1815-12-10"),
			Address: &customer.Address{Line1: ptr("1 St"), City: ptr("London"), Country: ptr("GB")},
			Tags:    []string{"a", "b\"c", ""}, Notes: ptr("n"), PreferredLocationID: ptr("loc"), CompanyID: ptr("co"),
			LoyaltyPoints: ptr(math.MaxInt32), Balance: ptr(12.5), IPAddress: ptr("192.0.2.1"),
			Subscriptions: []customer.Subscription{{ID: "s1", ProductID: ptr("p1"), StartsAt: ptr(t0), ExpiresAt: ptr(t0), CreatedAt: ptr(t0)}, {ID: "s2"}},
			Tickets: []customer.SupportTicket{
				{ID: "t1", Subject: ptr("help"), Status: ptr(2), CreatedAt: ptr(t0), Messages: []customer.SupportTicketMessage{{ID: "m1", Author: ptr("me"), Message: ptr("hi"), CreatedAt: ptr(t0)}, {ID: "m2"}}},
				{ID: "t2"},
			},
			Affiliate: &customer.Affiliate{ID: "af", Enabled: true, Link: ptr("l"), Balance: ptr(1.0), ReturnPercentage: ptr(0.1), PercentageOff: ptr(100.0), CreatedAt: ptr(t0)},
			Groups:    []customer.Group{{ID: "g1", Name: "Gold", Description: ptr("d")}, {ID: "g2", Name: "Silver"}},
		},
	}
	bare := customer.Customer{ID: "c-bare", Vendor: customer.Xtrakit, Status: customer.Status("SOMETHING_NEW"), CreatedAt: t0, AllContacts: true, Detail: &customer.Detail{}}
	// Tiquo has no balance, ipAddress, subscriptions, tickets, affiliate
	// or groups: without a detail they are empty, not errors.
	listOnly := customer.Customer{ID: "c-list", Vendor: customer.Tiquo, Status: customer.StatusBanned, CreatedAt: t0,
		Emails: []customer.Email{{Address: "l@example.com", IsPrimary: true}}, AllContacts: true}
	broken := errors.New("upstream failed")
	detailErr := customer.Customer{ID: "c-detail-err", Vendor: customer.Tiquo, CreatedAt: t0, AllContacts: true, DetailErr: broken}
	contactsErr := customer.Customer{ID: "c-contacts-err", Vendor: customer.Tiquo, CreatedAt: t0, Detail: &customer.Detail{}, ContactsErr: broken}
	badJSON := customer.Customer{ID: "c-bad-json", Vendor: customer.Tiquo, CreatedAt: t0, AllContacts: true, Detail: &customer.Detail{}, VendorRecord: json.RawMessage(`{"a":`)}
	nan := customer.Customer{ID: "c-nan", Vendor: customer.Tiquo, CreatedAt: t0, AllContacts: true, Detail: &customer.Detail{}, TotalSpent: ptr(math.NaN())}
	inf := customer.Customer{ID: "c-inf", Vendor: customer.Komerza, CreatedAt: t0, AllContacts: true, Detail: &customer.Detail{Balance: ptr(math.Inf(-1))}}
	invalidUTF8 := customer.Customer{ID: "c-utf8", Vendor: customer.Tiquo, CreatedAt: t0, AllContacts: true, Detail: &customer.Detail{}, FirstName: ptr("a\xffb\xc3")}
	return []customer.Customer{full, bare, listOnly, detailErr, contactsErr, badJSON, nan, inf, invalidUTF8}
}

// fake serves records. Its triggers, as the argument of any lookup or as
// the search of customers: "panic" panics, "error" fails, "nil-node" is a
// page whose edge has no node, "no-page-info" a page without page info.
type fake struct {
	records []customer.Customer
	calls   atomic.Int64 // of the query resolvers
}

func (f *fake) Query() graph.QueryResolver       { return f }
func (f *fake) Mutation() graph.MutationResolver { return f }

func (f *fake) UpdateCustomer(context.Context, string, model.UpdateCustomerInput) (*model.UpdateCustomerPayload, error) {
	c := f.records[0]
	return &model.UpdateCustomerPayload{Customer: &c, UserErrors: []model.UserError{}}, nil
}

func (f *fake) find(key string) (*customer.Customer, error) {
	switch key {
	case "panic":
		panic("resolver panic")
	case "error":
		return nil, errors.New("lookup failed")
	}
	for i := range f.records {
		c := f.records[i]
		if c.ID == key || (len(c.Emails) > 0 && c.Emails[0].Address == key) {
			return &c, nil
		}
	}
	return nil, nil
}

func (f *fake) Node(_ context.Context, id string) (model.Node, error) {
	f.calls.Add(1)
	c, err := f.find(id)
	if c == nil {
		return nil, err
	}
	return c, err
}

func (f *fake) Customer(_ context.Context, id, number, email, phone *string) (*customer.Customer, error) {
	f.calls.Add(1)
	for _, k := range []*string{id, number, email, phone} {
		if k != nil {
			return f.find(*k)
		}
	}
	return nil, errors.New("give one")
}

func (f *fake) CustomerByIdentifier(_ context.Context, identifier string) (*customer.Customer, error) {
	f.calls.Add(1)
	return f.find(identifier)
}

func (f *fake) Customers(ctx context.Context, first *int, after, search *string, status *customer.Status, parameter *model.CustomerParameterFilter, group *string) (*model.CustomerConnection, error) {
	f.calls.Add(1)
	n := 50
	if first != nil {
		n = *first
	}
	if n < 1 {
		return nil, errors.New("first must be positive")
	}
	s := ""
	if search != nil {
		s = *search
	}
	if s == "panic" || s == "error" {
		_, err := f.find(s)
		return nil, err
	}
	var cs []customer.Customer
	for _, c := range f.records {
		if (status == nil || c.Status == *status) && (s == "" || strings.HasPrefix(c.ID, s)) {
			cs = append(cs, c)
		}
	}
	cs = cs[:min(n, len(cs))]
	conn := &model.CustomerConnection{Nodes: cs, PageInfo: &model.PageInfo{HasNextPage: after == nil, StartCursor: ptr("start")}}
	for i := range cs {
		e := model.CustomerEdge{Cursor: "cur-" + cs[i].ID, Node: &cs[i]}
		if parameter != nil {
			e.ParameterValue = ptr("value")
		}
		conn.Edges = append(conn.Edges, e)
	}
	switch s {
	case "nil-node":
		conn.Edges = append(conn.Edges, model.CustomerEdge{Cursor: "x"})
	case "no-page-info":
		conn.PageInfo = nil
	}
	return conn, nil
}

// pair is the same schema and resolvers served twice: with the Renderer
// (direct) and without (gqlgen).
type pair struct {
	direct, gqlgen string
	r              *Renderer
}

func newPair(t testing.TB, recs []customer.Customer) *pair {
	t.Helper()
	f := &fake{records: recs}
	r := New(f, 100)
	serve := func(render bool) string {
		root := graph.ResolverRoot(f)
		if render {
			root = withQuery{f, r.Query()}
		}
		srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: root}))
		srv.AddTransport(transport.POST{})
		srv.SetQueryCache(gqllru.New[*ast.QueryDocument](100)) // a repeated query is the same document
		srv.SetRecoverFunc(func(context.Context, any) error { return errors.New("internal system error") })
		if render {
			srv.Use(r)
		}
		s := httptest.NewServer(srv)
		t.Cleanup(s.Close)
		return s.URL
	}
	return &pair{direct: serve(true), gqlgen: serve(false), r: r}
}

type withQuery struct {
	graph.ResolverRoot
	q graph.QueryResolver
}

func (r withQuery) Query() graph.QueryResolver { return r.q }

// client bounds each request: a hung one fails the test.
var client = &http.Client{Timeout: 10 * time.Second}

func post(t testing.TB, url, query string, vars map[string]any) []byte {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return b.Bytes()
}

// same posts query to both and fails unless the answers are the same
// bytes; it returns the answer and how many root fields the Renderer
// wrote and declined.
func (p *pair) same(t testing.TB, query string, vars map[string]any) (answer []byte, rendered, declined uint64) {
	t.Helper()
	f := p.r.q.(*fake)
	before, calls := p.r.Stats(), f.calls.Load()
	got := post(t, p.direct, query, vars)
	after, directCalls := p.r.Stats(), f.calls.Load()-calls
	want := post(t, p.gqlgen, query, vars)
	if !equalAnswers(t, got, want) {
		t.Fatalf("query %s\nrendered: %s\ngqlgen:   %s", query, got, want)
	}
	// A root field handed back to gqlgen is not resolved again.
	if gqlgenCalls := f.calls.Load() - calls - directCalls; directCalls != gqlgenCalls {
		t.Errorf("query %s: the resolvers were called %d times with the renderer, %d without", query, directCalls, gqlgenCalls)
	}
	return got, after.Rendered - before.Rendered, after.Declined - before.Declined
}

// equalAnswers reports whether a and b are the same answer: the same bytes
// but for the order of the errors, which gqlgen reports in the order its
// goroutines meet them.
func equalAnswers(t testing.TB, a, b []byte) bool {
	t.Helper()
	var ra, rb map[string]json.RawMessage
	if json.Unmarshal(a, &ra) != nil || json.Unmarshal(b, &rb) != nil {
		return bytes.Equal(a, b)
	}
	errs := func(r map[string]json.RawMessage) []string {
		var list []json.RawMessage
		json.Unmarshal(r["errors"], &list)
		out := make([]string, len(list))
		for i, e := range list {
			out[i] = string(e)
		}
		slices.Sort(out)
		delete(r, "errors")
		return out
	}
	return slices.Equal(errs(ra), errs(rb)) && maps.EqualFunc(ra, rb, func(x, y json.RawMessage) bool { return bytes.Equal(x, y) })
}

const allCustomerFields = `__typename id vendor customerNumber firstName lastName displayName email
  emails { __typename address isPrimary } phone phones { __typename number isPrimary }
  profilePhoto whatsapp status vendorStatus source marketingOptIn smsOptIn dateOfBirth
  address { __typename line1 line2 city state postalCode country } tags notes preferredLocationId companyId
  loyaltyPoints totalOrders totalSpent averageOrderValue lifetimeValue lastOrderAt lastActivityAt
  createdAt updatedAt vendorRecord balance ipAddress
  subscriptions { __typename id productId startsAt expiresAt createdAt }
  supportTickets { __typename id subject status createdAt messages { __typename id author message createdAt } }
  affiliate { __typename id enabled link balance returnPercentage percentageOff createdAt }
  groups { __typename id name description }`

func TestSameAsGQLGen(t *testing.T) {
	p := newPair(t, records())
	all := "{ " + allCustomerFields + " }"
	tests := []struct {
		name     string
		query    string
		vars     map[string]any
		rendered uint64 // root fields the Renderer writes; the rest it declines
		declined uint64
	}{
		{"every field of every record", `{ customers(first: 2) { __typename nodes ` + all + ` edges { __typename cursor parameterValue node ` + all + ` } pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor } } }`, nil, 1, 0},
		{"a lookup", `{ customer(email: "ada@example.com") ` + all + ` }`, nil, 1, 0},
		{"by id, number, identifier, node", `query($id: ID) { a: customer(id: $id) { id } b: customer(customerNumber: "c-bare") { id status } c: customerByIdentifier(identifier: "c-bare") ` + all + ` d: node(id: "c-full") { __typename id ... on Customer { email } } }`, map[string]any{"id": "c-full"}, 4, 0},
		{"not found", `{ customer(email: "nobody") { id } node(id: "nobody") { id } customerByIdentifier(identifier: "nobody") { id } }`, nil, 3, 0},
		{"aliases, repeats and merges", `{ customers(first: 2) { n: nodes { x: id id id y: email x: id emails { address } emails { isPrimary } } nodes { id } } }`, nil, 1, 0},
		{"fragments", `query { customers(first: 2) { ...conn } } fragment conn on CustomerConnection { nodes { ...on Node { id } ...c ... { vendor } } } fragment c on Customer { displayName ...on Customer { tags } }`, nil, 1, 0},
		{"skip and include", `query($yes: Boolean!, $no: Boolean!) { customers(first: 2) { nodes { id @skip(if: $yes) email @include(if: $yes) phone @include(if: $no) ... @skip(if: $no) { status } } pageInfo @skip(if: true) { hasNextPage } } }`, map[string]any{"yes": true, "no": false}, 1, 0},
		{"arguments as variables", `query($f: Int, $s: String, $st: CustomerStatus, $g: ID) { customers(first: $f, search: $s, status: $st, group: $g, after: "x") { nodes { id } pageInfo { hasNextPage } } }`, map[string]any{"f": 5, "s": "c-", "st": "ACTIVE", "g": 7}, 1, 0},
		{"__typename at the root, with introspection", `{ __typename customers(first: 1) { nodes { id } } __type(name: "Customer") { name } }`, nil, 1, 1},
		{"a parameter filter is gqlgen's", `{ customers(first: 1, parameter: {id: "x", value: "y"}) { edges { parameterValue node { id } } } }`, nil, 0, 1},
		{"a part that failed", `{ customers(search: "c-detail-err") { nodes { id marketingOptIn tags address { city } } } }`, nil, 0, 1},
		{"a non-null part that failed", `{ customer(id: "c-detail-err") { id tags } }`, nil, 0, 1},
		{"contacts that failed", `{ customer(id: "c-contacts-err") { id emails { address } phones { number } email } }`, nil, 0, 1},
		{"contacts that failed, not asked for", `{ customer(id: "c-contacts-err") { id email marketingOptIn } }`, nil, 1, 0},
		{"a part not loaded", `{ customer(id: "c-list") { marketingOptIn } }`, nil, 0, 1},
		{"a vendor without the field", `{ customer(id: "c-list") { balance subscriptions { id } groups { id } affiliate { id } ipAddress } }`, nil, 1, 0},
		{"JSON that is not", `{ customer(id: "c-bad-json") { id vendorRecord } }`, nil, 1, 0},
		{"NaN", `{ customer(id: "c-nan") { id totalSpent } }`, nil, 0, 1},
		{"an infinity in a part", `{ customer(id: "c-inf") { id balance } }`, nil, 0, 1},
		{"invalid UTF-8", `{ customer(id: "c-utf8") { firstName } }`, nil, 1, 0},
		{"a null node", `{ customers(search: "nil-node") { edges { cursor node { id } } } }`, nil, 0, 1},
		{"a null node not asked for", `{ customers(search: "nil-node") { edges { cursor } } }`, nil, 1, 0},
		{"no page info", `{ customers(search: "no-page-info") { pageInfo { hasNextPage } } }`, nil, 0, 1},
		{"a resolver error", `{ a: customer(id: "error") { id } b: customer(id: "c-full") { id } customers(first: 0) { nodes { id } } }`, nil, 1, 2},
		{"a resolver panic", `{ a: customer(id: "panic") { id } b: customers(search: "panic") { nodes { id } } }`, nil, 0, 2},
		{"an argument gqlgen refuses", `query($f: Int) { customers(first: $f) { nodes { id } } }`, map[string]any{"f": "many"}, 0, 0},
		{"a mutation is gqlgen's", `mutation { updateCustomer(id: "c-full", input: {}) { customer { id email } userErrors { code } } }`, nil, 0, 0},
	}
	t.Cleanup(func() {
		if p.r.plans.Len() == 0 {
			t.Error("no plan was remembered")
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: the second time, a query without variables is
			// planned from the plan of the first.
			for range 2 {
				got, rendered, declined := p.same(t, tt.query, tt.vars)
				if rendered != tt.rendered || declined != tt.declined {
					t.Errorf("rendered %d and declined %d root fields; want %d and %d (answer %.300s)", rendered, declined, tt.rendered, tt.declined, got)
				}
			}
		})
	}
}

// TestEveryFieldIsRendered fails when the schema has a field of an object
// type the renderer writes that it does not know: queries asking for it
// would all be declined.
func TestEveryFieldIsRendered(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{Resolvers: &fake{}}).Schema()
	for _, ot := range objectTypes {
		def := s.Types[ot.name]
		if def == nil {
			t.Errorf("type %s is not in the schema", ot.name)
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			d, ok := ot.fields[f.Name]
			if !ok {
				t.Errorf("%s.%s is not rendered", ot.name, f.Name)
				continue
			}
			if isObject := s.Types[f.Type.Name()].Kind == "OBJECT"; isObject != (d.elem != nil) || (isObject && d.elem.name != f.Type.Name()) {
				t.Errorf("%s.%s: the renderer has the wrong type for it", ot.name, f.Name)
			}
		}
		if len(def.Fields) < len(ot.fields) {
			t.Errorf("%s: the renderer has fields the schema does not", ot.name)
		}
	}
	for name := range roots {
		if s.Query.Fields.ForName(name) == nil {
			t.Errorf("root field %s is not in the schema", name)
		}
	}
}

// FuzzSameAsGQLGen writes a customer made of the fuzzer's values both
// ways.
func FuzzSameAsGQLGen(f *testing.F) {
	f.Add("Ada", "ada@example.com", 1.5, 7, `{"a":1}`, int64(0))
	f.Add("\x00\"\\\u2028\xff", "", math.Inf(1), -1, `[`, int64(-62135596800))
	f.Add("", "x", 1e-7, math.MaxInt32, ` 1 `, int64(253402300799))
	p := newPair(f, nil)
	f.Fuzz(func(t *testing.T, s, email string, fl float64, n int, record string, unix int64) {
		ts := time.Unix(unix, int64(n)%1e9)
		c := customer.Customer{ID: "c" + s, Vendor: customer.Komerza, CustomerNumber: s, FirstName: &s, DisplayName: &email,
			Emails: []customer.Email{{Address: email, IsPrimary: true}, {Address: s}}, AllContacts: true,
			Status: customer.Status(s), VendorStatus: &s, TotalSpent: &fl, TotalOrders: &n, CreatedAt: ts, LastOrderAt: &ts,
			VendorRecord: json.RawMessage(record),
			Detail: &customer.Detail{Tags: []string{s, email}, DateOfBirth: &s, LoyaltyPoints: &n, Balance: &fl,
				Subscriptions: []customer.Subscription{{ID: s, StartsAt: &ts}},
				Groups:        []customer.Group{{ID: s, Name: email, Description: &s}}},
		}
		p.r.q.(*fake).records = []customer.Customer{c}
		p.same(t, fmt.Sprintf(`{ customers(first: 1) { nodes { %s } edges { cursor } } }`, allCustomerFields), nil)
	})
}
