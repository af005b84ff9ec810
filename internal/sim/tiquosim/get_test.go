package tiquosim

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"testing"
)

// getFields are the get doc's fields plus the updatable ones.
var getFields = []string{
	"address", "averageOrderValue", "companyId", "createdAt", "customerNumber",
	"dateOfBirth", "displayName", "email", "firstName", "id", "lastActivityDate",
	"lastName", "lastOrderDate", "lifetimeValue", "loyaltyPoints", "marketingOptIn",
	"notes", "phone", "preferredLocationId", "profilePhoto", "smsOptIn", "source",
	"status", "tags", "totalOrders", "totalSpent", "updatedAt",
}

func TestGetIdentifierFormats(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 50})
	tests := []struct{ name, ident string }{
		{"customer number", "CUST-000001"},
		{"customer number lower-case", "cust-000001"},
		{"email", "john@example.com"},
		{"email mixed case", "John@Example.COM"},
		{"document ID", "k1234567890abcdef"},
		{"phone international formatted", "+1 (555) 456-7890"},
		{"phone E.164", "+15554567890"},
		{"phone double zero spaced", "00 1 555 456 7890"},
		{"phone double zero", "0015554567890"},
		{"phone no prefix spaced", "1 555 456 7890"},
		{"phone no prefix", "15554567890"},
		{"phone dots", "+1.555.456.7890"},
		{"phone dashes", "1-555-456-7890"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := c.getCustomer(tt.ident)
			if got := d["customerNumber"]; got != "CUST-000001" {
				t.Errorf("customerNumber: got %v; want CUST-000001", got)
			}
		})
	}
}

func TestGetExampleCustomer(t *testing.T) {
	_, c := newTestServer(t, Options{})
	r := c.get("/customers/CUST-000001")
	wantStatus(t, r, http.StatusOK)
	var env map[string]json.RawMessage
	decode(t, r, &env)
	if got, want := slices.Sorted(maps.Keys(env)), []string{"data", "success", "timestamp"}; !slices.Equal(got, want) {
		t.Fatalf("envelope keys: got %v; want %v", got, want)
	}
	var data map[string]any
	if err := json.Unmarshal(env["data"], &data); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id":                  "k1234567890abcdef",
		"customerNumber":      "CUST-000001",
		"firstName":           "John",
		"lastName":            "Doe",
		"displayName":         "John Doe",
		"email":               "john@example.com",
		"phone":               "+15554567890",
		"profilePhoto":        "https://example.com/photo.jpg",
		"status":              "active",
		"source":              "website",
		"marketingOptIn":      true,
		"smsOptIn":            false,
		"totalOrders":         15.0,
		"totalSpent":          2450.50,
		"averageOrderValue":   163.37,
		"lastOrderDate":       1640995200000.0,
		"lastActivityDate":    1640995200000.0,
		"lifetimeValue":       2450.50,
		"createdAt":           1640995200000.0,
		"updatedAt":           1640995200000.0,
		"dateOfBirth":         nil,
		"address":             nil,
		"tags":                []any{},
		"notes":               nil,
		"preferredLocationId": nil,
		"companyId":           nil,
		"loyaltyPoints":       2450.0,
	}
	if !reflect.DeepEqual(data, want) {
		t.Errorf("data:\ngot  %v\nwant %v", data, want)
	}
	if got := string(env["success"]); got != "true" {
		t.Errorf("success: got %s; want true", got)
	}
	var ts string
	json.Unmarshal(env["timestamp"], &ts)
	if !timestampRE.MatchString(ts) {
		t.Errorf("timestamp: got %q; want RFC 3339 UTC with milliseconds", ts)
	}
}

func TestGetEveryCustomerByEveryIdentifier(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 120, Seed: 3})
	for _, cu := range allCustomers(t, s) {
		idents := []string{cu.CustomerNumber, cu.ID}
		if e := cu.PrimaryEmail(); e != "" {
			idents = append(idents, e)
		}
		if p := cu.PrimaryPhone(); p != "" {
			idents = append(idents, p)
		}
		for _, id := range idents {
			d := c.getCustomer(id)
			if d["id"] != cu.ID {
				t.Errorf("GET %s: got id %v; want %s", id, d["id"], cu.ID)
			}
			if got := keysOf(d); !slices.Equal(got, getFields) {
				t.Fatalf("GET %s fields: got %v; want %v", id, got, getFields)
			}
		}
	}
}

func TestGetSecondaryContactsDoNotResolve(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 300})
	var email, phone string
	for _, cu := range allCustomers(t, s) {
		for _, e := range cu.Emails {
			if !e.Primary && email == "" {
				email = e.Address
			}
		}
		for _, p := range cu.Phones {
			if !p.Primary && phone == "" {
				phone = p.Number
			}
		}
	}
	if email == "" || phone == "" {
		t.Fatalf("data set has no secondary email or phone: got %q, %q", email, phone)
	}
	for _, id := range []string{email, phone} {
		wantStringError(t, c.get("/customers/"+pathEscape(id)), http.StatusNotFound, "Customer not found with ID: "+id)
	}
}

func TestGetErrors(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 10, APIKeys: []string{"sim-key", "reader:read"}})
	tests := []struct {
		name   string
		c      *testClient
		method string
		path   string
		status int
		msg    string
	}{
		{"not found number", c, http.MethodGet, "/customers/CUST-999999", 404, "Customer not found with ID: CUST-999999"},
		{"not found email", c, http.MethodGet, "/customers/nobody@example.com", 404, "Customer not found with ID: nobody@example.com"},
		{"not found phone as given", c, http.MethodGet, "/customers/" + pathEscape("+1 (555) 000-0000"), 404, "Customer not found with ID: +1 (555) 000-0000"},
		{"not found document ID", c, http.MethodGet, "/customers/kzzzzzzzzzzzzzzzz", 404, "Customer not found with ID: kzzzzzzzzzzzzzzzz"},
		{"invalid identifier", c, http.MethodGet, "/customers/" + pathEscape("not an id!"), 400, "Invalid customer identifier format"},
		{"invalid phone", c, http.MethodGet, "/customers/12", 400, "Invalid customer identifier format"},
		{"invalid email", c, http.MethodGet, "/customers/a@b", 400, "Invalid customer identifier format"},
		{"escaped slash", c, http.MethodGet, "/customers/a%2Fb", 400, "Invalid customer identifier format"},
		{"empty identifier", c, http.MethodGet, "/customers/", 400, "Invalid customer identifier format"},
		{"no key", c.withKey(""), http.MethodGet, "/customers/CUST-000001", 401, "Missing or invalid API key"},
		{"wrong key", c.withKey("nope"), http.MethodGet, "/customers/CUST-000001", 401, "Missing or invalid API key"},
		{"read-only key reads", c.withKey("reader"), http.MethodGet, "/customers/CUST-000001", 200, ""},
		{"read-only key spelled with scope", c.withKey("reader:read"), http.MethodGet, "/customers/CUST-000001", 401, "Missing or invalid API key"},
		{"list no key", c.withKey(""), http.MethodGet, "/customers", 401, "Missing or invalid API key"},
		{"method not allowed", c, http.MethodDelete, "/customers/CUST-000001", 405, "Method DELETE not allowed on /customers/CUST-000001"},
		{"list method not allowed", c, http.MethodPost, "/customers", 405, "Method POST not allowed on /customers"},
		{"unknown path", c, http.MethodGet, "/orders", 404, "Not found: /orders"},
		{"nested path", c, http.MethodGet, "/customers/CUST-000001/orders", 404, "Not found: /customers/CUST-000001/orders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.do(tt.method, tt.path, "")
			if tt.status == http.StatusOK {
				wantStatus(t, r, http.StatusOK)
				return
			}
			wantStringError(t, r, tt.status, tt.msg)
		})
	}

	t.Run("wrong scheme", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, c.base+"/customers/CUST-000001", nil)
		req.Header.Set("Authorization", "Basic sim-key")
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status: got %d; want 401", resp.StatusCode)
		}
	})
	t.Run("Allow header", func(t *testing.T) {
		r := c.do(http.MethodPut, "/customers/CUST-000001", "")
		if got := r.header.Get("Allow"); got != "GET, PATCH" {
			t.Errorf("Allow: got %q; want %q", got, "GET, PATCH")
		}
	})
}

func TestSetAPIKeys(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10, APIKeys: []string{"old-key"}})
	wantStatus(t, c.withKey("old-key").get("/customers/CUST-000001"), http.StatusOK)
	s.SetAPIKeys("new-key", "reader:read")
	wantStringError(t, c.withKey("old-key").get("/customers/CUST-000001"), http.StatusUnauthorized, "Missing or invalid API key")
	wantStatus(t, c.withKey("new-key").get("/customers/CUST-000001"), http.StatusOK)
	wantStatus(t, c.withKey("reader").get("/customers/CUST-000001"), http.StatusOK)
	wantStatus(t, c.withKey("reader").do(http.MethodPatch, "/customers/CUST-000001", `{"notes":"x"}`), http.StatusForbidden)
}
