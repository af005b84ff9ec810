package xtrakitsim

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPutReplaces(t *testing.T) {
	clock := newFakeClock()
	zone := time.FixedZone("UTC+2", 2*3600)
	s, c := newTestServer(t, Options{Customers: 20, Now: clock.Now, TimeZone: zone})
	before, _ := s.Customer(1)
	body := `{"customer_name":"Jane A. Doe","customer_phone":"+233 24 456 7890","customer_country":"Ghana",
		"customer_city":"Tema","customer_state":"Greater Accra","address1":"9 Harbour Road",
		"customer_email":" jane@example.org ","customer_whatsapp":"","customer_group_id":2,
		"id":99,"created_at":"2000-01-01 00:00:00","created_by":"Mallory","user_id":"x","unknown":true}`
	got := c.customerOf(c.do(http.MethodPut, "/customers/1", body), 200, "Customer updated")
	want := before
	want.CustomerName, want.CustomerPhone, want.CustomerCity, want.Address1 = "Jane A. Doe", "+233 24 456 7890", "Tema", "9 Harbour Road"
	want.CustomerEmail = strPtr("jane@example.org")
	want.CustomerWhatsapp, want.CustomerZip, want.Address2, want.CustomerProfile = nil, nil, nil, nil // left out or empty: null
	want.CustomerGroupID = intPtr(2)
	want.UpdatedAt = "2025-06-01 14:00:00" // now, in the server's zone
	if !reflect.DeepEqual(got.Data.Customer, want) {
		t.Errorf("PUT answer:\ngot  %+v\nwant %+v", got.Data.Customer, want)
	}
	if ids := groupIDs(got.Data.Groups); !reflect.DeepEqual(ids, []int{2, 3}) {
		t.Errorf("groups after PUT: got %v; want the new main group 2, then 3 kept", ids)
	}
	if after, _ := s.Customer(1); !reflect.DeepEqual(after, want) {
		t.Errorf("Customer after PUT: got %+v", after)
	}
	if again := c.customerOf(c.get("/customers/1"), 200, "Customer found"); !reflect.DeepEqual(again.Data.Customer, want) {
		t.Errorf("GET after PUT: got %+v", again.Data.Customer)
	}
	// A null group leaves the customer in its other groups only.
	got = c.customerOf(c.do(http.MethodPut, "/customers/1", validBody), 200, "Customer updated")
	if got.Data.Customer.CustomerGroupID != nil || !reflect.DeepEqual(groupIDs(got.Data.Groups), []int{3}) {
		t.Errorf("PUT without a group: got main %v, groups %v; want null, [3]", got.Data.Customer.CustomerGroupID, groupIDs(got.Data.Groups))
	}
	if st := s.Stats(); st.Patch != 2 || st.Get != 1 {
		t.Errorf("stats: got %+v; want 2 patch, 1 get", st)
	}
}

func groupIDs(gs []Group) []int {
	out := []int{}
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

func strPtr(s string) *string { return &s }
func intPtr(n int) *int       { return &n }

func TestWriteValidation(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 5, APIKeys: []string{"sim-key", "reader:read"}})
	without := func(field string) string {
		return strings.Replace(validBody, `"`+field+`":`, `"ignored_`+field+`":`, 1)
	}
	with := func(extra string) string { return strings.TrimSuffix(validBody, "}") + "," + extra + "}" }
	tests := []struct {
		name   string
		client *testClient
		body   string
		status int
		msg    string
	}{
		{"all required missing", c, `{}`, 422, "The following fields are required: customer_name, customer_phone, customer_country, customer_city, customer_state, address1"},
		{"name missing", c, without("customer_name"), 422, "The following fields are required: customer_name"},
		{"address1 missing", c, without("address1"), 422, "The following fields are required: address1"},
		{"phone null", c, strings.Replace(validBody, `"+233 20 111 2222"`, `null`, 1), 422, "The following fields are required: customer_phone"},
		{"city empty", c, strings.Replace(validBody, `"Kumasi"`, `"  "`, 1), 422, "The following fields are required: customer_city"},
		{"state a number", c, strings.Replace(validBody, `"Ashanti"`, `7`, 1), 422, "The following fields must be strings or null: customer_state"},
		{"zip a number", c, with(`"customer_zip":233`), 422, "The following fields must be strings or null: customer_zip"},
		{"bad email", c, with(`"customer_email":"kofi"`), 422, "The customer_email must be a valid email address."},
		{"unknown group", c, with(`"customer_group_id":7`), 422, "The selected customer_group_id is invalid…"},
		{"group a string", c, with(`"customer_group_id":"2"`), 422, ""},
		{"not JSON", c, `customer_name=Kofi`, 400, "The request body must be a JSON object"},
		{"empty body", c, ``, 400, "The request body must be a JSON object"},
		{"array", c, `[` + validBody + `]`, 400, ""},
		{"read-only key", c.withKey("reader"), validBody, 403, ""},
		{"no key", c.withKey(""), validBody, 401, "Unauthorized: Missing Bearer Token"},
	}
	for _, tt := range tests {
		for _, target := range []struct{ method, path string }{{"PUT", "/customers/2"}, {"POST", "/customers/add"}} {
			t.Run(tt.name+" "+target.method, func(t *testing.T) {
				wantError(t, tt.client.do(target.method, target.path, tt.body), tt.status, tt.msg)
			})
		}
	}
	// An unknown customer is 404 before the body is read.
	wantError(t, c.do("PUT", "/customers/6", `{}`), 404, "Customer not found")
	wantError(t, c.do("PUT", "/customers/x", validBody), 404, "Customer not found")
	if before, after := allCustomers(t, New(Options{Customers: 5})), allCustomers(t, s); !reflect.DeepEqual(before, after) {
		t.Errorf("rejected writes changed data")
	}
}

func TestAdd(t *testing.T) {
	clock := newFakeClock()
	s, c := newTestServer(t, Options{Customers: 7, Now: clock.Now})
	got := c.customerOf(c.do(http.MethodPost, "/customers/add", strings.TrimSuffix(validBody, "}")+`,"customer_group_id":5,"address2":"Flat 1"}`), 201, "Customer created")
	want := Customer{
		ID: 8, UserID: businessUserID, BusinessCode: businessCode, CustomerGroupID: intPtr(5),
		CustomerName: "Kofi Annan", CustomerPhone: "+233 20 111 2222", CustomerCountry: "Ghana",
		CustomerCity: "Kumasi", CustomerState: "Ashanti", Address1: "1 Prempeh II Street", Address2: strPtr("Flat 1"),
		CreatedBy: "API", CreatedAt: "2025-06-01 12:00:00", UpdatedAt: "2025-06-01 12:00:00",
	}
	if !reflect.DeepEqual(got.Data.Customer, want) || !reflect.DeepEqual(groupIDs(got.Data.Groups), []int{5}) {
		t.Errorf("created:\ngot  %+v %v\nwant %+v [5]", got.Data.Customer, groupIDs(got.Data.Groups), want)
	}
	if s.Len() != 8 {
		t.Errorf("Len: got %d; want 8", s.Len())
	}
	if l := c.list(""); len(l) != 8 || l[7].ID != 8 {
		t.Errorf("list after add: got %d customers; want 8, the new one last", len(l))
	}
	if g := c.customerOf(c.get("/customers/8"), 200, "Customer found"); !reflect.DeepEqual(g.Data.Customer, want) {
		t.Errorf("GET of the new customer: got %+v", g.Data.Customer)
	}
	clock.Advance(time.Hour)
	if again := c.customerOf(c.do(http.MethodPost, "/customers/add", validBody), 201, "Customer created"); again.Data.Customer.ID != 9 || len(again.Data.Groups) != 0 {
		t.Errorf("second add: got id %d, groups %v; want 9, []", again.Data.Customer.ID, again.Data.Groups)
	}
	if st := s.Stats(); st.Patch != 2 {
		t.Errorf("stats: got %+v; want 2 patch", st)
	}
}
