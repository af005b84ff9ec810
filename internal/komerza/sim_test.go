package komerza_test

// Tests against the Komerza simulator over loopback HTTP.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"customergraph/internal/komerza"
	"customergraph/internal/sim/komerzasim"
	"customergraph/internal/upstream"
	"customergraph/internal/upstream/upstreamtest"
)

const readerKey = "reader-key"

// newSim starts the simulator with n customers, accepting testKey and the
// view-only readerKey unless opts says otherwise, and returns a client of
// its store.
func newSim(t *testing.T, opts komerzasim.Options, copts *upstream.Options) (*komerzasim.Server, string, *komerza.Client) {
	t.Helper()
	if opts.APIKeys == nil {
		opts.APIKeys = []string{testKey, readerKey + ":read"}
	}
	if opts.Customers == 0 {
		opts.Customers = 50
	}
	sim := komerzasim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL, newClient(t, srv.URL, copts)
}

func simCustomer(t *testing.T, sim *komerzasim.Server, id string) komerzasim.Customer {
	t.Helper()
	c, ok := sim.Customer(id)
	if !ok {
		t.Fatalf("simulator has no customer %q", id)
	}
	return c
}

// sameRecord fails unless got is the simulator's record want, field by
// field and as raw JSON.
func sameRecord(t *testing.T, name string, got *komerza.Customer, want komerzasim.Customer) {
	t.Helper()
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(got.Raw, wantJSON) {
		t.Errorf("%s: Raw = %s\nwant %s", name, got.Raw, wantJSON)
	}
	cp := *got
	cp.Raw = nil
	if gj, _ := json.Marshal(cp); !jsonEqual(gj, wantJSON) {
		t.Errorf("%s: got\n%s\nwant\n%s", name, gj, wantJSON)
	}
	if got.ID != want.ID || got.EmailAddress != want.EmailAddress || got.Status == nil || *got.Status != want.Status ||
		got.Balance == nil || *got.Balance != want.Balance || got.IsBlocked == nil || *got.IsBlocked != want.IsBlocked ||
		!got.DateCreated.Equal(want.DateCreated) || len(got.Tickets) != len(want.Tickets) ||
		len(got.Subscriptions) != len(want.Subscriptions) || (got.Affiliate == nil) != (want.Affiliate == nil) {
		t.Errorf("%s: got %+v\nwant %+v", name, got, want)
	}
}

func TestSimCustomer(t *testing.T) {
	sim, url, c := newSim(t, komerzasim.Options{}, nil)
	ctx := context.Background()

	// The docs' example customer is the first.
	want := simCustomer(t, sim, custID)
	got, err := c.Customer(ctx, custID)
	if err != nil {
		t.Fatal(err)
	}
	sameRecord(t, "Customer(example)", got, want)
	if got, err := c.Customer(ctx, strings.ToUpper(custID)); err != nil || got.ID != custID {
		t.Errorf("Customer(upper case) = %v, %v", got, err)
	}
	for _, email := range []string{want.EmailAddress, strings.ToUpper(want.EmailAddress)} {
		got, err := c.CustomerByEmail(ctx, email)
		if err != nil {
			t.Errorf("CustomerByEmail(%q): %v", email, err)
			continue
		}
		sameRecord(t, "CustomerByEmail", got, want)
	}

	// Every customer, by ID and by email.
	page, err := c.ListCustomers(ctx, komerza.ListParams{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Customers) != 50 || page.Pages != 1 {
		t.Fatalf("list: %d customers in %d pages; want 50 in 1", len(page.Customers), page.Pages)
	}
	sim.Reset()
	for _, ref := range page.Customers {
		want := simCustomer(t, sim, ref.ID)
		got, err := c.Customer(ctx, ref.ID)
		if err != nil {
			t.Errorf("Customer(%s): %v", ref.ID, err)
			continue
		}
		sameRecord(t, "Customer", got, want)
		if got, err := c.CustomerByEmail(ctx, ref.EmailAddress); err != nil || got.ID != ref.ID {
			t.Errorf("CustomerByEmail(%s) = %v, %v; want %s", ref.EmailAddress, got, err, ref.ID)
		}
	}
	if st := sim.Stats(); st.Get != 100 || st.Total != 100 {
		t.Errorf("Stats = %+v; want 100 gets", st)
	}

	// Not found, by each lookup; another store.
	sim.Reset()
	for name, call := range map[string]func() error{
		"ID":    func() error { _, err := c.Customer(ctx, "00000000-0000-4000-8000-000000000000"); return err },
		"email": func() error { _, err := c.CustomerByEmail(ctx, "nobody@example.com"); return err },
		// An address with a slash stays one path segment: a lookup, not another route.
		"email with a slash": func() error { _, err := c.CustomerByEmail(ctx, "a/b@example.com"); return err },
		"email of dots":      func() error { _, err := c.CustomerByEmail(ctx, ".."); return err },
	} {
		err := call()
		checkClean(t, err, url)
		var ue *upstream.Error
		if !errors.Is(err, upstream.ErrNotFound) || !errors.As(err, &ue) || ue.Status != 404 ||
			ue.Message != "Customer not found" || ue.Code != "not_found" {
			t.Errorf("%s: got %#v; want ErrNotFound, Customer not found", name, err)
		}
	}
	if st := sim.Stats(); st.Get != 4 {
		t.Errorf("Stats = %+v; want 4 gets (a 404 is not retried)", st)
	}
	other, err := komerza.New(url, testKey, "22222222-2222-4222-8222-222222222222", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.Customer(ctx, custID)
	var ue *upstream.Error
	if !errors.Is(err, upstream.ErrNotFound) || !errors.As(err, &ue) || ue.Message != "Store not found" {
		t.Errorf("another store: got %v; want ErrNotFound, Store not found", err)
	}
	if got, want := err.Error(), "komerza: get customer: not found: Store not found"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

func TestSimListPaging(t *testing.T) {
	const n = 137
	sim, _, c := newSim(t, komerzasim.Options{Customers: n, Seed: 7}, nil)
	ctx := context.Background()
	seen := map[string]int{}
	pages := 0
	for p := 1; ; p++ {
		page, err := c.ListCustomers(ctx, komerza.ListParams{Page: p, PageSize: 20})
		if err != nil {
			t.Fatalf("page %d: %v", p, err)
		}
		if page.Pages != 7 {
			t.Errorf("page %d: Pages = %d; want 7", p, page.Pages)
		}
		if len(page.Customers) == 0 {
			break
		}
		pages++
		for _, r := range page.Customers {
			seen[r.ID]++
			if r.EmailAddress == "" || r.Status == nil || r.DateCreated.IsZero() || r.IsBlocked == nil || len(r.Raw) == 0 {
				t.Errorf("incomplete reference %+v", r)
			}
		}
		if p > n {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != n || pages != 7 {
		t.Errorf("saw %d customers in %d pages; want %d in 7", len(seen), pages, n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("customer %s seen %d times", id, k)
		}
	}
	if st := sim.Stats(); st.List != 8 {
		t.Errorf("Stats = %+v; want 8 lists", st)
	}

	// The simulator's default page.
	page, err := c.ListCustomers(ctx, komerza.ListParams{})
	if err != nil || len(page.Customers) != 20 {
		t.Errorf("default page: %d customers, %v; want 20", len(page.Customers), err)
	}
	if r := sim.Requests(); r[len(r)-1].Query != "" {
		t.Errorf("default page sent the query %q; want none", r[len(r)-1].Query)
	}

	// A page size the API refuses is a validation error naming the field.
	_, err = c.ListCustomers(ctx, komerza.ListParams{PageSize: 101})
	var ue *upstream.Error
	if !errors.Is(err, upstream.ErrValidation) || !errors.As(err, &ue) || ue.Status != 400 ||
		ue.Message != "One or more fields are invalid (PageSize: must be an integer between 1 and 100)" {
		t.Errorf("PageSize 101: got %#v; want ErrValidation naming PageSize", err)
	}
}

func TestSimFiltersAndSearch(t *testing.T) {
	sim, _, c := newSim(t, komerzasim.Options{Customers: 80}, nil)
	ctx := context.Background()
	all, err := c.ListCustomers(ctx, komerza.ListParams{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}

	// The email filter: "contains", ignoring case.
	for _, part := range []string{"example.org", "EXAMPLE.NET", "jordan"} {
		page, err := c.ListCustomers(ctx, komerza.ListParams{PageSize: 100, Email: part})
		if err != nil {
			t.Fatalf("Email %q: %v", part, err)
		}
		want := 0
		for _, r := range all.Customers {
			if strings.Contains(strings.ToLower(r.EmailAddress), strings.ToLower(part)) {
				want++
			}
		}
		if len(page.Customers) != want || want == 0 {
			t.Errorf("Email %q: %d customers; want %d (> 0)", part, len(page.Customers), want)
		}
		for _, r := range page.Customers {
			if !strings.Contains(strings.ToLower(r.EmailAddress), strings.ToLower(part)) {
				t.Errorf("Email %q: got %s", part, r.EmailAddress)
			}
		}
	}

	// The IP filter.
	ex := simCustomer(t, sim, custID)
	page, err := c.ListCustomers(ctx, komerza.ListParams{IPAddress: *ex.IPAddress})
	if err != nil || len(page.Customers) == 0 {
		t.Fatalf("IPAddress %q: %v, %v", *ex.IPAddress, page, err)
	}
	found := false
	for _, r := range page.Customers {
		found = found || r.ID == custID
	}
	if !found {
		t.Errorf("IPAddress %q: customer %s missing", *ex.IPAddress, custID)
	}

	// Search, by part of an address and by ID.
	for _, q := range []string{ex.EmailAddress, strings.ToUpper(ex.EmailAddress[:6]), custID} {
		page, err := c.SearchCustomers(ctx, q, komerza.ListParams{PageSize: 100})
		if err != nil {
			t.Errorf("SearchCustomers(%q): %v", q, err)
			continue
		}
		found := false
		for _, r := range page.Customers {
			found = found || r.ID == custID
		}
		if !found {
			t.Errorf("SearchCustomers(%q): customer %s missing from %d results", q, custID, len(page.Customers))
		}
	}
	// A query that looks like a route is still one search.
	sim.Reset()
	for _, q := range []string{"x/y", "?Page=2", "../email", "#frag"} {
		page, err := c.SearchCustomers(ctx, q, komerza.ListParams{})
		if err != nil || len(page.Customers) != 0 || page.Pages != 0 {
			t.Errorf("SearchCustomers(%q) = %+v, %v; want an empty page", q, page, err)
		}
	}
	if st := sim.Stats(); st.List != 4 || st.Total != 4 {
		t.Errorf("Stats = %+v; want 4 lists", st)
	}
}

func TestSimUpdateBalance(t *testing.T) {
	sim, url, c := newSim(t, komerzasim.Options{}, nil)
	ctx := context.Background()
	comment := "goodwill credit"
	for _, tc := range []struct {
		balance float64
		comment *string
		body    string
	}{
		{42.5, &comment, `{"newBalance":42.5,"comment":"goodwill credit"}`},
		{0, nil, `{"newBalance":0,"comment":null}`},
		{1e6, nil, `{"newBalance":1000000,"comment":null}`},
	} {
		sim.Reset()
		got, err := c.UpdateBalance(ctx, custID, tc.balance, tc.comment)
		if err != nil {
			t.Fatalf("UpdateBalance(%v): %v", tc.balance, err)
		}
		if got == nil || got.ID != custID || got.Balance == nil || *got.Balance != tc.balance {
			t.Errorf("UpdateBalance(%v) = %+v; want the record with the new balance", tc.balance, got)
		}
		sameRecord(t, "UpdateBalance", got, simCustomer(t, sim, custID))
		reqs := sim.Requests()
		if len(reqs) != 1 || reqs[0].Method != "PATCH" || reqs[0].Path != "/stores/"+testStore+"/customers/"+custID+"/balance" ||
			reqs[0].Body != tc.body {
			t.Errorf("UpdateBalance(%v) sent %+v; want one PATCH with %s", tc.balance, reqs, tc.body)
		}
		read, err := c.Customer(ctx, custID)
		if err != nil || *read.Balance != tc.balance {
			t.Errorf("read back: %v, %v", read, err)
		}
	}

	// Errors: an unknown customer, a view-only key.
	_, err := c.UpdateBalance(ctx, "00000000-0000-4000-8000-000000000000", 1, nil)
	checkClean(t, err, url)
	if !errors.Is(err, upstream.ErrNotFound) {
		t.Errorf("unknown customer: got %v; want ErrNotFound", err)
	}
	reader, err := komerza.New(url, readerKey, testStore, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Customer(ctx, custID); err != nil {
		t.Errorf("read with a view-only key: %v", err)
	}
	_, err = reader.UpdateBalance(ctx, custID, 99, nil)
	var ue *upstream.Error
	if !errors.Is(err, upstream.ErrForbidden) || !errors.As(err, &ue) || ue.Status != 403 || ue.Code != "forbidden" ||
		!strings.Contains(ue.Message, "stores.customers.update") {
		t.Errorf("view-only key: got %#v; want ErrForbidden naming the permission", err)
	}
	if strings.Contains(err.Error(), readerKey) {
		t.Errorf("error %q contains the key", err)
	}
	if after := simCustomer(t, sim, custID); after.Balance != 1e6 {
		t.Errorf("failed updates changed the balance to %v", after.Balance)
	}
}

func TestSimUnauthorized(t *testing.T) {
	sim, url, _ := newSim(t, komerzasim.Options{}, nil)
	for _, key := range []string{"kmz_wrong_0123456789", ""} {
		c, err := komerza.New(url, key, testStore, nil)
		if err != nil {
			t.Fatal(err)
		}
		for name, call := range calls(c) {
			err := call(context.Background())
			upstreamtest.CheckClean(t, err, "komerza", url, key)
			var ue *upstream.Error
			if !errors.Is(err, upstream.ErrUnauthorized) || !errors.As(err, &ue) || ue.Status != 401 || ue.Message == "" ||
				ue.Code != "unauthorized" {
				t.Errorf("key %q, %s: got %v; want ErrUnauthorized", key, name, err)
			}
		}
	}
	if st := sim.Stats(); st.Total != 10 {
		t.Errorf("Stats = %+v; want 10 requests (a 401 is not retried)", st)
	}
}

func TestSimRateLimit(t *testing.T) {
	sim, url, c := newSim(t, komerzasim.Options{RateLimit: 2}, &upstream.Options{MaxRetries: 3, RetryBase: time.Millisecond})
	ctx := context.Background()
	for i := range 2 {
		if _, err := c.Customer(ctx, custID); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	_, err := c.Customer(ctx, custID)
	checkClean(t, err, url)
	var ue *upstream.Error
	if !errors.Is(err, upstream.ErrRateLimited) || !errors.As(err, &ue) || ue.Status != 429 || ue.Code != "rate_limited" {
		t.Fatalf("third call: got %v; want ErrRateLimited", err)
	}
	if ue.RetryAfter <= 0 || ue.RetryAfter > time.Hour {
		t.Errorf("RetryAfter = %v; want within the hour", ue.RetryAfter)
	}
	if st := sim.Stats(); st.Total != 3 {
		t.Errorf("Stats = %+v; want 3 requests (a 429 is not retried)", st)
	}
}

func TestSimRetries(t *testing.T) {
	sim, url, c := newSim(t, komerzasim.Options{}, &upstream.Options{MaxRetries: 2, RetryBase: time.Millisecond})
	ctx := context.Background()
	if err := sim.SetFaults(komerzasim.Faults{Status: 503, Rate: 1}); err != nil {
		t.Fatal(err)
	}
	for name, call := range calls(c) {
		sim.Reset()
		err := call(ctx)
		checkClean(t, err, url)
		var ue *upstream.Error
		if !errors.Is(err, upstream.ErrUnavailable) || !errors.As(err, &ue) || ue.Status != 503 {
			t.Errorf("%s: got %v; want ErrUnavailable", name, err)
		}
		st := sim.Stats()
		want := int64(3)
		if name == "UpdateBalance" {
			want = 1
		}
		if st.Total != want {
			t.Errorf("%s: Stats = %+v; want %d requests", name, st, want)
		}
	}

	// A 503 on lists only; a 429 with Retry-After.
	sim.SetFaults(komerzasim.Faults{Status: 500, Rate: 1, Routes: []string{"list"}})
	if _, err := c.Customer(ctx, custID); err != nil {
		t.Errorf("get with list faults: %v", err)
	}
	if _, err := c.SearchCustomers(ctx, "x", komerza.ListParams{}); !errors.Is(err, upstream.ErrUnavailable) {
		t.Errorf("search with list faults: %v", err)
	}
	sim.SetFaults(komerzasim.Faults{Status: 429, RetryAfter: 3})
	_, err := c.CustomerByEmail(ctx, "x@example.com")
	var ue *upstream.Error
	if !errors.Is(err, upstream.ErrRateLimited) || !errors.As(err, &ue) || ue.RetryAfter != 3*time.Second {
		t.Errorf("injected 429: got %#v; want ErrRateLimited with RetryAfter 3s", err)
	}
	sim.ClearFaults()
	if _, err := c.CustomerByEmail(ctx, simCustomer(t, sim, custID).EmailAddress); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
}

func TestSimConcurrent(t *testing.T) {
	sim, _, c := newSim(t, komerzasim.Options{Customers: 100}, nil)
	page, err := c.ListCustomers(context.Background(), komerza.ListParams{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	sim.Reset()
	var wg sync.WaitGroup
	errs := make(chan error, len(page.Customers))
	for _, r := range page.Customers {
		wg.Go(func() {
			got, err := c.CustomerByEmail(context.Background(), r.EmailAddress)
			if err == nil && got.ID != r.ID {
				err = errors.New("asked for " + r.EmailAddress + ", got " + got.ID)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := sim.Stats(); st.Get != 100 {
		t.Errorf("Stats = %+v; want 100 gets", st)
	}
}
