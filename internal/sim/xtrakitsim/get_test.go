package xtrakitsim

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"testing"
)

// customerFields are the docs' customer keys.
var customerFields = []string{
	"address1", "address2", "business_code", "created_at", "created_by", "customer_city",
	"customer_country", "customer_email", "customer_group_id", "customer_name", "customer_phone",
	"customer_profile", "customer_state", "customer_whatsapp", "customer_zip", "id", "updated_at", "user_id",
}

func TestGetExampleCustomer(t *testing.T) {
	_, c := newTestServer(t, Options{})
	r := c.get("/customers/1")
	wantStatus(t, r, http.StatusOK)
	var env map[string]json.RawMessage
	decode(t, r, &env)
	if got := keysOf(env); !slices.Equal(got, []string{"data", "message", "status"}) {
		t.Fatalf("answer keys: got %v; want data, message, status", got)
	}
	var data struct {
		Customer map[string]any   `json:"customer"`
		Groups   []map[string]any `json:"customer-group"`
	}
	json.Unmarshal(env["data"], &data)
	want := map[string]any{
		"id":                1.0,
		"user_id":           "f93c5a51-ffa4-4aef-a45b-4cdec1c8cc10",
		"business_code":     "15848484",
		"customer_group_id": 1.0,
		"customer_name":     "Jane Doe",
		"customer_email":    "jane.doe@example.com",
		"customer_phone":    "+233244567890",
		"customer_whatsapp": "+233244567890",
		"customer_country":  "Ghana",
		"customer_city":     "Accra",
		"customer_state":    "Greater Accra",
		"customer_zip":      "00233",
		"address1":          "123 Main Street",
		"address2":          "Apt 4B, Downtown Complex",
		"customer_profile":  "https://example.com/profiles/customer123.jpg",
		"created_by":        "Edward",
		"created_at":        "2024-08-04 08:23:45",
		"updated_at":        "2024-08-04 02:00:43",
	}
	if !reflect.DeepEqual(data.Customer, want) {
		t.Errorf("customer:\ngot  %v\nwant %v", data.Customer, want)
	}
	if len(data.Groups) != 2 || data.Groups[0]["id"] != 1.0 || data.Groups[1]["id"] != 3.0 {
		t.Fatalf("groups: got %v; want groups 1 and 3", data.Groups)
	}
	g1 := map[string]any{
		"id": 1.0, "user_id": "f93c5a51-ffa4-4aef-a45b-4cdec1c8cc10", "business_code": "15848484",
		"group_name":        "Premium Customers",
		"group_description": "Customers who have spent over $1000 and have been with the business for over a year.",
		"created_at":        "2024-08-04 08:23:45", "updated_at": "2024-08-04 02:00:43",
	}
	if !reflect.DeepEqual(data.Groups[0], g1) {
		t.Errorf("group 1:\ngot  %v\nwant %v", data.Groups[0], g1)
	}
	if string(env["message"]) != `"Customer found"` || string(env["status"]) != "200" {
		t.Errorf("message, status: got %s, %s", env["message"], env["status"])
	}
}

func TestGetMatchesCustomer(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 80, Seed: 4})
	for _, want := range allCustomers(t, s) {
		got := c.customerOf(c.get("/customers/"+itoa(want.ID)), 200, "Customer found")
		groups, _ := s.CustomerGroups(want.ID)
		if !reflect.DeepEqual(got.Data.Customer, want) || !reflect.DeepEqual(got.Data.Groups, groups) {
			t.Fatalf("GET %d:\ngot  %+v %+v\nwant %+v %+v", want.ID, got.Data.Customer, got.Data.Groups, want, groups)
		}
		var raw map[string]map[string]any
		json.Unmarshal(c.get("/customers/"+itoa(want.ID)).body, &raw)
		if keys := keysOf(raw["data"]["customer"].(map[string]any)); !slices.Equal(keys, customerFields) {
			t.Fatalf("customer %d keys: got %v; want %v", want.ID, keys, customerFields)
		}
	}
	if got := c.customerOf(c.get("/customers/0007"), 200, "Customer found"); got.Data.Customer.ID != 7 {
		t.Errorf("leading zeros: got %d; want 7", got.Data.Customer.ID)
	}
	// A snapshot is a copy.
	a, _ := s.Customer(1)
	*a.CustomerEmail = "changed@example.com"
	if b, _ := s.Customer(1); *b.CustomerEmail != "jane.doe@example.com" {
		t.Errorf("changing a snapshot changed the server")
	}
	if _, ok := s.Customer(81); ok {
		t.Errorf("Customer(81) of 80: got found")
	}
}

func TestGetErrors(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 10})
	tests := []struct {
		name   string
		client *testClient
		method string
		path   string
		status int
		msg    string
	}{
		{"unknown id", c, "GET", "/customers/11", 404, "Customer not found"},
		{"zero", c, "GET", "/customers/0", 404, "Customer not found"},
		{"negative", c, "GET", "/customers/-1", 404, "Customer not found"},
		{"plus sign", c, "GET", "/customers/+1", 404, "Customer not found"},
		{"not a number", c, "GET", "/customers/abc", 404, "Customer not found"},
		{"decimal", c, "GET", "/customers/1.0", 404, "Customer not found"},
		{"huge", c, "GET", "/customers/99999999999999999999999", 404, "Customer not found"},
		{"no key", c.withKey(""), "GET", "/customers/1", 401, "Unauthorized: Missing Bearer Token"},
		{"bad key", c.withKey("nope"), "GET", "/customers/1", 401, "Unauthorized: Invalid API Key"},
		{"bad key on list", c.withKey("nope"), "GET", "/customers", 401, "Unauthorized: Invalid API Key"},
		{"unknown group", c, "GET", "/customer-groups/7", 404, "Customer group not found"},
		{"wrong method", c, "DELETE", "/customers/1", 405, ""},
		{"PATCH is not an edit", c, "PATCH", "/customers/1", 405, ""},
		{"GET add", c, "GET", "/customers/add", 405, ""},
		{"POST list", c, "POST", "/customers", 405, ""},
		{"add groups", c, "POST", "/customer-groups/add", 405, ""},
		{"unknown path", c, "GET", "/orders", 404, "Not found: /orders"},
		{"nested path", c, "GET", "/customers/1/orders", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.client.do(tt.method, tt.path, ""), tt.status, tt.msg)
		})
	}
	if got := c.do("DELETE", "/customers/1", "").header.Get("Allow"); got != "GET, PUT" {
		t.Errorf("Allow: got %q; want GET, PUT", got)
	}
	// Another scheme is no Bearer token at all.
	req, _ := http.NewRequest("GET", c.url+"/customers/1", nil)
	req.Header.Set("Authorization", "Basic c2ltLWtleTo=")
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("Basic auth: got %d; want 401", resp.StatusCode)
	}
}

func TestGroups(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 5})
	r := c.get("/customer-groups")
	wantStatus(t, r, 200)
	var list struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
		Data    struct {
			Groups []Group `json:"customer-groups"`
		} `json:"data"`
	}
	decode(t, r, &list)
	if !reflect.DeepEqual(list.Data.Groups, s.Groups()) || len(list.Data.Groups) != 6 || list.Message != "Customer groups found" {
		t.Errorf("groups: got %+v; want the 6 of Groups()", list)
	}
	for _, g := range s.Groups() {
		var one struct {
			Data struct {
				Group Group `json:"customer-group"`
			} `json:"data"`
		}
		decode(t, c.get("/customer-groups/"+itoa(g.ID)), &one)
		if !reflect.DeepEqual(one.Data.Group, g) {
			t.Errorf("group %d: got %+v; want %+v", g.ID, one.Data.Group, g)
		}
	}
	if s.Groups()[5].GroupDescription != nil {
		t.Errorf("group 6: want a null description")
	}
	if st := s.Stats(); st.List != 1 || st.Get != 6 {
		t.Errorf("stats: got %+v; want list 1, get 6", st)
	}
}
