package tiquo_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"customergraph/internal/tiquo"
)

func TestTimeUnmarshal(t *testing.T) {
	want := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC) // 1640995200000
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{`1640995200000`, want},
		{`1640995200000.0`, want},
		{`1640995200123.4`, want.Add(123 * time.Millisecond)},
		{`1.6409952e12`, want},
		{`"2022-01-01T00:00:00Z"`, want},
		{`"2022-01-01T00:00:00.123Z"`, want.Add(123 * time.Millisecond)},
		{`"2022-01-01T02:00:00+02:00"`, want},
		{`"2022-01-01T00:00:00.123456789Z"`, want.Add(123 * time.Millisecond)},
		{`null`, time.Time{}},
		{`""`, time.Time{}},
		{`0`, time.UnixMilli(0).UTC()},
	} {
		var got tiquo.Time
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("Unmarshal(%s) = %v, want %v", tc.in, got.Time, tc.want)
		}
		if !got.IsZero() && got.Location() != time.UTC {
			t.Errorf("Unmarshal(%s) location = %v, want UTC", tc.in, got.Location())
		}
	}
	for _, in := range []string{`"yesterday"`, `"2022-01-01"`, `true`, `{}`, `[]`, `1e300`} {
		var got tiquo.Time
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want error", in, got.Time)
		}
	}
}

func TestTimeMarshal(t *testing.T) {
	for _, tc := range []struct {
		in   tiquo.Time
		want string
	}{
		{tiquo.Time{}, `null`},
		{tiquo.NewTime(time.Date(2022, 1, 1, 0, 0, 0, 123456789, time.UTC)), `1640995200123`},
		{tiquo.NewTime(time.Date(2022, 1, 1, 2, 0, 0, 0, time.FixedZone("x", 7200))), `1640995200000`},
	} {
		got, err := json.Marshal(tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.in.Time, got, err, tc.want)
		}
	}
}

func TestCustomerJSONRoundTrip(t *testing.T) {
	// A get response, a list item and an update response, in their
	// documented shapes.
	for _, in := range []string{
		`{"id":"k1234567890abcdef","customerNumber":"CUST-000001","firstName":"John","lastName":"Doe",
		  "displayName":"John Doe","email":"john@example.com","phone":"+1234567890",
		  "profilePhoto":"https://example.com/photo.jpg","status":"active","source":"website",
		  "marketingOptIn":true,"smsOptIn":false,"totalOrders":15,"totalSpent":2450.50,
		  "averageOrderValue":163.37,"lastOrderDate":1640995200000,"lastActivityDate":null,
		  "lifetimeValue":2450.50,"createdAt":1640995200000,"updatedAt":1640995200000}`,
		`{"id":"k1","customerNumber":"CUST-000002","firstName":null,"lastName":null,"displayName":null,
		  "emails":[{"address":"a@example.com","isPrimary":true},{"address":"b@example.com","isPrimary":false}],
		  "phones":[],"status":"suspended","source":null,"totalOrders":null,
		  "createdAt":1640995200000,"updatedAt":1640995200000.0,"parameterValue":"true"}`,
		`{"id":"cust_abc123","firstName":"John","email":"j@example.com","phone":"+1987654321",
		  "dateOfBirth":"1990-05-15","loyaltyPoints":150,"tags":["VIP","longtime"],"notes":"n",
		  "address":{"line1":"1 Main St","city":"Springfield","country":null},"companyId":"c1",
		  "preferredLocationId":"l1","createdAt":"2024-01-15T10:30:00Z","updatedAt":"2024-01-20T16:00:00.5Z"}`,
	} {
		var c1 tiquo.Customer
		if err := json.Unmarshal([]byte(in), &c1); err != nil {
			t.Fatalf("Unmarshal: %v\n%s", err, in)
		}
		b, err := json.Marshal(c1)
		if err != nil {
			t.Fatal(err)
		}
		var c2 tiquo.Customer
		if err := json.Unmarshal(b, &c2); err != nil {
			t.Fatalf("Unmarshal of Marshal output: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(c1, c2) {
			t.Errorf("round trip changed the customer:\nbefore %+v\nafter  %+v\njson %s", c1, c2, b)
		}
	}

	var c tiquo.Customer
	json.Unmarshal([]byte(`{"status":"suspended","smsOptIn":false,"lastActivityDate":null,
		"createdAt":"2024-01-15T10:30:00Z","updatedAt":1705314600000}`), &c)
	if c.Status != "suspended" || c.Status.Known() {
		t.Errorf("Status = %q (known %v), want suspended kept as is", c.Status, c.Status.Known())
	}
	if c.SMSOptIn == nil || *c.SMSOptIn {
		t.Errorf("SMSOptIn = %v, want false", c.SMSOptIn)
	}
	if c.LastActivityDate != nil {
		t.Errorf("LastActivityDate = %v, want nil", c.LastActivityDate)
	}
	if !c.CreatedAt.Equal(c.UpdatedAt.Time) {
		t.Errorf("CreatedAt %v != UpdatedAt %v", c.CreatedAt.Time, c.UpdatedAt.Time)
	}
	if !tiquo.StatusBanned.Known() {
		t.Error("StatusBanned.Known() = false")
	}
}

func TestPatchJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   tiquo.Patch
		want string
	}{
		{"empty", tiquo.Patch{}, `{}`},
		{"phone only", tiquo.Patch{Phone: tiquo.Some("+15550001111")}, `{"phone":"+15550001111"}`},
		{"explicit null", tiquo.Patch{Notes: tiquo.Null[string](), CompanyID: tiquo.Null[string]()},
			`{"notes":null,"companyId":null}`},
		{"empty string is present", tiquo.Patch{FirstName: tiquo.Some("")}, `{"firstName":""}`},
		{"empty tags", tiquo.Patch{Tags: tiquo.Some([]string{})}, `{"tags":[]}`},
		{"nil tags", tiquo.Patch{Tags: tiquo.Some[[]string](nil)}, `{"tags":[]}`},
		{"null tags", tiquo.Patch{Tags: tiquo.Null[[]string]()}, `{"tags":null}`},
		{"false consent", tiquo.Patch{MarketingConsent: tiquo.Some(false)}, `{"marketingConsent":false}`},
		{"address merge", tiquo.Patch{Address: tiquo.Some(tiquo.AddressPatch{
			Line1: tiquo.Some("456 Oak Avenue"), Line2: tiquo.Null[string]()})},
			`{"address":{"line1":"456 Oak Avenue","line2":null}}`},
		{"all", tiquo.Patch{
			FirstName: tiquo.Some("A"), LastName: tiquo.Some("B"), Email: tiquo.Some("a@b.co"),
			Phone: tiquo.Some("+1"), DateOfBirth: tiquo.Some("1990-05-15"),
			Address: tiquo.Some(tiquo.AddressPatch{}), Tags: tiquo.Some([]string{"VIP"}),
			Notes: tiquo.Some("n"), PreferredLocationID: tiquo.Some("l"),
			MarketingConsent: tiquo.Some(true), CompanyID: tiquo.Some("c"),
		}, `{"firstName":"A","lastName":"B","email":"a@b.co","phone":"+1","dateOfBirth":"1990-05-15",` +
			`"address":{},"tags":["VIP"],"notes":"n","preferredLocationId":"l","marketingConsent":true,"companyId":"c"}`},
	} {
		got, err := json.Marshal(tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: Marshal = %s, %v; want %s", tc.name, got, err, tc.want)
		}
		var back tiquo.Patch
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%s: Unmarshal: %v", tc.name, err)
		} else if again, _ := json.Marshal(back); string(again) != tc.want {
			t.Errorf("%s: round trip = %s, want %s", tc.name, again, tc.want)
		}
	}
}

func TestOptional(t *testing.T) {
	var absent tiquo.Optional[int]
	if !absent.IsZero() || absent.IsNull() {
		t.Error("zero Optional: want absent")
	}
	if _, ok := absent.Get(); ok {
		t.Error("zero Optional: Get ok")
	}
	n := tiquo.Null[int]()
	if n.IsZero() || !n.IsNull() {
		t.Error("Null: want null")
	}
	if _, ok := n.Get(); ok {
		t.Error("Null: Get ok")
	}
	s := tiquo.Some(0)
	if s.IsZero() || s.IsNull() {
		t.Error("Some(0): want present")
	}
	if v, ok := s.Get(); !ok || v != 0 {
		t.Errorf("Some(0).Get() = %v, %v", v, ok)
	}
}
