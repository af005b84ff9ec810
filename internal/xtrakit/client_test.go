package xtrakit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"customergraph/internal/upstream"
	"customergraph/internal/upstream/upstreamtest"
	"customergraph/internal/xtrakit"
)

const testKey = "xk_live_0a1b2c3d4e5f"

// docsCustomer and docsGroup are the sample response's records on the
// vendor's Fetch Customer page.
const docsCustomer = `{
"id": 1,
"user_id": "f93c5a51-ffa4-4aef-a45b-4cdec1c8cc10",
"business_code": "15848484",
"customer_group_id": 1,
"customer_name": "Jane Doe",
"customer_email": "jane@example.com",
"customer_phone": "+233244567890",
"customer_whatsapp": "+233244567890",
"customer_country": "Ghana",
"customer_city": "Accra",
"customer_state": "Greater Accra",
"customer_zip": "00233",
"address1": "123 Main Street",
"address2": "Apt 4B, Downtown Complex",
"customer_profile": "https://example.com/profiles/customer123.jpg",
"created_by": "Edward",
"created_at": "2024-08-04 08:23:45",
"updated_at": "2024-08-04 02:00:43"
}`

const docsGroup = `{
"id": 1,
"user_id": "f93c5a51-ffa4-4aef-a45b-4cdec1c8cc10",
"business_code": "15848484",
"group_name": "Premium Customers",
"group_description": "Customers who have spent over $1000 and have been with the business for over a year.",
"created_at": "2024-08-04 08:23:45",
"updated_at": "2024-08-04 02:00:43"
}`

func docsResponse() string {
	return `{"status": 200, "message": "Customer found", "data": {"customer": ` + docsCustomer +
		`, "customer-group": [` + docsGroup + `]}}`
}

// customerJSON is a customer with the given ID, in the API's shape.
func customerJSON(id int) string {
	return fmt.Sprintf(`{"id":%d,"user_id":"f93c5a51-ffa4-4aef-a45b-4cdec1c8cc10","business_code":15848484,`+
		`"customer_group_id":null,"customer_name":"Customer %d","customer_email":null,"customer_phone":"+23324400%04d",`+
		`"customer_whatsapp":null,"customer_country":"Ghana","customer_city":"Accra","customer_state":"Greater Accra",`+
		`"customer_zip":null,"address1":"%d Main Street","address2":null,"customer_profile":null,"created_by":"api",`+
		`"created_at":"2024-08-04 08:23:45","updated_at":"2024-08-05 09:00:00"}`, id, id, id, id)
}

func newClient(t *testing.T, baseURL string, opts *upstream.Options) *xtrakit.Client {
	t.Helper()
	if opts == nil {
		opts = &upstream.Options{RetryBase: time.Millisecond}
	}
	c, err := xtrakit.New(baseURL, testKey, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func checkClean(t *testing.T, err error, baseURL string) {
	t.Helper()
	upstreamtest.CheckClean(t, err, "xtrakit", baseURL, testKey, "/customers")
}

// valid is a record that passes Validate.
func valid() xtrakit.Customer {
	return xtrakit.Customer{CustomerName: "Jane Doe", CustomerPhone: "+233244567890", CustomerCountry: "Ghana",
		CustomerCity: "Accra", CustomerState: "Greater Accra", Address1: "123 Main Street"}
}

// calls are one call of each method, by name.
func calls(c *xtrakit.Client) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"Customer":      func(ctx context.Context) error { _, _, err := c.Customer(ctx, 1); return err },
		"ListCustomers": func(ctx context.Context) error { _, err := c.ListCustomers(ctx, xtrakit.ListParams{}); return err },
		"UpdateCustomer": func(ctx context.Context) error {
			_, _, err := c.UpdateCustomer(ctx, 1, valid())
			return err
		},
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestNew(t *testing.T) {
	for _, u := range []string{"", "app.xtrakit.com/api/v1", "https://user:secret@app.xtrakit.com", "https://app.xtrakit.com/api/v1#x"} {
		if _, err := xtrakit.New(u, testKey, nil); err == nil {
			t.Errorf("New(%q): got no error; want one", u)
		} else if !strings.HasPrefix(err.Error(), "xtrakit: ") || strings.Contains(err.Error(), "secret") {
			t.Errorf("New(%q): error %q", u, err)
		}
	}
	for _, u := range []string{"https://app.xtrakit.com/api/v1", "https://api.xtrakit.com/api/v1/"} {
		if _, err := xtrakit.New(u, testKey, nil); err != nil {
			t.Errorf("New(%q): %v", u, err)
		}
	}
}

func TestRequests(t *testing.T) {
	srv := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" && r.URL.Path == "/api/v1/customers" {
			io.WriteString(w, `{"status":200,"message":"Customers found","data":{"customers":[]}}`)
			return
		}
		io.WriteString(w, docsResponse())
	})
	c := newClient(t, srv.URL+"/api/v1", &upstream.Options{UserAgent: "cg-test/1"})
	ctx := context.Background()
	rec := valid()
	rec.ID = 7
	rec.CustomerEmail = new("jane@example.com")
	rec.CustomerGroupID = new(int64(2))
	rec.BusinessCode = "15848484"
	rec.CreatedAt = "2024-08-04 08:23:45"
	rec.UserID = new("f93c5a51-ffa4-4aef-a45b-4cdec1c8cc10")
	for _, tc := range []struct {
		name                    string
		call                    func() error
		method, path, qry, body string
	}{
		{"Customer", func() error { _, _, err := c.Customer(ctx, 1); return err }, "GET", "/api/v1/customers/1", "", ""},
		{"Customer large", func() error { _, _, err := c.Customer(ctx, 9007199254740993); return err },
			"GET", "/api/v1/customers/9007199254740993", "", ""},
		{"ListCustomers", func() error { _, err := c.ListCustomers(ctx, xtrakit.ListParams{}); return err },
			"GET", "/api/v1/customers", "", ""},
		{"ListCustomers filtered", func() error {
			_, err := c.ListCustomers(ctx, xtrakit.ListParams{GroupID: 3, CreatedAt: "2024-08-04", UpdatedAt: "2024-08-05"})
			return err
		}, "GET", "/api/v1/customers", "created_at=2024-08-04&customer_group_id=3&updated_at=2024-08-05", ""},
		{"ListCustomers group", func() error { _, err := c.ListCustomers(ctx, xtrakit.ListParams{GroupID: 12}); return err },
			"GET", "/api/v1/customers", "customer_group_id=12", ""},
		{"UpdateCustomer", func() error { _, _, err := c.UpdateCustomer(ctx, 7, rec); return err },
			"PUT", "/api/v1/customers/7", "",
			`{"customer_group_id":2,"customer_name":"Jane Doe","customer_email":"jane@example.com",` +
				`"customer_phone":"+233244567890","customer_whatsapp":null,"customer_country":"Ghana","customer_city":"Accra",` +
				`"customer_state":"Greater Accra","customer_zip":null,"address1":"123 Main Street","address2":null,"customer_profile":null}`},
	} {
		if err := tc.call(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		r := srv.Last(t)
		if r.Method != tc.method || r.RawPath != tc.path || r.Query != tc.qry || r.Body != tc.body {
			t.Errorf("%s: got %s %s ?%s %s\nwant %s %s ?%s %s", tc.name, r.Method, r.RawPath, r.Query, r.Body,
				tc.method, tc.path, tc.qry, tc.body)
		}
		if r.Header.Get("Authorization") != "Bearer "+testKey || r.Header.Get("User-Agent") != "cg-test/1" {
			t.Errorf("%s: headers %v", tc.name, r.Header)
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
	other := valid()
	other.ID = 8
	for name, call := range map[string]func() error{
		"Customer 0":          func() error { _, _, err := c.Customer(ctx, 0); return err },
		"Customer -1":         func() error { _, _, err := c.Customer(ctx, -1); return err },
		"ListCustomers group": func() error { _, err := c.ListCustomers(ctx, xtrakit.ListParams{GroupID: -1}); return err },
		"ListCustomers short": func() error { _, err := c.ListCustomers(ctx, xtrakit.ListParams{CreatedAt: "2024-8-4"}); return err },
		"ListCustomers time": func() error {
			_, err := c.ListCustomers(ctx, xtrakit.ListParams{UpdatedAt: "2024-08-04 10:00:00"})
			return err
		},
		"ListCustomers inject": func() error {
			_, err := c.ListCustomers(ctx, xtrakit.ListParams{CreatedAt: "2024-08-04&x=1"})
			return err
		},
		"ListCustomers invalid": func() error { _, err := c.ListCustomers(ctx, xtrakit.ListParams{CreatedAt: "2024-02-30"}); return err },
		"UpdateCustomer 0":      func() error { _, _, err := c.UpdateCustomer(ctx, 0, valid()); return err },
		"UpdateCustomer other":  func() error { _, _, err := c.UpdateCustomer(ctx, 7, other); return err },
		"UpdateCustomer empty":  func() error { _, _, err := c.UpdateCustomer(ctx, 7, xtrakit.Customer{}); return err },
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

func TestValidate(t *testing.T) {
	if !reflect.DeepEqual(xtrakit.RequiredFields, []string{"customer_name", "customer_phone", "customer_country",
		"customer_city", "customer_state", "address1"}) {
		t.Errorf("RequiredFields = %v", xtrakit.RequiredFields)
	}
	for _, tc := range []struct {
		name   string
		change func(*xtrakit.Customer)
		want   []string
	}{
		{"complete", func(*xtrakit.Customer) {}, nil},
		{"empty", func(c *xtrakit.Customer) { *c = xtrakit.Customer{} }, xtrakit.RequiredFields},
		{"no name", func(c *xtrakit.Customer) { c.CustomerName = "" }, []string{"customer_name"}},
		{"blank phone and address", func(c *xtrakit.Customer) { c.CustomerPhone = "  "; c.Address1 = "\t" },
			[]string{"customer_phone", "address1"}},
		{"no place", func(c *xtrakit.Customer) { c.CustomerCountry, c.CustomerCity, c.CustomerState = "", "", "" },
			[]string{"customer_country", "customer_city", "customer_state"}},
		{"optional fields absent", func(c *xtrakit.Customer) { c.CustomerEmail, c.Address2 = nil, nil }, nil},
	} {
		c := valid()
		tc.change(&c)
		if got := c.MissingFields(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: MissingFields() = %v; want %v", tc.name, got, tc.want)
		}
		err := c.Validate()
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: Validate() = %v; want nil", tc.name, err)
			}
			continue
		}
		var mf *xtrakit.MissingFieldsError
		var ue *upstream.Error
		if !errors.Is(err, upstream.ErrValidation) || !errors.As(err, &mf) || !errors.As(err, &ue) ||
			!reflect.DeepEqual(mf.Fields, tc.want) || ue.API != "xtrakit" {
			t.Errorf("%s: Validate() = %#v; want ErrValidation listing %v", tc.name, err, tc.want)
		}
		if want := "xtrakit: validate customer: invalid request: missing required fields: " + strings.Join(tc.want, ", "); err.Error() != want {
			t.Errorf("%s: Error() = %q; want %q", tc.name, err, want)
		}
	}
	// UpdateCustomer reports the same, as its own.
	srv := upstreamtest.Fixed(t, 200, nil, docsResponse())
	c := valid()
	c.CustomerCity = ""
	_, _, err := newClient(t, srv.URL, nil).UpdateCustomer(context.Background(), 1, c)
	var mf *xtrakit.MissingFieldsError
	if !errors.As(err, &mf) || len(mf.Fields) != 1 || mf.Fields[0] != "customer_city" ||
		err.Error() != "xtrakit: update customer: invalid request: missing required fields: customer_city" {
		t.Errorf("UpdateCustomer without a city: %v", err)
	}
	if srv.Count() != 0 {
		t.Errorf("%d requests; want 0", srv.Count())
	}
}

func TestDocsExample(t *testing.T) {
	srv := upstreamtest.Fixed(t, 200, map[string]string{"Content-Type": "application/json"}, docsResponse())
	got, groups, err := newClient(t, srv.URL, nil).Customer(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := &xtrakit.Customer{
		ID: 1, UserID: new("f93c5a51-ffa4-4aef-a45b-4cdec1c8cc10"), BusinessCode: "15848484", CustomerGroupID: new(int64(1)),
		CustomerName: "Jane Doe", CustomerEmail: new("jane@example.com"), CustomerPhone: "+233244567890",
		CustomerWhatsApp: new("+233244567890"), CustomerCountry: "Ghana", CustomerCity: "Accra", CustomerState: "Greater Accra",
		CustomerZip: new("00233"), Address1: "123 Main Street", Address2: new("Apt 4B, Downtown Complex"),
		CustomerProfile: new("https://example.com/profiles/customer123.jpg"), CreatedBy: new("Edward"),
		CreatedAt: "2024-08-04 08:23:45", UpdatedAt: "2024-08-04 02:00:43",
	}
	raw := got.Raw
	got.Raw = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	if !jsonEqual(raw, []byte(docsCustomer)) {
		t.Errorf("Raw = %s; want the customer object", raw)
	}
	wantGroups := []xtrakit.Group{{ID: 1, UserID: new("f93c5a51-ffa4-4aef-a45b-4cdec1c8cc10"), BusinessCode: "15848484",
		GroupName:        "Premium Customers",
		GroupDescription: new("Customers who have spent over $1000 and have been with the business for over a year."),
		CreatedAt:        "2024-08-04 08:23:45", UpdatedAt: "2024-08-04 02:00:43"}}
	if !reflect.DeepEqual(groups, wantGroups) {
		t.Errorf("groups = %+v; want %+v", groups, wantGroups)
	}
	accra := time.FixedZone("GMT", 0)
	if at, err := got.CreatedAt.Time(accra); err != nil || !at.Equal(time.Date(2024, 8, 4, 8, 23, 45, 0, accra)) {
		t.Errorf("CreatedAt.Time = %v, %v", at, err)
	}
}

func TestCustomerShapes(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		groups     int
		ok         bool
	}{
		{"no groups", `{"status":200,"data":{"customer":` + customerJSON(1) + `}}`, 0, true},
		{"null groups", `{"status":200,"data":{"customer":` + customerJSON(1) + `,"customer-group":null}}`, 0, true},
		{"group object", `{"status":200,"data":{"customer":` + customerJSON(1) + `,"customer-group":{"1":` + docsGroup + `}}}`, 1, true},
		{"two groups", `{"status":200,"data":{"customer":` + customerJSON(1) + `,"customer-group":[` + docsGroup + `,` + docsGroup + `]}}`, 2, true},
		{"string status", `{"status":"200","data":{"customer":` + customerJSON(1) + `}}`, 0, true},
		{"no status", `{"data":{"customer":` + customerJSON(1) + `}}`, 0, true},
		{"record as data", `{"status":200,"data":` + customerJSON(1) + `}`, 0, true},
		{"garbage", `<html>`, 0, false},
		{"no data", `{"status":200,"message":"Customer found"}`, 0, false},
		{"null data", `{"status":200,"data":null}`, 0, false},
		{"empty array data", `{"status":200,"data":[]}`, 0, false},
		{"null customer", `{"status":200,"data":{"customer":null}}`, 0, false},
		{"customer without id", `{"status":200,"data":{"customer":{"customer_name":"x"}}}`, 0, false},
		{"string id", `{"status":200,"data":{"customer":{"id":"1"}}}`, 0, false},
		{"bad groups", `{"status":200,"data":{"customer":` + customerJSON(1) + `,"customer-group":"x"}}`, 0, false},
		{"bad business code", `{"status":200,"data":{"customer":{"id":1,"business_code":true}}}`, 0, false},
		{"bad status", `{"status":"ok","data":{"customer":` + customerJSON(1) + `}}`, 0, false},
	} {
		srv := upstreamtest.Fixed(t, 200, nil, tc.body)
		got, groups, err := newClient(t, srv.URL, nil).Customer(context.Background(), 1)
		checkClean(t, err, srv.URL)
		switch {
		case !tc.ok && !errors.Is(err, upstream.ErrUnexpected):
			t.Errorf("%s: got %v, %v; want ErrUnexpected", tc.name, got, err)
		case tc.ok && (err != nil || got.ID != 1 || got.BusinessCode != "15848484" || len(groups) != tc.groups ||
			!jsonEqual(got.Raw, []byte(customerJSON(1)))):
			t.Errorf("%s: got %+v, %d groups, %v; want customer 1 and %d groups", tc.name, got, len(groups), err, tc.groups)
		}
		if srv.Count() != 1 {
			t.Errorf("%s: %d requests; want 1", tc.name, srv.Count())
		}
	}
}

func TestListShapes(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ids        []int64
		ok         bool
	}{
		{"array", `{"status":200,"data":{"customers":[` + customerJSON(1) + `,` + customerJSON(2) + `]}}`, []int64{1, 2}, true},
		{"object", `{"status":200,"data":{"customers":{"b":` + customerJSON(5) + `,"a":` + customerJSON(3) + `,"c":` +
			customerJSON(4) + `}}}`, []int64{5, 3, 4}, true},
		{"numbered object", `{"status":200,"data":{"customers":{"0":` + customerJSON(1) + `}}}`, []int64{1}, true},
		{"empty array", `{"status":200,"data":{"customers":[]}}`, nil, true},
		{"empty object", `{"status":200,"data":{"customers":{}}}`, nil, true},
		{"null customers", `{"status":200,"data":{"customers":null}}`, nil, true},
		{"empty data", `{"status":200,"message":"No customers","data":[]}`, nil, true},
		{"null data", `{"status":200,"data":null}`, nil, true},
		{"no data", `{"status":200}`, nil, false},
		{"no customers", `{"status":200,"data":{"total":3}}`, nil, false},
		{"customers a string", `{"status":200,"data":{"customers":"none"}}`, nil, false},
		{"paginator", `{"status":200,"data":{"customers":{"current_page":1,"data":[]}}}`, nil, false},
		{"data an array of customers", `{"status":200,"data":[` + customerJSON(1) + `]}`, []int64{1}, true},
		{"data a string", `{"status":200,"data":"none"}`, nil, false},
		{"customer without an ID", `{"status":200,"data":{"customers":[` + customerJSON(1) + `,{"customer_name":"x"}]}}`, nil, false},
		{"bad item", `{"status":200,"data":{"customers":[{"id":"x"}]}}`, nil, false},
		{"garbage", `{"status":200,"data":{"customers":[`, nil, false},
	} {
		srv := upstreamtest.Fixed(t, 200, nil, tc.body)
		got, err := newClient(t, srv.URL, nil).ListCustomers(context.Background(), xtrakit.ListParams{})
		checkClean(t, err, srv.URL)
		if !tc.ok {
			if !errors.Is(err, upstream.ErrUnexpected) {
				t.Errorf("%s: got %v, %v; want ErrUnexpected", tc.name, got, err)
			}
			continue
		}
		var ids []int64
		for _, c := range got {
			ids = append(ids, c.ID)
			if !jsonEqual(c.Raw, []byte(customerJSON(int(c.ID)))) {
				t.Errorf("%s: customer %d: Raw = %s", tc.name, c.ID, c.Raw)
			}
			if c.CustomerGroupID != nil || c.CustomerEmail != nil || c.BusinessCode != "15848484" || c.CreatedBy == nil {
				t.Errorf("%s: customer %+v", tc.name, c)
			}
		}
		if err != nil || !reflect.DeepEqual(ids, tc.ids) {
			t.Errorf("%s: got IDs %v, %v; want %v", tc.name, ids, err, tc.ids)
		}
	}
}

// TestBodyLimit: the list may be large — larger than the 8 MiB the other
// clients allow — but not larger than MaxBodySize.
func TestBodyLimit(t *testing.T) {
	long := strings.Repeat("x", 9<<20)
	body := `{"status":200,"data":{"customers":[` + customerJSON(1) + `,` +
		strings.Replace(customerJSON(2), `"address2":null`, `"address2":"`+long+`"`, 1) + `]}}`
	srv := upstreamtest.Fixed(t, 200, nil, body)

	got, err := newClient(t, srv.URL, nil).ListCustomers(context.Background(), xtrakit.ListParams{})
	if err != nil || len(got) != 2 {
		t.Fatalf("default limit: got %d customers, %v; want 2", len(got), err)
	}
	if got[1].ID != 2 || got[1].Address2 == nil || len(*got[1].Address2) != len(long) {
		t.Errorf("the long customer was not decoded whole")
	}
	_, err = newClient(t, srv.URL, &upstream.Options{MaxBodySize: 1 << 20}).ListCustomers(context.Background(), xtrakit.ListParams{})
	checkClean(t, err, srv.URL)
	if !errors.Is(err, upstream.ErrUnexpected) || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Errorf("MaxBodySize 1 MiB: got %v; want ErrUnexpected for the size", err)
	}
	if xtrakit.DefaultMaxBodySize != 64<<20 {
		t.Errorf("DefaultMaxBodySize = %d; want 64 MiB", xtrakit.DefaultMaxBodySize)
	}
}

func TestUpdateResponses(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		record     bool
		groups     int
		kind       error
	}{
		{"customer and groups", docsResponse(), true, 1, nil},
		{"record as data", `{"status":200,"message":"Customer updated","data":` + docsCustomer + `}`, true, 0, nil},
		{"null data", `{"status":200,"message":"Customer updated","data":null}`, false, 0, nil},
		{"empty array", `{"status":200,"message":"Customer updated","data":[]}`, false, 0, nil},
		{"true", `{"status":200,"data":true}`, false, 0, nil},
		{"other object", `{"status":200,"data":{"updated":1}}`, false, 0, nil},
		{"no data", `{"status":200,"message":"Customer updated"}`, false, 0, upstream.ErrUnexpected},
		{"garbage", `<html>`, false, 0, upstream.ErrUnexpected},
		{"bad record", `{"status":200,"data":{"customer":{"id":1,"customer_name":7}}}`, false, 0, upstream.ErrUnexpected},
		{"error in body", `{"status":422,"error":"The customer phone has already been taken."}`, false, 0, upstream.ErrValidation},
	} {
		srv := upstreamtest.Fixed(t, 200, nil, tc.body)
		got, groups, err := newClient(t, srv.URL, nil).UpdateCustomer(context.Background(), 1, valid())
		checkClean(t, err, srv.URL)
		switch {
		case tc.kind != nil:
			if !errors.Is(err, tc.kind) || got != nil {
				t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.kind)
			}
		case tc.record:
			if err != nil || got == nil || got.ID != 1 || got.CustomerName != "Jane Doe" || len(groups) != tc.groups ||
				!jsonEqual(got.Raw, []byte(docsCustomer)) {
				t.Errorf("%s: got %+v, %v, %v; want the record", tc.name, got, groups, err)
			}
		default:
			if err != nil || got != nil || groups != nil {
				t.Errorf("%s: got %+v, %v, %v; want nil, nil, nil", tc.name, got, groups, err)
			}
		}
		if srv.Count() != 1 {
			t.Errorf("%s: %d requests; want 1", tc.name, srv.Count())
		}
	}
}

func TestErrorStatuses(t *testing.T) {
	for _, tc := range []struct {
		httpStatus int
		body       string
		kind       error
		status     int
		msg        string
	}{
		{401, `{"status": 401, "error": "Unauthorized: Missing Bearer Token"}`, upstream.ErrUnauthorized, 401,
			"Unauthorized: Missing Bearer Token"},
		{401, `{"status": 401, "error": "Unauthorized: Invalid API Key"}`, upstream.ErrUnauthorized, 401, "Unauthorized: Invalid API Key"},
		{403, `{"status": 403, "error": "Forbidden"}`, upstream.ErrForbidden, 403, "Forbidden"},
		{404, `{"status": 404, "message": "Customer not found", "data": null}`, upstream.ErrNotFound, 404, "Customer not found"},
		{404, `{"status": 404, "error": {"message": "No query results for model [Customer] 9"}}`, upstream.ErrNotFound, 404,
			"No query results for model [Customer] 9"},
		{409, `{"status": 409, "error": "Customer exists"}`, upstream.ErrConflict, 409, "Customer exists"},
		{422, `{"message": "The customer name field is required. (and 1 more error)", "errors": {"customer_name": ` +
			`["The customer name field is required."], "address1": ["The address1 field is required."]}}`, upstream.ErrValidation, 422,
			"The customer name field is required. (and 1 more error)"},
		{422, `{"status": 422, "error": {"customer_phone": ["has already been taken"]}}`, upstream.ErrValidation, 422,
			"customer_phone: has already been taken"},
		{400, `{"status": 400, "message": "Invalid request", "errors": {"created_at": ["must be a date"]}}`,
			upstream.ErrValidation, 400, "Invalid request (created_at: must be a date)"},
		{429, `{"status": 429, "error": "Too Many Attempts."}`, upstream.ErrRateLimited, 429, "Too Many Attempts."},
		{500, `{"status": 500, "error": "Server Error"}`, upstream.ErrUnavailable, 500, "Server Error"},
		{502, `<html>Bad Gateway</html>`, upstream.ErrUnavailable, 502, ""},
		{503, ``, upstream.ErrUnavailable, 503, ""},
		{418, `teapot`, upstream.ErrUnexpected, 418, ""},
		{401, `{"status": 401, "error": "Key ` + testKey + ` revoked"}`, upstream.ErrUnauthorized, 401, "Key [redacted] revoked"},
		// An error status in the body of a 200.
		{200, `{"status": 404, "message": "Customer not found", "data": []}`, upstream.ErrNotFound, 404, "Customer not found"},
		{200, `{"status": "401", "error": "Unauthorized: Invalid API Key"}`, upstream.ErrUnauthorized, 401, "Unauthorized: Invalid API Key"},
	} {
		srv := upstreamtest.Fixed(t, tc.httpStatus, nil, tc.body)
		c := newClient(t, srv.URL, &upstream.Options{MaxRetries: -1})
		for name, call := range calls(c) {
			err := call(context.Background())
			checkClean(t, err, srv.URL)
			var ue *upstream.Error
			if !errors.As(err, &ue) || !errors.Is(err, tc.kind) {
				t.Errorf("%s %d %s: got %v; want %v", name, tc.httpStatus, tc.body, err, tc.kind)
				continue
			}
			if ue.API != "xtrakit" || ue.Status != tc.status || ue.Code != "" || ue.Message != tc.msg {
				t.Errorf("%s %d %s: got %+v; want status %d, message %q", name, tc.httpStatus, tc.body, ue, tc.status, tc.msg)
			}
		}
		if srv.Count() != 3 {
			t.Errorf("%d: %d requests; want 3 (one per method)", tc.httpStatus, srv.Count())
		}
	}
	srv := upstreamtest.Fixed(t, 401, nil, `{"status": 401, "error": "Unauthorized: Missing Bearer Token"}`)
	_, _, err := newClient(t, srv.URL, nil).Customer(context.Background(), 1)
	if got, want := err.Error(), "xtrakit: get customer: unauthorized: Unauthorized: Missing Bearer Token"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

func TestRetryAfter(t *testing.T) {
	srv := upstreamtest.Fixed(t, 429, map[string]string{"Retry-After": "60"}, `{"status":429,"error":"Too Many Attempts."}`)
	c := newClient(t, srv.URL, &upstream.Options{MaxRetries: 3, RetryBase: time.Millisecond})
	for name, call := range calls(c) {
		err := call(context.Background())
		var ue *upstream.Error
		if !errors.Is(err, upstream.ErrRateLimited) || !errors.As(err, &ue) || ue.RetryAfter != time.Minute {
			t.Errorf("%s: got %#v; want ErrRateLimited with RetryAfter 1m", name, err)
		}
	}
	if srv.Count() != 3 {
		t.Errorf("%d requests; want 3 (a 429 is not retried)", srv.Count())
	}
}

// TestRetries: the GETs are retried on a 503, the PUT never is.
func TestRetries(t *testing.T) {
	srv := upstreamtest.Fixed(t, 503, nil, `{"status":503,"error":"Service Unavailable"}`)
	c := newClient(t, srv.URL, &upstream.Options{MaxRetries: 2, RetryBase: time.Millisecond})
	for name, call := range calls(c) {
		srv.Reset()
		err := call(context.Background())
		checkClean(t, err, srv.URL)
		want := 3
		if name == "UpdateCustomer" {
			want = 1
		}
		if !errors.Is(err, upstream.ErrUnavailable) || srv.Count() != want {
			t.Errorf("%s: got %v after %d requests; want ErrUnavailable after %d", name, err, srv.Count(), want)
		}
	}

	release := make(chan struct{})
	defer close(release)
	slow := upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c = newClient(t, slow.URL, &upstream.Options{Timeout: 30 * time.Millisecond, MaxRetries: 2, RetryBase: time.Millisecond})
	_, _, err := c.UpdateCustomer(context.Background(), 1, valid())
	checkClean(t, err, slow.URL)
	if !errors.Is(err, upstream.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) || slow.Count() != 1 {
		t.Errorf("slow PUT: got %v after %d requests; want ErrUnavailable after 1", err, slow.Count())
	}
	slow.Reset()
	_, err = c.ListCustomers(context.Background(), xtrakit.ListParams{})
	if !errors.Is(err, upstream.ErrUnavailable) || slow.Count() != 3 {
		t.Errorf("slow list: got %v after %d requests; want ErrUnavailable after 3", err, slow.Count())
	}
}

func TestSecretsNotInErrors(t *testing.T) {
	var srv *upstreamtest.Server
	srv = upstreamtest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, `{"status":401,"error":"Key `+testKey+` is not valid at `+srv.URL+` (`+srv.Listener.Addr().String()+`)"}`)
	})
	for name, call := range calls(newClient(t, srv.URL+"/api/v1", nil)) {
		err := call(context.Background())
		checkClean(t, err, srv.URL)
		if !errors.Is(err, upstream.ErrUnauthorized) {
			t.Errorf("%s: got %v; want ErrUnauthorized", name, err)
		}
	}
	for name, call := range calls(newClient(t, "http://127.0.0.1:1/api/v1", &upstream.Options{MaxRetries: -1})) {
		err := call(context.Background())
		checkClean(t, err, "http://127.0.0.1:1")
		if !errors.Is(err, upstream.ErrUnavailable) {
			t.Errorf("%s: got %v; want ErrUnavailable", name, err)
		}
	}
}

func TestBusinessCode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want xtrakit.BusinessCode
	}{
		{`"15848484"`, "15848484"},
		{`15848484`, "15848484"},
		{`"ABC-1"`, "ABC-1"},
		{`0`, "0"},
		{`null`, ""},
		{`""`, ""},
	} {
		var got xtrakit.BusinessCode
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil || got != tc.want {
			t.Errorf("Unmarshal(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{`true`, `{}`, `[]`} {
		var got xtrakit.BusinessCode
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("Unmarshal(%s) = %q; want an error", in, got)
		}
	}
	if b, _ := json.Marshal(xtrakit.BusinessCode("15848484")); string(b) != `"15848484"` {
		t.Errorf("Marshal = %s; want a string", b)
	}
}

func TestTimestamp(t *testing.T) {
	accra, err := time.LoadLocation("Africa/Accra")
	if err != nil {
		accra = time.FixedZone("GMT", 0)
	}
	ny := time.FixedZone("EDT", -4*3600)
	for _, tc := range []struct {
		in   xtrakit.Timestamp
		loc  *time.Location
		want time.Time
	}{
		{"2024-08-04 08:23:45", nil, time.Date(2024, 8, 4, 8, 23, 45, 0, time.UTC)},
		{"2024-08-04 08:23:45", accra, time.Date(2024, 8, 4, 8, 23, 45, 0, accra)},
		{"2024-08-04 08:23:45", ny, time.Date(2024, 8, 4, 12, 23, 45, 0, time.UTC)},
		{" 2024-08-04 08:23:45 ", ny, time.Date(2024, 8, 4, 12, 23, 45, 0, time.UTC)},
		{"2024-08-04 08:23:45.5", ny, time.Date(2024, 8, 4, 12, 23, 45, 5e8, time.UTC)},
		{"2024-08-04T08:23:45", ny, time.Date(2024, 8, 4, 12, 23, 45, 0, time.UTC)},
		{"2024-08-04", ny, time.Date(2024, 8, 4, 4, 0, 0, 0, time.UTC)},
		{"2024-08-04T08:23:45.000000Z", ny, time.Date(2024, 8, 4, 8, 23, 45, 0, time.UTC)}, // its own zone wins
		{"2024-08-04T08:23:45+02:00", ny, time.Date(2024, 8, 4, 6, 23, 45, 0, time.UTC)},
		{"", ny, time.Time{}},
	} {
		got, err := tc.in.Time(tc.loc)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("Timestamp(%q).Time(%v) = %v, %v; want %v", tc.in, tc.loc, got, err, tc.want)
		}
		if tc.loc != nil && !got.IsZero() && tc.in[len(tc.in)-1] != 'Z' && !strings.Contains(string(tc.in), "+") &&
			got.Location() != tc.loc {
			t.Errorf("Timestamp(%q).Time(%v) is in %v", tc.in, tc.loc, got.Location())
		}
	}
	for _, in := range []xtrakit.Timestamp{"yesterday", "2024-13-01 00:00:00", "04/08/2024 08:23"} {
		if got, err := in.Time(time.UTC); err == nil {
			t.Errorf("Timestamp(%q).Time = %v; want an error", in, got)
		}
	}
	var ts struct{ A, B xtrakit.Timestamp }
	if err := json.Unmarshal([]byte(`{"A":"2024-08-04 08:23:45","B":null}`), &ts); err != nil || ts.A != "2024-08-04 08:23:45" || ts.B != "" {
		t.Errorf("Unmarshal = %+v, %v", ts, err)
	}
	if err := json.Unmarshal([]byte(`{"A":1722759825}`), &ts); err == nil {
		t.Error("Unmarshal of a number: want an error")
	}
}
