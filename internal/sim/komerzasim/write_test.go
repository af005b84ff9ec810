package komerzasim

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBalancePatch(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 30})
	target := allCustomers(t, s)[9]
	path := base + "/" + strings.ToUpper(target.ID) + "/balance"
	tests := []struct {
		body string
		want float64
	}{
		{`{"newBalance": 42.5, "comment": "goodwill credit"}`, 42.5},
		{`{"newBalance": 0}`, 0},
		{`{"newBalance": 1e3, "comment": null}`, 1000},
		{`{"newBalance": 7, "comment": "x", "extra": true}`, 7}, // unknown keys are ignored
	}
	for _, tt := range tests {
		got := c.recordOf(c.do(http.MethodPatch, path, tt.body))
		if got.Balance != tt.want {
			t.Errorf("%s: got balance %v; want %v", tt.body, got.Balance, tt.want)
		}
		want := target
		want.Balance = tt.want
		if after := c.getOK(base + "/" + target.ID); !reflect.DeepEqual(after, want) {
			t.Errorf("%s: GET after the PATCH differs from the record with the new balance:\ngot  %+v\nwant %+v", tt.body, after, want)
		}
		if cu, _ := s.Customer(target.ID); cu.Balance != tt.want {
			t.Errorf("%s: Customer balance: got %v; want %v", tt.body, cu.Balance, tt.want)
		}
	}
}

func TestBalancePatchErrors(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10, APIKeys: []string{"sim-key", "reader:read"}})
	path := base + "/" + exampleID + "/balance"
	tests := []struct {
		name   string
		client *testClient
		path   string
		body   string
		status int
		msg    string
		fields []string
	}{
		{"not JSON", c, path, `newBalance=5`, 400, "The request body must be a JSON object", []string{"body"}},
		{"empty body", c, path, ``, 400, "The request body must be a JSON object", []string{"body"}},
		{"array", c, path, `[{"newBalance":5}]`, 400, "", []string{"body"}},
		{"broken JSON", c, path, `{"newBalance":5`, 400, "", []string{"body"}},
		{"trailing data", c, path, `{"newBalance":5} x`, 400, "", []string{"body"}},
		{"missing newBalance", c, path, `{"comment":"x"}`, 400, "One or more fields are invalid", []string{"newBalance"}},
		{"null newBalance", c, path, `{"newBalance":null}`, 400, "", []string{"newBalance"}},
		{"negative", c, path, `{"newBalance":-0.01}`, 400, "", []string{"newBalance"}},
		{"string", c, path, `{"newBalance":"5"}`, 400, "", []string{"newBalance"}},
		{"comment number", c, path, `{"newBalance":5,"comment":12}`, 400, "", []string{"comment"}},
		{"both", c, path, `{"newBalance":-1,"comment":false}`, 400, "", []string{"comment", "newBalance"}},
		{"read-only key", c.withKey("reader"), path, `{"newBalance":5}`, 403, "The API key lacks the stores.customers.update permission", nil},
		{"malformed id", c, base + "/abc/balance", `{"newBalance":5}`, 400, "The customer ID must be a UUID", []string{"customerId"}},
		{"unknown id", c, base + "/00000000-0000-4000-8000-000000000000/balance", `{"newBalance":5}`, 404, "Customer not found", nil},
		{"other store", c, "/stores/22222222-2222-4222-8222-222222222222/customers/" + exampleID + "/balance", `{"newBalance":5}`, 404, "Store not found", nil},
		{"no key", c.withKey(""), path, `{"newBalance":5}`, 401, "Missing API key", nil},
		{"too large", c, path, `{"newBalance":5,"comment":"` + strings.Repeat("x", 1<<20) + `"}`, 400, "", []string{"body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.client.do(http.MethodPatch, tt.path, tt.body), tt.status, tt.msg, tt.fields...)
		})
	}
	if cu, _ := s.Customer(exampleID); cu.Balance != 123 {
		t.Errorf("balance after rejected PATCHes: got %v; want 123", cu.Balance)
	}
	if got := s.Stats().Patch; got != int64(len(tests)) {
		t.Errorf("Stats.Patch: got %d; want %d", got, len(tests))
	}
}

func TestRegister(t *testing.T) {
	clock := newFakeClock()
	s, c := newTestServer(t, Options{Customers: 12, Now: clock.Now, APIKeys: []string{"sim-key", "reader:read"}})
	clock.Advance(1500 * time.Millisecond)
	got := c.recordOf(c.do(http.MethodPost, base, `{"emailAddress": " New.Person@Example.com "}`))
	if _, ok := s.Customer(got.ID); !ok || got.ID == "" {
		t.Fatalf("registered customer %q: not found", got.ID)
	}
	want := Customer{
		ID: got.ID, DateCreated: time.Date(2025, 6, 1, 12, 0, 1, 0, time.UTC), EmailAddress: "New.Person@Example.com",
		Status: "New", ExternalIntegrations: map[string]string{}, Subscriptions: []Subscription{}, Tickets: []Ticket{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("registered:\ngot  %+v\nwant %+v", got, want)
	}
	if s.Len() != 13 {
		t.Errorf("Len: got %d; want 13", s.Len())
	}
	if byEmail := c.getOK(base + "/new.person@example.com/email"); byEmail.ID != got.ID {
		t.Errorf("by email: got %s; want %s", byEmail.ID, got.ID)
	}
	if p := c.list(base + "?Page=2&PageSize=12"); len(p.Data) != 1 || p.Data[0].ID != got.ID {
		t.Errorf("list page 2: got %+v; want the new customer last", p.Data)
	}

	tests := []struct {
		name   string
		client *testClient
		body   string
		status int
		fields []string
	}{
		{"taken, another case", c, `{"emailAddress":"NEW.PERSON@example.COM"}`, 409, nil},
		{"taken, generated", c, `{"emailAddress":"jordan.lee@example.com"}`, 409, nil},
		{"missing", c, `{}`, 400, []string{"emailAddress"}},
		{"null", c, `{"emailAddress":null}`, 400, []string{"emailAddress"}},
		{"number", c, `{"emailAddress":5}`, 400, []string{"emailAddress"}},
		{"not an address", c, `{"emailAddress":"nobody"}`, 400, []string{"emailAddress"}},
		{"space inside", c, `{"emailAddress":"no body@example.com"}`, 400, []string{"emailAddress"}},
		{"not JSON", c, `emailAddress=a@example.com`, 400, []string{"body"}},
		{"read-only key", c.withKey("reader"), `{"emailAddress":"x@example.com"}`, 403, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.client.do(http.MethodPost, base, tt.body), tt.status, "", tt.fields...)
		})
	}
	if s.Len() != 13 {
		t.Errorf("Len after rejected registrations: got %d; want 13", s.Len())
	}
	second := c.recordOf(c.do(http.MethodPost, base, `{"emailAddress":"second@example.com"}`))
	if second.ID == got.ID {
		t.Errorf("second registration: got the first's ID %s; want a new one", got.ID)
	}
	if st := s.Stats(); st.Patch != int64(len(tests))+2 {
		t.Errorf("Stats.Patch: got %d; want %d (every POST is a write)", st.Patch, len(tests)+2)
	}
}
