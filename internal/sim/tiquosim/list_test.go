package tiquosim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// listFields are the list doc's customer fields.
var listFields = []string{
	"averageOrderValue", "createdAt", "customerNumber", "displayName", "emails",
	"firstName", "id", "lastActivityDate", "lastName", "lastOrderDate",
	"lifetimeValue", "phones", "profilePhoto", "source", "status", "totalOrders",
	"totalSpent", "updatedAt",
}

func numbersOf(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it["customerNumber"].(string)
	}
	return out
}

func TestListPagingEveryLimit(t *testing.T) {
	const n = 250
	_, c := newTestServer(t, Options{Customers: n})
	for limit := 1; limit <= 100; limit++ {
		seen := make(map[string]bool, n)
		var order []string
		cursor, pages := "", 0
		for {
			q := fmt.Sprintf("limit=%d", limit)
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			p := c.list(q)
			pages++
			if p.Pagination.PageSize != limit {
				t.Fatalf("limit %d: pageSize: got %d; want %d", limit, p.Pagination.PageSize, limit)
			}
			if len(p.Data) > limit {
				t.Fatalf("limit %d: page size: got %d items; want at most %d", limit, len(p.Data), limit)
			}
			for _, num := range numbersOf(p.Data) {
				if seen[num] {
					t.Fatalf("limit %d: %s returned twice", limit, num)
				}
				seen[num] = true
				order = append(order, num)
			}
			wantMore := len(seen) < n
			if p.Pagination.HasMore != wantMore {
				t.Fatalf("limit %d page %d: hasMore: got %v; want %v", limit, pages, p.Pagination.HasMore, wantMore)
			}
			if !p.Pagination.HasMore {
				if p.Pagination.NextCursor != nil {
					t.Fatalf("limit %d: last page nextCursor: got %q; want null", limit, *p.Pagination.NextCursor)
				}
				break
			}
			if len(p.Data) != limit {
				t.Fatalf("limit %d: a page before the last: got %d items; want %d", limit, len(p.Data), limit)
			}
			cursor = *p.Pagination.NextCursor
		}
		if len(seen) != n {
			t.Fatalf("limit %d: got %d customers; want %d", limit, len(seen), n)
		}
		if wantPages := (n + limit - 1) / limit; pages != wantPages {
			t.Errorf("limit %d: got %d pages; want %d", limit, pages, wantPages)
		}
		if !slices.IsSorted(order) {
			t.Errorf("limit %d: customers not in creation order", limit)
		}
	}
}

func TestListDefaultLimit(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 120})
	p := c.list("")
	if len(p.Data) != 50 || p.Pagination.PageSize != 50 || !p.Pagination.HasMore {
		t.Errorf("default page: got %d items, pageSize %d, hasMore %v; want 50, 50, true",
			len(p.Data), p.Pagination.PageSize, p.Pagination.HasMore)
	}
	for _, it := range p.Data {
		if got := keysOf(it); !slices.Equal(got, listFields) {
			t.Fatalf("item fields: got %v; want %v", got, listFields)
		}
	}
	if got := c.list("limit=100").Pagination; !got.HasMore || got.NextCursor == nil {
		t.Errorf("limit 100 of 120: got hasMore %v, nextCursor %v; want true and a cursor", got.HasMore, got.NextCursor)
	}
}

func TestListPagingUnderConcurrentPatches(t *testing.T) {
	const n = 250
	s, c := newTestServer(t, Options{Customers: n})
	all := allCustomers(t, s)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				cu := all[(i*7+w*31)%n]
				body := fmt.Sprintf(`{"firstName":"W%d-%d","email":"w%d.%d@patch.example.com","phone":"+1303%07d"}`, w, i, w, i, w*1_000_000+i)
				r := c.patch("/customers/"+cu.ID, body)
				if r.status != http.StatusOK {
					t.Errorf("PATCH %s: status: got %d; want 200 (%s)", cu.ID, r.status, r.body)
					return
				}
			}
		})
	}
	for limit := 1; limit <= 100; limit += 9 {
		items := c.listAll(fmt.Sprintf("limit=%d", limit))
		nums := numbersOf(items)
		if len(nums) != n || !slices.IsSorted(nums) || len(slices.Compact(slices.Clone(nums))) != n {
			t.Fatalf("limit %d: got %d customers (sorted %v); want each of %d once", limit, len(nums), slices.IsSorted(nums), n)
		}
	}
	close(stop)
	wg.Wait()
}

func TestListCursorRejectsForgeries(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 30})
	valid := *c.list("limit=5").Pagination.NextCursor
	other := New(Options{Customers: 30, Seed: 2}).encodeCursor(5)
	raw, _ := base64.RawURLEncoding.DecodeString(valid)
	tampered := slices.Clone(raw)
	tampered[1]++ // the sequence number
	flipped := slices.Clone(raw)
	flipped[len(flipped)-1] ^= 1 // the MAC
	beyond := s.encodeCursor(31)

	tests := []struct{ name, cursor string }{
		{"docs' placeholder", "abc123"},
		{"plain number", "5"},
		{"altered sequence", base64.RawURLEncoding.EncodeToString(tampered)},
		{"altered MAC", base64.RawURLEncoding.EncodeToString(flipped)},
		{"padded", valid + "=="},
		{"standard alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(valid) + "+/"},
		{"other seed", other},
		{"past the end", beyond},
		{"truncated", valid[:len(valid)-2]},
		{"long", strings.Repeat("A", 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStringError(t, c.get("/customers?cursor="+url.QueryEscape(tt.cursor)), http.StatusBadRequest, "Invalid cursor")
		})
	}
	if got := c.list("limit=5&cursor=" + valid).Data; len(got) != 5 || got[0]["customerNumber"] != "CUST-000006" {
		t.Errorf("valid cursor: got %v; want CUST-000006 first", numbersOf(got))
	}
}

func TestListBadRequests(t *testing.T) {
	_, c := newTestServer(t, Options{Customers: 20})
	const searchMsg = "The 'search' parameter cannot be combined with parameter filters (parameterId/parameterName)"
	tests := []struct{ query, msg string }{
		{"limit=0", "limit must be an integer between 1 and 100"},
		{"limit=101", "limit must be an integer between 1 and 100"},
		{"limit=-1", "limit must be an integer between 1 and 100"},
		{"limit=abc", "limit must be an integer between 1 and 100"},
		{"limit=1.5", "limit must be an integer between 1 and 100"},
		{"limit=1e2", "limit must be an integer between 1 and 100"},
		{"status=deleted", "Invalid status filter"},
		{"status=Active", "Invalid status filter"},
		{"search=john&parameterId=system_marketing_opt_in", searchMsg},
		{"search=john&parameterName=Marketing+Opt-In&parameterValue=true", searchMsg},
		{"parameterId=system_source&parameterName=Source", "parameterId and parameterName cannot be combined"},
		{"parameterValue=true", "parameterValue requires parameterId or parameterName"},
		{"cursor=abc123", "Invalid cursor"},
		{"limit=%zz", "Invalid query string"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			wantStringError(t, c.get("/customers?"+tt.query), http.StatusBadRequest, tt.msg)
		})
	}
}

// matchSearch is the test's own statement of the search rule.
func matchSearch(cu Customer, q string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	fields := []string{cu.CustomerNumber}
	for _, p := range []*string{cu.FirstName, cu.LastName, cu.DisplayName} {
		if p != nil {
			fields = append(fields, *p)
		}
	}
	for _, e := range cu.Emails {
		fields = append(fields, e.Address)
	}
	for _, p := range cu.Phones {
		fields = append(fields, p.Number)
	}
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	if strings.Trim(q, "0123456789 +-.()") == "" {
		d := digitsOf(q)
		if len(d) >= 3 {
			for _, p := range cu.Phones {
				if strings.Contains(digitsOf(p.Number), d) {
					return true
				}
			}
		}
	}
	return false
}

func TestListFilters(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 400})
	all := allCustomers(t, s)
	second := all[1]

	hasParam := func(id, value string) func(Customer) bool {
		return func(cu Customer) bool {
			p, ok := cu.Parameter(id)
			return ok && (value == "" || slices.Contains(p.Values, value))
		}
	}
	search := func(q string) func(Customer) bool {
		return func(cu Customer) bool { return matchSearch(cu, q) }
	}
	tests := []struct {
		name      string
		query     string
		want      func(Customer) bool
		mustFind  string // a customer number that must be in the result
		paramID   string // when set, items carry this parameter's value
		wantEmpty bool
	}{
		{name: "status active", query: "status=active", want: func(cu Customer) bool { return cu.Status == StatusActive }, mustFind: "CUST-000001"},
		{name: "status inactive", query: "status=inactive", want: func(cu Customer) bool { return cu.Status == StatusInactive }, mustFind: "CUST-000002"},
		{name: "status archived", query: "status=archived", want: func(cu Customer) bool { return cu.Status == StatusArchived }, mustFind: "CUST-000003"},
		{name: "status banned", query: "status=banned", want: func(cu Customer) bool { return cu.Status == StatusBanned }, mustFind: "CUST-000004"},
		{name: "search first name", query: "search=JOHN", want: search("john"), mustFind: "CUST-000001"},
		{name: "search display name", query: "search=" + url.QueryEscape(*second.DisplayName), want: search(*second.DisplayName), mustFind: "CUST-000002"},
		{name: "search non-ASCII", query: "search=" + url.QueryEscape("zoë"), want: search("zoë")},
		{name: "search email", query: "search=John%40Example.com", want: search("john@example.com"), mustFind: "CUST-000001"},
		{name: "search email domain", query: "search=example.org", want: search("example.org")},
		{name: "search phone E.164", query: "search=%2B15554567890", want: search("+15554567890"), mustFind: "CUST-000001"},
		{name: "search phone formatted", query: "search=" + url.QueryEscape("(555) 456-7890"), want: search("(555) 456-7890"), mustFind: "CUST-000001"},
		{name: "search phone digits", query: "search=4567890", want: search("4567890"), mustFind: "CUST-000001"},
		{name: "search number", query: "search=cust-000001", want: search("cust-000001"), mustFind: "CUST-000001"},
		{name: "search number digits", query: "search=000010", want: search("000010"), mustFind: "CUST-000010"},
		{name: "search no match", query: "search=zzzzqqq", want: search("zzzzqqq"), wantEmpty: true},
		{name: "search and status", query: "search=example.com&status=active", want: func(cu Customer) bool { return cu.Status == StatusActive && matchSearch(cu, "example.com") }},
		{name: "parameterId boolean true", query: "parameterId=system_marketing_opt_in&parameterValue=true", want: hasParam(paramMarketingOptIn, "true"), paramID: paramMarketingOptIn, mustFind: "CUST-000001"},
		{name: "parameterName boolean false", query: "parameterName=Marketing+Opt-In&parameterValue=false", want: hasParam(paramMarketingOptIn, "false"), paramID: paramMarketingOptIn},
		{name: "parameterName case-insensitive", query: "parameterName=loyalty+tier&parameterValue=Gold", want: hasParam(LoyaltyTierParameterID, "Gold"), paramID: LoyaltyTierParameterID, mustFind: "CUST-000001"},
		{name: "custom parameter ID", query: "parameterId=" + LoyaltyTierParameterID, want: hasParam(LoyaltyTierParameterID, ""), paramID: LoyaltyTierParameterID, mustFind: "CUST-000001"},
		{name: "parameter set", query: "parameterId=system_date_of_birth", want: hasParam(paramDateOfBirth, ""), paramID: paramDateOfBirth},
		{name: "multiselect member", query: "parameterId=system_browser&parameterValue=Chrome", want: hasParam(paramBrowser, "Chrome"), paramID: paramBrowser},
		{name: "custom multiselect", query: "parameterName=Dietary+Preferences&parameterValue=Vegan", want: hasParam(DietaryPreferencesParameterID, "Vegan"), paramID: DietaryPreferencesParameterID},
		{name: "value is exact", query: "parameterName=Loyalty+Tier&parameterValue=gold", want: hasParam(LoyaltyTierParameterID, "gold"), wantEmpty: true},
		{name: "parameter and status", query: "parameterId=system_source&parameterValue=pos&status=banned", want: func(cu Customer) bool { return cu.Status == StatusBanned && hasParam(paramSource, "pos")(cu) }, paramID: paramSource},
		{name: "unknown parameter ID", query: "parameterId=nope", want: func(Customer) bool { return false }, wantEmpty: true},
		{name: "unknown parameter name", query: "parameterName=Nope", want: func(Customer) bool { return false }, wantEmpty: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := c.listAll("limit=37&" + tt.query)
			var want []string
			for _, cu := range all {
				if tt.want(cu) {
					want = append(want, cu.CustomerNumber)
				}
			}
			got := numbersOf(items)
			t.Logf("%d of %d customers", len(got), len(all))
			if !slices.Equal(got, want) {
				t.Fatalf("got %d customers %v; want %d %v", len(got), head(got), len(want), head(want))
			}
			if tt.wantEmpty != (len(got) == 0) {
				t.Errorf("got %d customers; want empty %v", len(got), tt.wantEmpty)
			}
			if tt.mustFind != "" && !slices.Contains(got, tt.mustFind) {
				t.Errorf("got %v; want it to contain %s", head(got), tt.mustFind)
			}
			for i, it := range items {
				v, present := it["parameterValue"]
				if tt.paramID == "" {
					if present {
						t.Fatalf("%v: parameterValue: got %v; want absent", it["customerNumber"], v)
					}
					continue
				}
				cu, _ := s.Customer(got[i])
				p, _ := cu.Parameter(tt.paramID)
				if v != p.Value() {
					t.Fatalf("%v: parameterValue: got %v; want %q", it["customerNumber"], v, p.Value())
				}
				if want := append(slices.Clone(listFields), "parameterValue"); !slices.Equal(keysOf(it), slices.Sorted(slices.Values(want))) {
					t.Fatalf("item fields: got %v; want %v", keysOf(it), want)
				}
			}
		})
	}
}

func TestListMultiselectValueJoined(t *testing.T) {
	s, c := newTestServer(t, Options{Customers: 400})
	var multi Customer
	for _, cu := range allCustomers(t, s) {
		if p, ok := cu.Parameter(paramDevice); ok && len(p.Values) > 1 {
			multi = cu
			break
		}
	}
	if multi.ID == "" {
		t.Fatal("no customer with two devices")
	}
	p, _ := multi.Parameter(paramDevice)
	items := c.listAll("parameterId=system_device&parameterValue=" + p.Values[1])
	for _, it := range items {
		if it["id"] == multi.ID {
			if want := strings.Join(p.Values, ","); it["parameterValue"] != want {
				t.Errorf("parameterValue: got %v; want %q", it["parameterValue"], want)
			}
			return
		}
	}
	t.Errorf("%s not found by its second device %q", multi.CustomerNumber, p.Values[1])
}

func head(s []string) []string {
	if len(s) > 8 {
		return append(s[:8:8], "…")
	}
	return s
}
