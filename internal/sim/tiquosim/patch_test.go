package tiquosim

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// patchData sends a PATCH, wants 200 and returns data.
func (c *testClient) patchData(ident, body string) map[string]any {
	c.t.Helper()
	r := c.patch("/customers/"+pathEscape(ident), body)
	wantStatus(c.t, r, http.StatusOK)
	var env map[string]json.RawMessage
	decode(c.t, r, &env)
	if got, want := slices.Sorted(maps.Keys(env)), []string{"data", "success"}; !slices.Equal(got, want) {
		c.t.Fatalf("PATCH envelope keys: got %v; want %v", got, want)
	}
	var data map[string]any
	if err := json.Unmarshal(env["data"], &data); err != nil {
		c.t.Fatal(err)
	}
	return data
}

// withoutUpdatedAt returns c with UpdatedAt zeroed, for comparisons.
func withoutUpdatedAt(c Customer) Customer {
	c.UpdatedAt = time.Time{}
	return c
}

func TestPatchPartialUpdate(t *testing.T) {
	clock := newFakeClock()
	s, c := newTestServer(t, Options{Customers: 20, Now: clock.Now})
	before, _ := s.Customer("CUST-000005")
	clock.Advance(time.Hour)

	d := c.patchData(before.ID, `{"notes":"Prefers email communication"}`)
	after, _ := s.Customer("CUST-000005")

	want := withoutUpdatedAt(before)
	want.Notes = ptr("Prefers email communication")
	if !reflect.DeepEqual(withoutUpdatedAt(after), want) {
		t.Errorf("after PATCH notes:\ngot  %+v\nwant %+v", withoutUpdatedAt(after), want)
	}
	if !after.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("updatedAt: got %v; want %v", after.UpdatedAt, clock.Now())
	}
	if got := keysOf(d); !slices.Equal(got, getFields) {
		t.Errorf("PATCH data fields: got %v; want %v", got, getFields)
	}
	for _, f := range []string{"createdAt", "updatedAt"} {
		s, ok := d[f].(string)
		if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
			t.Errorf("%s: got %v; want an RFC 3339 string", f, d[f])
		}
	}
	if got, want := d["updatedAt"], "2025-01-15T11:30:00.000Z"; got != want {
		t.Errorf("updatedAt: got %v; want %s", got, want)
	}
	if got, want := d["createdAt"], before.CreatedAt.Format(timestampLayout); got != want {
		t.Errorf("createdAt: got %v; want %s", got, want)
	}
	// GET shows the change, with epoch-millisecond times.
	g := c.getCustomer("CUST-000005")
	if g["notes"] != "Prefers email communication" {
		t.Errorf("GET notes: got %v; want the patched value", g["notes"])
	}
	if got, want := g["updatedAt"], float64(clock.Now().UnixMilli()); got != want {
		t.Errorf("GET updatedAt: got %v; want %v", got, want)
	}
}

func TestPatchExampleTimestampsAreStrings(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 5})
	d := c.patchData("CUST-000001", `{"tags":["VIP"]}`)
	for _, f := range []string{"lastOrderDate", "lastActivityDate", "createdAt"} {
		if got, want := d[f], "2022-01-01T00:00:00.000Z"; got != want {
			t.Errorf("%s: got %v; want %q", f, got, want)
		}
	}
}

func TestPatchFields(t *testing.T) {
	tests := []struct {
		name  string
		steps []string // bodies sent in order to CUST-000001
		check func(t *testing.T, c Customer, d map[string]any)
	}{
		{
			name:  "names recompute displayName",
			steps: []string{`{"firstName":"Jane"}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				if d["displayName"] != "Jane Doe" || *c.LastName != "Doe" {
					t.Errorf("displayName: got %v; want Jane Doe", d["displayName"])
				}
			},
		},
		{
			name:  "null last name",
			steps: []string{`{"lastName":null}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				if d["lastName"] != nil || d["displayName"] != "John" {
					t.Errorf("lastName, displayName: got %v, %v; want null, John", d["lastName"], d["displayName"])
				}
			},
		},
		{
			name:  "address set then merged",
			steps: []string{`{"address":{"line1":"123 Main St","city":"Springfield","state":"IL","postalCode":"62701","country":"US"}}`, `{"address":{"line1":"456 Oak Avenue"}}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				want := map[string]any{"line1": "456 Oak Avenue", "line2": nil, "city": "Springfield", "state": "IL", "postalCode": "62701", "country": "US"}
				if !reflect.DeepEqual(d["address"], want) {
					t.Errorf("address: got %v; want %v", d["address"], want)
				}
			},
		},
		{
			name:  "address part cleared",
			steps: []string{`{"address":{"line1":"1 A St","line2":"Apt 2"}}`, `{"address":{"line2":null}}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				want := map[string]any{"line1": "1 A St", "line2": nil, "city": nil, "state": nil, "postalCode": nil, "country": nil}
				if !reflect.DeepEqual(d["address"], want) {
					t.Errorf("address: got %v; want %v", d["address"], want)
				}
			},
		},
		{
			name:  "address cleared",
			steps: []string{`{"address":{"line1":"1 A St"}}`, `{"address":null}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				if d["address"] != nil || c.Address != nil {
					t.Errorf("address: got %v; want null", d["address"])
				}
			},
		},
		{
			name:  "tags replaced",
			steps: []string{`{"tags":["VIP","longtime"]}`, `{"tags":["new-tag"]}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				if !reflect.DeepEqual(d["tags"], []any{"new-tag"}) {
					t.Errorf("tags: got %v; want [new-tag]", d["tags"])
				}
			},
		},
		{
			name:  "tags null empties",
			steps: []string{`{"tags":["VIP"]}`, `{"tags":null}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				if !reflect.DeepEqual(d["tags"], []any{}) {
					t.Errorf("tags: got %v; want []", d["tags"])
				}
			},
		},
		{
			name:  "string fields set and cleared",
			steps: []string{`{"notes":"n","preferredLocationId":"loc_1","companyId":"comp_1"}`, `{"notes":null,"companyId":null}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				if d["notes"] != nil || d["companyId"] != nil || d["preferredLocationId"] != "loc_1" {
					t.Errorf("notes, companyId, preferredLocationId: got %v, %v, %v; want null, null, loc_1", d["notes"], d["companyId"], d["preferredLocationId"])
				}
			},
		},
		{
			name:  "date of birth",
			steps: []string{`{"dateOfBirth":"1990-05-15"}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				p, ok := c.Parameter(paramDateOfBirth)
				if d["dateOfBirth"] != "1990-05-15" || !ok || p.Value() != "1990-05-15" {
					t.Errorf("dateOfBirth, parameter: got %v, %v; want 1990-05-15 twice", d["dateOfBirth"], p.Values)
				}
			},
		},
		{
			name:  "date of birth cleared",
			steps: []string{`{"dateOfBirth":"1990-05-15"}`, `{"dateOfBirth":null}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				if _, ok := c.Parameter(paramDateOfBirth); d["dateOfBirth"] != nil || ok {
					t.Errorf("dateOfBirth: got %v (parameter %v); want null and no parameter", d["dateOfBirth"], ok)
				}
			},
		},
		{
			name:  "marketing consent",
			steps: []string{`{"marketingConsent":false}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				p, _ := c.Parameter(paramMarketingOptIn)
				if d["marketingOptIn"] != false || p.Value() != "false" {
					t.Errorf("marketingOptIn, parameter: got %v, %q; want false, false", d["marketingOptIn"], p.Value())
				}
			},
		},
		{
			name:  "empty body changes nothing else",
			steps: []string{`{}`},
			check: func(t *testing.T, c Customer, d map[string]any) {
				if d["email"] != exampleEmail || d["firstName"] != "John" {
					t.Errorf("email, firstName: got %v, %v; want unchanged", d["email"], d["firstName"])
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newTestServer(t, Options{Customers: 10})
			var d map[string]any
			for _, body := range tt.steps {
				d = c.patchData("CUST-000001", body)
			}
			cu, _ := s.Customer("CUST-000001")
			tt.check(t, cu, d)
			if g := c.getCustomer("CUST-000001"); !reflect.DeepEqual(withoutTimes(g), withoutTimes(d)) {
				t.Errorf("GET after PATCH:\ngot  %v\nwant %v", g, d)
			}
		})
	}
}

func withoutTimes(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch k {
		case "createdAt", "updatedAt", "lastOrderDate", "lastActivityDate":
		default:
			out[k] = v
		}
	}
	return out
}

func TestPatchEmailAndPhoneReindex(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 300})
	all := allCustomers(t, s)

	d := c.patchData("john@example.com", `{"email":"  John.Doe@NEW.example.com ","phone":"+44 7700 900123"}`)
	if d["email"] != "john.doe@new.example.com" || d["phone"] != "+447700900123" {
		t.Fatalf("email, phone: got %v, %v; want normalised", d["email"], d["phone"])
	}
	wantStringError(t, c.get("/customers/john@example.com"), http.StatusNotFound, "Customer not found with ID: john@example.com")
	wantStringError(t, c.get("/customers/"+pathEscape("+1 (555) 456-7890")), http.StatusNotFound, "Customer not found with ID: +1 (555) 456-7890")
	for _, id := range []string{"JOHN.DOE@new.example.com", "00447700900123", "+44 7700 900 123"} {
		if got := c.getCustomer(id)["customerNumber"]; got != "CUST-000001" {
			t.Errorf("GET %s: got %v; want CUST-000001", id, got)
		}
	}
	items := c.listAll("search=new.example.com")
	if len(items) != 1 || items[0]["customerNumber"] != "CUST-000001" {
		t.Errorf("search new email: got %v; want [CUST-000001]", numbersOf(items))
	}
	if want := []any{map[string]any{"address": "john.doe@new.example.com", "isPrimary": true}}; !reflect.DeepEqual(items[0]["emails"], want) {
		t.Errorf("emails: got %v; want %v", items[0]["emails"], want)
	}
	if items := c.listAll("search=4567890"); len(items) != 0 {
		t.Errorf("search old phone: got %v; want none", numbersOf(items))
	}

	// The old address is free for another customer now.
	c.patchData(all[1].ID, `{"email":"john@example.com"}`)
	if got := c.getCustomer("john@example.com")["id"]; got != all[1].ID {
		t.Errorf("GET john@example.com: got %v; want %s", got, all[1].ID)
	}

	// Promoting one's own secondary address is no conflict, and it is not duplicated.
	var withSecondary Customer
	for _, cu := range all {
		if len(cu.Emails) == 2 && cu.Seq > 2 {
			withSecondary = cu
			break
		}
	}
	sec := withSecondary.Emails[1].Address
	c.patchData(withSecondary.CustomerNumber, `{"email":"`+sec+`"}`)
	got, _ := s.Customer(withSecondary.CustomerNumber)
	if want := []Email{{sec, true}}; !reflect.DeepEqual(got.Emails, want) {
		t.Errorf("emails: got %v; want %v", got.Emails, want)
	}
	wantStringError(t, c.get("/customers/"+withSecondary.Emails[0].Address), http.StatusNotFound, "Customer not found with ID: "+withSecondary.Emails[0].Address)

	// Null removes the primary email and phone; secondaries stay.
	var both Customer
	for _, cu := range all {
		if len(cu.Emails) == 2 && len(cu.Phones) == 2 {
			both = cu
			break
		}
	}
	d = c.patchData(both.ID, `{"email":null,"phone":null}`)
	if d["email"] != nil || d["phone"] != nil {
		t.Errorf("email, phone: got %v, %v; want null", d["email"], d["phone"])
	}
	got, _ = s.Customer(both.ID)
	if want := []Email{both.Emails[1]}; !reflect.DeepEqual(got.Emails, want) {
		t.Errorf("emails: got %v; want %v", got.Emails, want)
	}
	if want := []Phone{both.Phones[1]}; !reflect.DeepEqual(got.Phones, want) {
		t.Errorf("phones: got %v; want %v", got.Phones, want)
	}
	if _, ok := s.Customer(both.Emails[0].Address); ok {
		t.Errorf("old primary email still resolves")
	}
	if _, ok := s.Customer(both.Phones[0].Number); ok {
		t.Errorf("old primary phone still resolves")
	}
	// The removed address can be taken by someone else.
	c.patchData("CUST-000003", `{"email":"`+both.Emails[0].Address+`"}`)
}

func TestPatchSharedPhone(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10})
	c.patchData("CUST-000007", `{"phone":"+15554567890"}`)
	if got := c.getCustomer("+15554567890")["customerNumber"]; got != "CUST-000001" {
		t.Errorf("shared phone: got %v; want the oldest customer, CUST-000001", got)
	}
	c.patchData("CUST-000001", `{"phone":null}`)
	if got := c.getCustomer("+15554567890")["customerNumber"]; got != "CUST-000007" {
		t.Errorf("after the first releases it: got %v; want CUST-000007", got)
	}
	if cu, _ := s.Customer("CUST-000007"); cu.PrimaryPhone() != "+15554567890" {
		t.Errorf("primary phone: got %q; want +15554567890", cu.PrimaryPhone())
	}
}

func TestPatchErrors(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 300, APIKeys: []string{"sim-key", "reader:read"}})
	var other, otherSecondary string
	for _, cu := range allCustomers(t, s) {
		if cu.Seq > 1 && other == "" && cu.PrimaryEmail() != "" {
			other = cu.PrimaryEmail()
		}
		if cu.Seq > 1 && otherSecondary == "" && len(cu.Emails) == 2 {
			otherSecondary = cu.Emails[1].Address
		}
	}
	const valid = "validation_error"
	tests := []struct {
		name   string
		c      *testClient
		ident  string
		body   string
		status int
		code   string
		msg    string
	}{
		{"empty body", c, "CUST-000001", "", 400, valid, "body: must be a JSON object"},
		{"array body", c, "CUST-000001", `[]`, 400, valid, "body: must be a JSON object"},
		{"null body", c, "CUST-000001", `null`, 400, valid, "body: must be a JSON object"},
		{"broken JSON", c, "CUST-000001", `{"notes":`, 400, valid, "body: is not valid JSON"},
		{"trailing data", c, "CUST-000001", `{} {}`, 400, valid, "body: is not valid JSON"},
		{"unknown field", c, "CUST-000001", `{"nickname":"J"}`, 400, valid, "nickname: unknown field"},
		{"read-only field", c, "CUST-000001", `{"status":"banned"}`, 400, valid, "status: unknown field"},
		{"wrong type", c, "CUST-000001", `{"firstName":1}`, 400, valid, "firstName: must be a string or null"},
		{"malformed email", c, "CUST-000001", `{"email":"john@"}`, 400, valid, "email: must be a valid email address"},
		{"empty email", c, "CUST-000001", `{"email":""}`, 400, valid, "email: must be a valid email address"},
		{"phone not a phone", c, "CUST-000001", `{"phone":"call me"}`, 400, valid, "phone: must be a valid phone number"},
		{"phone too short", c, "CUST-000001", `{"phone":"12345"}`, 400, valid, "phone: must be a valid phone number"},
		{"phone is an email", c, "CUST-000001", `{"phone":"a@b.com"}`, 400, valid, "phone: must be a valid phone number"},
		{"date not real", c, "CUST-000001", `{"dateOfBirth":"2023-02-30"}`, 400, valid, "dateOfBirth: must be YYYY-MM-DD"},
		{"date format", c, "CUST-000001", `{"dateOfBirth":"15/05/1990"}`, 400, valid, "dateOfBirth: must be YYYY-MM-DD"},
		{"date with time", c, "CUST-000001", `{"dateOfBirth":"1990-05-15T00:00:00Z"}`, 400, valid, "dateOfBirth: must be YYYY-MM-DD"},
		{"address not object", c, "CUST-000001", `{"address":"1 Main St"}`, 400, valid, "address: must be an object or null"},
		{"address unknown key", c, "CUST-000001", `{"address":{"zip":"12345"}}`, 400, valid, "address.zip: unknown field"},
		{"address wrong type", c, "CUST-000001", `{"address":{"city":7}}`, 400, valid, "address.city: must be a string or null"},
		{"tags not array", c, "CUST-000001", `{"tags":"VIP"}`, 400, valid, "tags: must be an array of strings or null"},
		{"tags with number", c, "CUST-000001", `{"tags":["VIP",1]}`, 400, valid, "tags: must be an array of strings or null"},
		{"tags with null", c, "CUST-000001", `{"tags":[null]}`, 400, valid, "tags: must be an array of strings or null"},
		{"consent null", c, "CUST-000001", `{"marketingConsent":null}`, 400, valid, "marketingConsent: must be a boolean"},
		{"consent string", c, "CUST-000001", `{"marketingConsent":"true"}`, 400, valid, "marketingConsent: must be a boolean"},
		{"email of another customer", c, "CUST-000001", `{"email":"` + other + `"}`, 409, "conflict", "email: already in use by another customer"},
		{"email of another, other case", c, "CUST-000001", `{"email":"` + strings.ToUpper(other) + `"}`, 409, "conflict", "email: already in use by another customer"},
		{"secondary email of another", c, "CUST-000001", `{"email":"` + otherSecondary + `"}`, 409, "conflict", "email: already in use by another customer"},
		{"unknown customer", c, "CUST-999999", `{"notes":"x"}`, 404, "not_found", "Customer not found"},
		{"unknown document ID", c, "cust_abc123", `{"notes":"x"}`, 404, "not_found", "Customer not found"},
		{"unparsable identifier", c, "no such!", `{"notes":"x"}`, 404, "not_found", "Customer not found"},
		{"read-only key", c.withKey("reader"), "CUST-000001", `{"notes":"x"}`, 403, "forbidden", "Missing customers:write scope"},
		{"no key", c.withKey(""), "CUST-000001", `{"notes":"x"}`, 401, "unauthorized", "Missing or invalid API key"},
		{"wrong key", c.withKey("nope"), "CUST-000001", `{"notes":"x"}`, 401, "unauthorized", "Missing or invalid API key"},
	}
	before, _ := s.Customer("CUST-000001")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.patch("/customers/"+pathEscape(tt.ident), tt.body)
			wantObjectError(t, r, tt.status, tt.code, tt.msg)
		})
	}
	if after, _ := s.Customer("CUST-000001"); !reflect.DeepEqual(after, before) {
		t.Errorf("failed PATCHes changed the customer:\ngot  %+v\nwant %+v", after, before)
	}
}

func TestPatchBodyTooLarge(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 2})
	body := `{"notes":"` + strings.Repeat("x", maxBody) + `"}`
	wantObjectError(t, c.patch("/customers/CUST-000001", body), 400, "validation_error", "request body larger than 1 MiB")
}

func TestPatchByEveryIdentifierFormat(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 10})
	for i, id := range []string{"k1234567890abcdef", "CUST-000001", "cust-000001", "John@Example.com", "+1 (555) 456-7890", "0015554567890"} {
		d := c.patchData(id, `{"notes":"`+id+`"}`)
		if d["id"] != exampleID {
			t.Errorf("PATCH %s: got id %v; want %s", id, d["id"], exampleID)
		}
		if cu, _ := s.Customer(exampleID); *cu.Notes != id {
			t.Errorf("PATCH %d %s: notes: got %q; want %q", i, id, *cu.Notes, id)
		}
	}
}
