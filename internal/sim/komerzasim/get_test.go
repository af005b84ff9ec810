package komerzasim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// fullFields are the keys of a full record (PublicCustomer).
var fullFields = []string{
	"affiliate", "averageSpend", "balance", "blockedAt", "blockedNote", "dateCreated",
	"emailAddress", "externalIntegrations", "id", "ipAddress", "isBlocked", "status",
	"subscriptions", "tickets", "totalOrders", "totalSpend",
}

func TestGetExampleCustomer(t *testing.T) {
	_, c := newTestServer(t, Options{})
	r := c.get(base + "/3C90C3CC-0D44-4B50-8888-8DD25736052A") // any case
	wantStatus(t, r, http.StatusOK)
	var env map[string]json.RawMessage
	decode(t, r, &env)
	if got, want := keysOf(env), []string{"code", "data", "message", "success"}; !slices.Equal(got, want) {
		t.Fatalf("envelope keys: got %v; want %v", got, want)
	}
	if string(env["success"]) != "true" || string(env["message"]) != "null" || string(env["code"]) != "null" {
		t.Errorf("envelope: got success %s, message %s, code %s; want true, null, null", env["success"], env["message"], env["code"])
	}
	var data map[string]any
	json.Unmarshal(env["data"], &data)
	if got := keysOf(data); !slices.Equal(got, fullFields) {
		t.Errorf("data keys: got %v; want %v", got, fullFields)
	}
	want := map[string]any{
		"id":           "3c90c3cc-0d44-4b50-8888-8dd25736052a",
		"dateCreated":  "2023-11-07T05:31:56Z",
		"emailAddress": "jordan.lee@example.com",
		"status":       "Regular",
		"totalSpend":   123.0,
		"averageSpend": 123.0,
		"totalOrders":  1.0,
		"ipAddress":    "203.0.113.7",
		"balance":      123.0,
		"isBlocked":    false,
		"blockedNote":  nil,
		"blockedAt":    nil,
	}
	for k, v := range want {
		if !reflect.DeepEqual(data[k], v) {
			t.Errorf("%s: got %v; want %v", k, data[k], v)
		}
	}
	if got := data["externalIntegrations"]; !reflect.DeepEqual(got, map[string]any{}) {
		t.Errorf("externalIntegrations: got %v; want {}", got)
	}

	cu := c.getOK(base + "/3c90c3cc-0d44-4b50-8888-8dd25736052a")
	if len(cu.Subscriptions) != 1 || len(cu.Tickets) != 1 || cu.Affiliate == nil {
		t.Fatalf("example: got %d subscriptions, %d tickets, affiliate %v; want one of each", len(cu.Subscriptions), len(cu.Tickets), cu.Affiliate)
	}
	docTime := time.Date(2023, 11, 7, 5, 31, 56, 0, time.UTC)
	if sub := cu.Subscriptions[0]; !sub.DateCreated.Equal(docTime) || !sub.StartDate.Equal(docTime) || !sub.ExpirationDate.After(docTime) {
		t.Errorf("subscription: got %+v; want created and started at the docs' time, expiring later", sub)
	}
	tk := cu.Tickets[0]
	if tk.Status != 0 || tk.StoreID != DefaultStore || tk.CustomerID != cu.ID || tk.EmailAddress != cu.EmailAddress || len(tk.Entries) < 2 {
		t.Errorf("ticket: got %+v; want status 0, this store, customer and email, two entries or more", tk)
	}
	if a := cu.Affiliate; !a.IsEnabled || a.Balance != 123 || a.Link == "" {
		t.Errorf("affiliate: got %+v; want enabled, balance 123, a link", a)
	}
}

func TestGetErrors(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 20, APIKeys: []string{"sim-key", "reader:read"}})
	other := "/stores/22222222-2222-4222-8222-222222222222/customers"
	tests := []struct {
		name   string
		client *testClient
		method string
		path   string
		status int
		msg    string
		fields []string
	}{
		{"malformed id", c, "GET", base + "/not-a-uuid", 400, "The customer ID must be a UUID", []string{"customerId"}},
		{"id without hyphens", c, "GET", base + "/3c90c3cc0d444b5088888dd25736052a", 400, "", []string{"customerId"}},
		{"unknown id", c, "GET", base + "/00000000-0000-4000-8000-000000000000", 404, "Customer not found", nil},
		{"other store", c, "GET", other + "/3c90c3cc-0d44-4b50-8888-8dd25736052a", 404, "Store not found", nil},
		{"malformed store", c, "GET", "/stores/nope/customers/3c90c3cc-0d44-4b50-8888-8dd25736052a", 404, "Store not found", nil},
		{"other store list", c, "GET", other + "?Page=1", 404, "Store not found", nil},
		{"other store email", c, "GET", other + "/jordan.lee@example.com/email", 404, "Store not found", nil},
		{"unknown email", c, "GET", base + "/nobody@example.com/email", 404, "Customer not found", nil},
		{"no key", c.withKey(""), "GET", base + "/3c90c3cc-0d44-4b50-8888-8dd25736052a", 401, "Missing API key", nil},
		{"bad key", c.withKey("nope"), "GET", base + "/3c90c3cc-0d44-4b50-8888-8dd25736052a", 401, "Invalid API key", nil},
		{"bad key before store", c.withKey("nope"), "GET", other + "/3c90c3cc-0d44-4b50-8888-8dd25736052a", 401, "Invalid API key", nil},
		{"read key reads", c.withKey("reader"), "GET", base + "/3c90c3cc-0d44-4b50-8888-8dd25736052a", 200, "", nil},
		{"wrong method", c, "DELETE", base + "/3c90c3cc-0d44-4b50-8888-8dd25736052a", 405, "", nil},
		{"wrong method on list", c, "PUT", base, 405, "", nil},
		{"unknown path", c, "GET", "/customers/3c90c3cc-0d44-4b50-8888-8dd25736052a", 404, "", nil},
		{"unknown sub-resource", c, "GET", base + "/3c90c3cc-0d44-4b50-8888-8dd25736052a/orders", 404, "", nil},
		{"trailing slash", c, "GET", base + "/", 404, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.client.do(tt.method, tt.path, "")
			if tt.status == 200 {
				wantStatus(t, r, 200)
				return
			}
			wantError(t, r, tt.status, tt.msg, tt.fields...)
		})
	}
	if got := c.do("PUT", base, "").header.Get("Allow"); got != "GET, POST" {
		t.Errorf("Allow on the list: got %q; want GET, POST", got)
	}
	if got := c.do("GET", base+"/3c90c3cc-0d44-4b50-8888-8dd25736052a/balance", "").header.Get("Allow"); got != "PATCH" {
		t.Errorf("Allow on balance: got %q; want PATCH", got)
	}
}

func TestGetByEmail(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 300})
	var mixed *Customer
	for _, cu := range allCustomers(t, s) {
		if cu.EmailAddress != strings.ToLower(cu.EmailAddress) {
			mixed = &cu
			break
		}
	}
	if mixed == nil {
		t.Fatal("no customer with a mixed-case email in 300")
	}
	tests := []struct {
		name, email, want string
	}{
		{"as stored", "jordan.lee@example.com", exampleID},
		{"upper-case", "JORDAN.LEE@EXAMPLE.COM", exampleID},
		{"mixed-case stored, asked in lower case", strings.ToLower(mixed.EmailAddress), mixed.ID},
		{"mixed-case stored, asked as stored", mixed.EmailAddress, mixed.ID},
		{"mixed-case stored, asked in upper case", strings.ToUpper(mixed.EmailAddress), mixed.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.getOK(base + "/" + url.PathEscape(tt.email) + "/email")
			if got.ID != tt.want {
				t.Errorf("id: got %s; want %s", got.ID, tt.want)
			}
		})
	}
	// Escaped "@" works too; a part of an address is no match.
	if got := c.getOK(base + "/jordan.lee%40example.com/email"); got.ID != exampleID {
		t.Errorf("escaped @: got %s; want %s", got.ID, exampleID)
	}
	for _, partial := range []string{"jordan.lee", "jordan.lee@example", "ordan.lee@example.com", "jordan.lee@example.com.au"} {
		wantError(t, c.get(base+"/"+url.PathEscape(partial)+"/email"), 404, "Customer not found")
	}
}

func TestFullRecordMatchesCustomer(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 60, Seed: 5})
	for _, want := range allCustomers(t, s) {
		got := c.getOK(base + "/" + strings.ToUpper(want.ID))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("GET %s:\ngot  %+v\nwant %+v", want.ID, got, want)
		}
	}
	if _, ok := s.Customer("JORDAN.LEE@example.com"); !ok {
		t.Errorf("Customer by email in another case: got not found; want found")
	}
	if _, ok := s.Customer("00000000-0000-4000-8000-000000000000"); ok {
		t.Errorf("Customer of an unknown ID: got found; want not found")
	}
	// A snapshot is a copy.
	a, _ := s.Customer(exampleID)
	a.ExternalIntegrations["x"] = "y"
	a.Tickets[0].Entries[0].Message = "changed"
	if b, _ := s.Customer(exampleID); len(b.ExternalIntegrations) != 0 || b.Tickets[0].Entries[0].Message == "changed" {
		t.Errorf("changing a snapshot changed the server")
	}
}
