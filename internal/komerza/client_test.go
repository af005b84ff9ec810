package komerza_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"customergraph/internal/komerza"
	"customergraph/internal/upstream"
	"customergraph/internal/upstream/upstreamtest"
)

const (
	testKey   = "kmz_live_5e4d3c2b1a09"
	testStore = "11111111-1111-4111-8111-111111111111"
	custID    = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
)

// docsCustomer is the data of the response on the vendor's page for
// GET /stores/{storeId}/customers/{customerId}, with its placeholders
// filled in.
const docsCustomer = `{
"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
"dateCreated": "2023-11-07T05:31:56Z",
"emailAddress": "jane@example.com",
"status": "VIP",
"totalSpend": 123,
"averageSpend": 123,
"totalOrders": 123,
"ipAddress": "203.0.113.7",
"balance": 123,
"externalIntegrations": {},
"subscriptions": [
{
"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
"dateCreated": "2023-11-07T05:31:56Z",
"expirationDate": "2023-11-07T05:31:56Z",
"startDate": "2023-11-07T05:31:56Z",
"productId": "3c90c3cc-0d44-4b50-8888-8dd25736052a"
}
],
"tickets": [
{
"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
"dateCreated": "2023-11-07T05:31:56Z",
"subject": "Where is my order?",
"status": 0,
"storeId": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
"customerId": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
"emailAddress": "jane@example.com",
"entries": [
{
"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
"dateCreated": "2023-11-07T05:31:56Z",
"message": "It has not arrived.",
"name": "Jane"
}
]
}
],
"affiliate": {
"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
"dateCreated": "2023-11-07T05:31:56Z",
"isEnabled": true,
"link": "https://example.com/r/jane",
"balance": 123,
"returnPercentage": 123,
"percentageOff": 123
}
}`

func docsResponse() string {
	return `{"success": true, "message": "<string>", "code": "<string>", "data": ` + docsCustomer + `}`
}

const refJSON = `{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","dateCreated":"2023-11-07T05:31:56Z",` +
	`"emailAddress":"jane@example.com","status":"New","isAffiliate":false,"totalSpend":10.5,"averageSpend":5.25,` +
	`"totalOrders":2,"isBlocked":true,"somethingNew":1}`

func newClient(t *testing.T, baseURL string, opts *upstream.Options) *komerza.Client {
	t.Helper()
	if opts == nil {
		opts = &upstream.Options{RetryBase: time.Millisecond}
	}
	c, err := komerza.New(baseURL, testKey, testStore, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func checkClean(t *testing.T, err error, baseURL string) {
	t.Helper()
	upstreamtest.CheckClean(t, err, "komerza", baseURL, testKey, "/stores", "/customers")
}

// calls are one call of each method, by name.
func calls(c *komerza.Client) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"Customer": func(ctx context.Context) error { _, err := c.Customer(ctx, custID); return err },
		"CustomerByEmail": func(ctx context.Context) error {
			_, err := c.CustomerByEmail(ctx, "jane@example.com")
			return err
		},
		"ListCustomers": func(ctx context.Context) error { _, err := c.ListCustomers(ctx, komerza.ListParams{}); return err },
		"SearchCustomers": func(ctx context.Context) error {
			_, err := c.SearchCustomers(ctx, "jane", komerza.ListParams{})
			return err
		},
		"UpdateBalance": func(ctx context.Context) error { _, err := c.UpdateBalance(ctx, custID, 1, nil); return err },
	}
}

func TestNew(t *testing.T) {
	for _, id := range []string{
		"", "store", "11111111111141118111111111111111", "{11111111-1111-4111-8111-111111111111}",
		"11111111-1111-4111-8111-11111111111", "11111111-1111-4111-8111-1111111111111", "1111111g-1111-4111-8111-111111111111",
		"11111111_1111-4111-8111-111111111111", "../../11-1111-4111-8111-111111111111", "11111111-1111-4111-8111-11111111111/",
	} {
		if c, err := komerza.New("https://api.komerza.com", testKey, id, nil); err == nil {
			t.Errorf("New(store %q) = %v; want an error", id, c)
		} else if !strings.HasPrefix(err.Error(), "komerza: ") {
			t.Errorf("New(store %q): error %q; want the prefix komerza:", id, err)
		}
	}
	for _, u := range []string{"", "api.komerza.com", "https://user:secret@api.komerza.com", "https://api.komerza.com/?x"} {
		if _, err := komerza.New(u, testKey, testStore, nil); err == nil {
			t.Errorf("New(%q): got no error; want one", u)
		} else if !strings.HasPrefix(err.Error(), "komerza: ") || strings.Contains(err.Error(), "secret") {
			t.Errorf("New(%q): error %q", u, err)
		}
	}
	for _, id := range []string{testStore, "3C90C3CC-0D44-4B50-8888-8DD25736052A"} {
		c, err := komerza.New("https://api.komerza.com/", testKey, id, nil)
		if err != nil {
			t.Errorf("New(store %q): %v", id, err)
		} else if c.StoreID() != id {
			t.Errorf("StoreID() = %q; want %q", c.StoreID(), id)
		}
	}
}

func TestRequests(t *testing.T) {
	srv := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && (strings.HasSuffix(r.URL.Path, "/customers") || strings.Contains(r.URL.Path, "/search/")):
			io.WriteString(w, `{"success":true,"pages":1,"data":[]}`)
		default:
			io.WriteString(w, docsResponse())
		}
	})
	c := newClient(t, srv.URL+"/api/", &upstream.Options{UserAgent: "cg-test/1"})
	ctx := context.Background()
	comment := "refund for order #12"
	const prefix = "/api/stores/" + testStore + "/customers"
	for _, tc := range []struct {
		name                 string
		call                 func() error
		method, rawPath, qry string
		body                 string
	}{
		{"Customer", func() error { _, err := c.Customer(ctx, custID); return err },
			"GET", prefix + "/" + custID, "", ""},
		{"CustomerByEmail", func() error { _, err := c.CustomerByEmail(ctx, "jane@example.com"); return err },
			"GET", prefix + "/jane@example.com/email", "", ""},
		{"CustomerByEmail plus", func() error { _, err := c.CustomerByEmail(ctx, "a+b@example.com"); return err },
			"GET", prefix + "/a+b@example.com/email", "", ""},
		{"CustomerByEmail slash", func() error { _, err := c.CustomerByEmail(ctx, "a/b@example.com"); return err },
			"GET", prefix + "/a%2Fb@example.com/email", "", ""},
		{"CustomerByEmail query", func() error { _, err := c.CustomerByEmail(ctx, "?x=1#y@example.com"); return err },
			"GET", prefix + "/%3Fx=1%23y@example.com/email", "", ""},
		{"CustomerByEmail dots", func() error { _, err := c.CustomerByEmail(ctx, ".."); return err },
			"GET", prefix + "/%2E%2E/email", "", ""},
		{"ListCustomers", func() error { _, err := c.ListCustomers(ctx, komerza.ListParams{}); return err },
			"GET", prefix, "", ""},
		{"ListCustomers paged", func() error {
			_, err := c.ListCustomers(ctx, komerza.ListParams{Page: 3, PageSize: 25})
			return err
		}, "GET", prefix, "Page=3&PageSize=25", ""},
		{"ListCustomers filtered", func() error {
			_, err := c.ListCustomers(ctx, komerza.ListParams{Page: 1, Email: "a+b&c@x", IPAddress: "10.0.0.1"})
			return err
		}, "GET", prefix, "Page=1&email=a%2Bb%26c%40x&ipAddress=10.0.0.1", ""},
		{"SearchCustomers", func() error {
			_, err := c.SearchCustomers(ctx, "jane", komerza.ListParams{Page: 2, PageSize: 10, Email: "ignored"})
			return err
		}, "GET", prefix + "/search/jane", "Page=2&PageSize=10", ""},
		{"SearchCustomers escaped", func() error {
			_, err := c.SearchCustomers(ctx, "john doe/../?x", komerza.ListParams{})
			return err
		}, "GET", prefix + "/search/john%20doe%2F..%2F%3Fx", "", ""},
		{"UpdateBalance", func() error { _, err := c.UpdateBalance(ctx, custID, 12.5, &comment); return err },
			"PATCH", prefix + "/" + custID + "/balance", "", `{"newBalance":12.5,"comment":"refund for order #12"}`},
		{"UpdateBalance no comment", func() error { _, err := c.UpdateBalance(ctx, custID, 0, nil); return err },
			"PATCH", prefix + "/" + custID + "/balance", "", `{"newBalance":0,"comment":null}`},
	} {
		if err := tc.call(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		r := srv.Last(t)
		if r.Method != tc.method || r.RawPath != tc.rawPath || r.Query != tc.qry || r.Body != tc.body {
			t.Errorf("%s: got %s %s ?%s %s\nwant %s %s ?%s %s", tc.name, r.Method, r.RawPath, r.Query, r.Body,
				tc.method, tc.rawPath, tc.qry, tc.body)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
			t.Errorf("%s: Authorization = %q; want Bearer <key>", tc.name, got)
		}
		if got := r.Header.Get("User-Agent"); got != "cg-test/1" {
			t.Errorf("%s: User-Agent = %q; want cg-test/1", tc.name, got)
		}
		if ct := r.Header.Get("Content-Type"); (tc.body != "") != (ct == "application/json") {
			t.Errorf("%s: Content-Type = %q", tc.name, ct)
		}
	}
}

func TestInvalidInputSendsNothing(t *testing.T) {
	srv := upstreamtest.Fixed(t, 200, nil, docsResponse())
	c := newClient(t, srv.URL, nil)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"Customer empty":          func() error { _, err := c.Customer(ctx, ""); return err },
		"Customer not a UUID":     func() error { _, err := c.Customer(ctx, "search"); return err },
		"Customer path":           func() error { _, err := c.Customer(ctx, custID+"/balance"); return err },
		"CustomerByEmail empty":   func() error { _, err := c.CustomerByEmail(ctx, " "); return err },
		"SearchCustomers empty":   func() error { _, err := c.SearchCustomers(ctx, "", komerza.ListParams{}); return err },
		"ListCustomers page -1":   func() error { _, err := c.ListCustomers(ctx, komerza.ListParams{Page: -1}); return err },
		"SearchCustomers size -1": func() error { _, err := c.SearchCustomers(ctx, "x", komerza.ListParams{PageSize: -1}); return err },
		"UpdateBalance bad ID":    func() error { _, err := c.UpdateBalance(ctx, "x", 1, nil); return err },
		"UpdateBalance negative":  func() error { _, err := c.UpdateBalance(ctx, custID, -0.01, nil); return err },
		"UpdateBalance NaN":       func() error { _, err := c.UpdateBalance(ctx, custID, math.NaN(), nil); return err },
		"UpdateBalance +Inf":      func() error { _, err := c.UpdateBalance(ctx, custID, math.Inf(1), nil); return err },
		"UpdateBalance -Inf":      func() error { _, err := c.UpdateBalance(ctx, custID, math.Inf(-1), nil); return err },
		"ListCustomers size -5":   func() error { _, err := c.ListCustomers(ctx, komerza.ListParams{PageSize: -5}); return err },
	} {
		err := call()
		checkClean(t, err, srv.URL)
		var ue *upstream.Error
		if !errors.Is(err, upstream.ErrValidation) || !errors.As(err, &ue) || ue.Message == "" || ue.Status != 0 {
			t.Errorf("%s: got %v; want ErrValidation with a message", name, err)
		}
	}
	if srv.Count() != 0 {
		t.Errorf("invalid input made %d requests; want 0", srv.Count())
	}
}

func TestDocsExample(t *testing.T) {
	srv := upstreamtest.Fixed(t, 200, map[string]string{"Content-Type": "application/json"}, docsResponse())
	got, err := newClient(t, srv.URL, nil).Customer(context.Background(), custID)
	if err != nil {
		t.Fatal(err)
	}
	at := komerza.Time{Time: time.Date(2023, 11, 7, 5, 31, 56, 0, time.UTC)}
	s := func(v string) *string { return &v }
	f := func(v float64) *float64 { return &v }
	i := func(v int) *int { return &v }
	want := &komerza.Customer{
		ID: custID, DateCreated: at, EmailAddress: "jane@example.com", Status: s("VIP"),
		TotalSpend: f(123), AverageSpend: f(123), TotalOrders: i(123), IPAddress: s("203.0.113.7"), Balance: f(123),
		ExternalIntegrations: map[string]string{},
		Subscriptions: []komerza.Subscription{{ID: custID, DateCreated: at, ExpirationDate: &at, StartDate: &at,
			ProductID: s(custID)}},
		Tickets: []komerza.Ticket{{ID: custID, DateCreated: at, Subject: s("Where is my order?"), Status: i(0),
			StoreID: s(custID), CustomerID: s(custID), EmailAddress: s("jane@example.com"),
			Entries: []komerza.TicketEntry{{ID: custID, DateCreated: at, Message: s("It has not arrived."), Name: s("Jane")}}}},
		Affiliate: &komerza.Affiliate{ID: custID, DateCreated: at, IsEnabled: true, Link: s("https://example.com/r/jane"),
			Balance: f(123), ReturnPercentage: f(123), PercentageOff: f(123)},
	}
	raw := got.Raw
	got.Raw = nil
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("got\n%s\nwant\n%s", gj, wj)
	}
	if got.IsBlocked != nil || got.BlockedNote != nil || got.BlockedAt != nil {
		t.Errorf("blocked fields = %v, %v, %v; want nil (absent)", got.IsBlocked, got.BlockedNote, got.BlockedAt)
	}
	if !jsonEqual(raw, []byte(docsCustomer)) {
		t.Errorf("Raw = %s; want the data object", raw)
	}

	// The same record by email.
	byEmail, err := newClient(t, srv.URL, nil).CustomerByEmail(context.Background(), "jane@example.com")
	if err != nil || byEmail.ID != custID || !jsonEqual(byEmail.Raw, []byte(docsCustomer)) {
		t.Errorf("CustomerByEmail = %+v, %v", byEmail, err)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestBlockedAndNulls(t *testing.T) {
	srv := upstreamtest.Fixed(t, 200, nil, `{"success":true,"message":null,"code":null,"data":{"id":"`+custID+`",
		"dateCreated":"2024-02-01T10:00:00.1234567","emailAddress":"x@example.com","status":null,"totalSpend":null,
		"ipAddress":null,"balance":0,"externalIntegrations":{"discord":"1234"},"subscriptions":null,"tickets":[],
		"affiliate":null,"isBlocked":true,"blockedNote":"chargebacks","blockedAt":"2024-03-01T00:00:00+01:00","extra":[1]}}`)
	got, err := newClient(t, srv.URL, nil).Customer(context.Background(), custID)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 2, 1, 10, 0, 0, 123456700, time.UTC); !got.DateCreated.Equal(want) {
		t.Errorf("DateCreated = %v; want %v (a zone-less time read as UTC)", got.DateCreated, want)
	}
	if got.Status != nil || got.TotalSpend != nil || got.IPAddress != nil || got.Affiliate != nil || got.Subscriptions != nil {
		t.Errorf("got %+v; want nil for the null fields", got)
	}
	if got.Balance == nil || *got.Balance != 0 || got.Tickets == nil || len(got.Tickets) != 0 {
		t.Errorf("Balance %v, Tickets %v; want 0 and []", got.Balance, got.Tickets)
	}
	if got.IsBlocked == nil || !*got.IsBlocked || got.BlockedNote == nil || *got.BlockedNote != "chargebacks" ||
		got.BlockedAt == nil || !got.BlockedAt.Equal(time.Date(2024, 2, 29, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("blocked fields = %v, %v, %v", got.IsBlocked, got.BlockedNote, got.BlockedAt)
	}
	if got.ExternalIntegrations["discord"] != "1234" {
		t.Errorf("ExternalIntegrations = %v", got.ExternalIntegrations)
	}
	if !bytes.Contains(got.Raw, []byte(`"extra":[1]`)) {
		t.Errorf("Raw = %s; want the unknown field kept", got.Raw)
	}
}

func TestListDecoding(t *testing.T) {
	for _, tc := range []struct {
		name  string
		body  string
		n     int
		pages int
		ok    bool
	}{
		{"one", `{"success":true,"pages":4,"data":[` + refJSON + `]}`, 1, 4, true},
		{"two", `{"success":true,"pages":1,"data":[` + refJSON + `,` + refJSON + `]}`, 2, 1, true},
		{"empty", `{"success":true,"pages":0,"data":[]}`, 0, 0, true},
		{"null data", `{"success":true,"pages":0,"data":null}`, 0, 0, true},
		{"no pages", `{"success":true,"data":[]}`, 0, 0, true},
		{"no data", `{"success":true,"pages":3}`, 0, 0, false},
		{"object data", `{"success":true,"pages":1,"data":` + refJSON + `}`, 0, 0, false},
		{"success false", `{"success":false,"message":"Store is suspended","code":"store_suspended","data":null}`, 0, 0, false},
		{"garbage", `<html>`, 0, 0, false},
		{"bad item", `{"success":true,"data":[{"id":42}]}`, 0, 0, false},
	} {
		srv := upstreamtest.Fixed(t, 200, nil, tc.body)
		c := newClient(t, srv.URL, nil)
		for _, call := range []func() (*komerza.Page, error){
			func() (*komerza.Page, error) { return c.ListCustomers(context.Background(), komerza.ListParams{}) },
			func() (*komerza.Page, error) {
				return c.SearchCustomers(context.Background(), "jane", komerza.ListParams{})
			},
		} {
			page, err := call()
			checkClean(t, err, srv.URL)
			if !tc.ok {
				if !errors.Is(err, upstream.ErrUnexpected) {
					t.Errorf("%s: got %v, %v; want ErrUnexpected", tc.name, page, err)
				}
				continue
			}
			if err != nil || len(page.Customers) != tc.n || page.Pages != tc.pages {
				t.Errorf("%s: got %+v, %v; want %d customers of %d pages", tc.name, page, err, tc.n, tc.pages)
				continue
			}
			for _, r := range page.Customers {
				if r.ID != custID || r.EmailAddress != "jane@example.com" || *r.Status != "New" || *r.IsAffiliate ||
					*r.TotalSpend != 10.5 || *r.AverageSpend != 5.25 || *r.TotalOrders != 2 || !*r.IsBlocked ||
					!r.DateCreated.Equal(time.Date(2023, 11, 7, 5, 31, 56, 0, time.UTC)) || !jsonEqual(r.Raw, []byte(refJSON)) {
					t.Errorf("%s: got %+v (raw %s)", tc.name, r, r.Raw)
				}
			}
		}
		if srv.Count() != 2 {
			t.Errorf("%s: %d requests; want 2 (no retry)", tc.name, srv.Count())
		}
	}
	srv := upstreamtest.Fixed(t, 200, nil, `{"success":false,"message":"Store is suspended","code":"store_suspended"}`)
	_, err := newClient(t, srv.URL, nil).ListCustomers(context.Background(), komerza.ListParams{})
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Code != "store_suspended" || ue.Message != "Store is suspended" || ue.Status != 200 {
		t.Errorf("success false: got %+v; want code and message", ue)
	}
}

func TestCustomerDecoding(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"garbage", `not json`},
		{"truncated", `{"success":true,"data":{"id":"` + custID + `"`},
		{"success false", `{"success":false,"message":"Something went wrong","data":null}`},
		{"no data", `{"success":true}`},
		{"data null", `{"success":true,"data":null}`},
		{"no id", `{"success":true,"data":{"emailAddress":"x@example.com"}}`},
		{"data array", `{"success":true,"data":[]}`},
		{"wrong type", `{"success":true,"data":{"id":42}}`},
		{"bad time", `{"success":true,"data":{"id":"` + custID + `","dateCreated":"yesterday"}}`},
		{"integration not a string", `{"success":true,"data":{"id":"` + custID + `","externalIntegrations":{"a":1}}}`},
	} {
		srv := upstreamtest.Fixed(t, 200, nil, tc.body)
		_, err := newClient(t, srv.URL, nil).Customer(context.Background(), custID)
		checkClean(t, err, srv.URL)
		if !errors.Is(err, upstream.ErrUnexpected) {
			t.Errorf("%s: got %v; want ErrUnexpected", tc.name, err)
		}
		if srv.Count() != 1 {
			t.Errorf("%s: %d requests; want 1", tc.name, srv.Count())
		}
	}
}

func TestUpdateBalanceResponses(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		record     bool
		kind       error
	}{
		{"record", docsResponse(), true, nil},
		{"null", `{"success":true,"message":"Balance updated","data":null}`, false, nil},
		{"absent", `{"success":true,"message":"Balance updated"}`, false, nil},
		{"not a record", `{"success":true,"data":{"balance":5}}`, false, nil},
		{"number", `{"success":true,"data":5}`, false, nil},
		{"true", `{"success":true,"data":true}`, false, nil},
		{"success false", `{"success":false,"message":"Balance locked"}`, false, upstream.ErrUnexpected},
		{"garbage", `<html>`, false, upstream.ErrUnexpected},
		{"bad record", `{"success":true,"data":{"id":"` + custID + `","balance":"lots"}}`, false, upstream.ErrUnexpected},
	} {
		srv := upstreamtest.Fixed(t, 200, nil, tc.body)
		got, err := newClient(t, srv.URL, nil).UpdateBalance(context.Background(), custID, 5, nil)
		checkClean(t, err, srv.URL)
		switch {
		case tc.kind != nil:
			if !errors.Is(err, tc.kind) || got != nil {
				t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.kind)
			}
		case tc.record:
			if err != nil || got == nil || got.ID != custID || !jsonEqual(got.Raw, []byte(docsCustomer)) {
				t.Errorf("%s: got %+v, %v; want the record", tc.name, got, err)
			}
		default:
			if err != nil || got != nil {
				t.Errorf("%s: got %+v, %v; want nil, nil", tc.name, got, err)
			}
		}
	}
}

func TestErrorStatuses(t *testing.T) {
	for _, tc := range []struct {
		status    int
		body      string
		kind      error
		code, msg string
	}{
		{400, `{"success":false,"message":"Validation failed","code":"validation_error","data":null,` +
			`"invalidFields":{"newBalance":["Must be at least 0"],"comment":["Too long"]}}`,
			upstream.ErrValidation, "validation_error", "Validation failed (newBalance: Must be at least 0)"},
		{400, `{"success":false,"message":"Validation failed","invalidFields":{"comment":{}}}`,
			upstream.ErrValidation, "", "Validation failed (comment)"},
		{400, `{"success":false,"message":null,"invalidFields":{"email":"not an email"}}`,
			upstream.ErrValidation, "", "email: not an email"},
		{400, `{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.",` +
			`"status":400,"errors":{"NewBalance":["The field NewBalance must be between 0 and 1.7976931348623157E+308."]}}`,
			upstream.ErrValidation, "", "One or more validation errors occurred. (NewBalance: The field NewBalance must be between 0 and 1.7976931348623157E+308.)"},
		{400, `{"success":false,"message":"Bad request"}`, upstream.ErrValidation, "", "Bad request"},
		{401, `{"success":false,"message":"Invalid API key","code":"unauthorized"}`, upstream.ErrUnauthorized, "unauthorized", "Invalid API key"},
		{401, ``, upstream.ErrUnauthorized, "", ""},
		{403, `{"success":false,"message":"Missing permission stores.customers.update","code":"forbidden"}`,
			upstream.ErrForbidden, "forbidden", "Missing permission stores.customers.update"},
		{404, `{"success":false,"message":"Customer not found","code":"not_found","data":null}`,
			upstream.ErrNotFound, "not_found", "Customer not found"},
		{409, `{"success":false,"message":"Customer already exists"}`, upstream.ErrConflict, "", "Customer already exists"},
		{422, `{"success":false,"message":"Unprocessable"}`, upstream.ErrValidation, "", "Unprocessable"},
		{429, `{"success":false,"message":"Too many requests"}`, upstream.ErrRateLimited, "", "Too many requests"},
		{500, `{"success":false,"message":"Internal error"}`, upstream.ErrUnavailable, "", "Internal error"},
		{502, `<html><h1>502 Bad Gateway</h1></html>`, upstream.ErrUnavailable, "", ""},
		{503, ``, upstream.ErrUnavailable, "", ""},
		{504, ``, upstream.ErrUnavailable, "", ""},
		{418, `I'm a teapot`, upstream.ErrUnexpected, "", ""},
		{401, `{"success":false,"message":"key ` + testKey + ` revoked"}`, upstream.ErrUnauthorized, "", "key [redacted] revoked"},
	} {
		srv := upstreamtest.Fixed(t, tc.status, nil, tc.body)
		c := newClient(t, srv.URL, &upstream.Options{MaxRetries: -1})
		for name, call := range calls(c) {
			err := call(context.Background())
			checkClean(t, err, srv.URL)
			var ue *upstream.Error
			if !errors.As(err, &ue) || !errors.Is(err, tc.kind) {
				t.Errorf("%s %d %s: got %v; want %v", name, tc.status, tc.body, err, tc.kind)
				continue
			}
			if ue.API != "komerza" || ue.Status != tc.status || ue.Code != tc.code || ue.Message != tc.msg {
				t.Errorf("%s %d: got %+v; want code %q, message %q", name, tc.status, ue, tc.code, tc.msg)
			}
		}
		if srv.Count() != 5 {
			t.Errorf("%d: %d requests; want 5 (one per method)", tc.status, srv.Count())
		}
	}

	srv := upstreamtest.Fixed(t, 404, nil, `{"success":false,"message":"Customer not found"}`)
	_, err := newClient(t, srv.URL, nil).Customer(context.Background(), custID)
	if got, want := err.Error(), "komerza: get customer: not found: Customer not found"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		status int
		header string
		kind   error
		want   time.Duration
	}{
		{429, "30", upstream.ErrRateLimited, 30 * time.Second},
		{429, "", upstream.ErrRateLimited, 0},
		{503, "7", upstream.ErrUnavailable, 7 * time.Second},
	} {
		srv := upstreamtest.Fixed(t, tc.status, map[string]string{"Retry-After": tc.header}, `{"success":false,"message":"Slow down"}`)
		c := newClient(t, srv.URL, &upstream.Options{MaxRetries: -1})
		for name, call := range calls(c) {
			err := call(context.Background())
			checkClean(t, err, srv.URL)
			var ue *upstream.Error
			if !errors.Is(err, tc.kind) || !errors.As(err, &ue) || ue.RetryAfter != tc.want {
				t.Errorf("%s %d Retry-After %q: got %#v; want %v with RetryAfter %v", name, tc.status, tc.header, err, tc.kind, tc.want)
			}
		}
	}
}

// TestRetries: the GETs are retried on a 503, the PATCH never is, on any
// failure.
func TestRetries(t *testing.T) {
	srv := upstreamtest.Fixed(t, 503, nil, `{"success":false,"message":"Maintenance"}`)
	c := newClient(t, srv.URL, &upstream.Options{MaxRetries: 2, RetryBase: time.Millisecond})
	for name, call := range calls(c) {
		srv.Reset()
		err := call(context.Background())
		checkClean(t, err, srv.URL)
		want := 3
		if name == "UpdateBalance" {
			want = 1
		}
		if !errors.Is(err, upstream.ErrUnavailable) || srv.Count() != want {
			t.Errorf("%s: got %v after %d requests; want ErrUnavailable after %d", name, err, srv.Count(), want)
		}
		if r := srv.Last(t); name == "UpdateBalance" && r.Method != "PATCH" {
			t.Errorf("%s: sent %s", name, r.Method)
		}
	}

	// A PATCH that times out is not sent again either.
	release := make(chan struct{})
	defer close(release)
	slow := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c = newClient(t, slow.URL, &upstream.Options{Timeout: 30 * time.Millisecond, MaxRetries: 3, RetryBase: time.Millisecond})
	_, err := c.UpdateBalance(context.Background(), custID, 1, nil)
	checkClean(t, err, slow.URL)
	if !errors.Is(err, upstream.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) || slow.Count() != 1 {
		t.Errorf("slow PATCH: got %v after %d requests; want ErrUnavailable after 1", err, slow.Count())
	}
	slow.Reset()
	_, err = c.Customer(context.Background(), custID)
	if !errors.Is(err, upstream.ErrUnavailable) || slow.Count() != 4 {
		t.Errorf("slow GET: got %v after %d requests; want ErrUnavailable after 4", err, slow.Count())
	}
}

// TestBefore: the hook sees every attempt, with its method.
func TestBefore(t *testing.T) {
	srv := upstreamtest.Fixed(t, 503, nil, ``)
	var methods []string
	c := newClient(t, srv.URL, &upstream.Options{RetryBase: time.Millisecond,
		Before: func(_ context.Context, method string) (func(upstream.Result), error) {
			methods = append(methods, method)
			return nil, nil
		}})
	c.Customer(context.Background(), custID)
	c.UpdateBalance(context.Background(), custID, 1, nil)
	if got := strings.Join(methods, " "); got != "GET GET GET PATCH" {
		t.Errorf("Before saw %q; want GET GET GET PATCH", got)
	}
}

func TestSecretsNotInErrors(t *testing.T) {
	// The key, the base URL and its host in the upstream's own messages.
	var srv *upstreamtest.Server
	srv = upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, `{"success":false,"code":"`+testKey+`","message":"Key `+testKey+` is not valid for `+srv.URL+
			` (`+srv.Listener.Addr().String()+`)"}`)
	})
	c := newClient(t, srv.URL+"/v1", nil)
	for name, call := range calls(c) {
		err := call(context.Background())
		checkClean(t, err, srv.URL)
		if !errors.Is(err, upstream.ErrUnauthorized) {
			t.Errorf("%s: got %v; want ErrUnauthorized", name, err)
		}
	}
	// Connection errors.
	c = newClient(t, "http://127.0.0.1:1/v1", &upstream.Options{MaxRetries: -1})
	for name, call := range calls(c) {
		err := call(context.Background())
		checkClean(t, err, "http://127.0.0.1:1")
		if !errors.Is(err, upstream.ErrUnavailable) {
			t.Errorf("%s: got %v; want ErrUnavailable", name, err)
		}
	}
}

func TestTime(t *testing.T) {
	base := time.Date(2023, 11, 7, 5, 31, 56, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{`"2023-11-07T05:31:56Z"`, base},
		{`"2023-11-07T05:31:56.5Z"`, base.Add(500 * time.Millisecond)},
		{`"2023-11-07T06:31:56+01:00"`, base},
		{`"2023-11-07T05:31:56"`, base},
		{`"2023-11-07T05:31:56.1234567"`, base.Add(123456700)},
		{`"2023-11-07 05:31:56"`, base},
		{`null`, time.Time{}},
		{`""`, time.Time{}},
	} {
		var got komerza.Time
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) || (!got.IsZero() && got.Location() != time.UTC) {
			t.Errorf("Unmarshal(%s) = %v; want %v in UTC", tc.in, got.Time, tc.want)
		}
	}
	for _, in := range []string{`"yesterday"`, `"2023-11-07"`, `1699335116`, `true`, `{}`} {
		var got komerza.Time
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("Unmarshal(%s) = %v; want an error", in, got.Time)
		}
	}
	for _, tc := range []struct {
		in   komerza.Time
		want string
	}{
		{komerza.Time{}, `null`},
		{komerza.Time{Time: base}, `"2023-11-07T05:31:56Z"`},
		{komerza.Time{Time: base.In(time.FixedZone("x", 3600)).Add(time.Millisecond)}, `"2023-11-07T05:31:56.001Z"`},
	} {
		if got, err := json.Marshal(tc.in); err != nil || string(got) != tc.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.in.Time, got, err, tc.want)
		}
	}
}

// TestCustomerJSONRoundTrip: a Customer encodes to the API's shape and
// decodes back to itself.
func TestCustomerJSONRoundTrip(t *testing.T) {
	var c1 komerza.Customer
	if err := json.Unmarshal([]byte(docsCustomer), &c1); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c1)
	if err != nil {
		t.Fatal(err)
	}
	var c2 komerza.Customer
	if err := json.Unmarshal(b, &c2); err != nil {
		t.Fatal(err)
	}
	c1.Raw, c2.Raw = nil, nil
	if !reflect.DeepEqual(c1, c2) {
		t.Errorf("round trip changed the customer:\n%+v\n%+v", c1, c2)
	}
	if bytes.Contains(b, []byte("Raw")) {
		t.Errorf("Marshal = %s; want no Raw", b)
	}
}
