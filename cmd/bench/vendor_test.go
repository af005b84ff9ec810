package main

import (
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func TestParseFlagsVendor(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		vendor    vendor
		store     string
		wantError string // in the error; "" for none
	}{
		{nil, vendorTiquo, defaultKomerzaStore, ""},
		{[]string{"-vendor", "tiquo"}, vendorTiquo, defaultKomerzaStore, ""},
		{[]string{"-vendor", "komerza"}, vendorKomerza, defaultKomerzaStore, ""},
		{[]string{"-vendor", " Komerza "}, vendorKomerza, defaultKomerzaStore, ""},
		{[]string{"-vendor", "XTRAKIT"}, vendorXtrakit, defaultKomerzaStore, ""},
		{[]string{"-vendor", "komerza", "-store", "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE"}, vendorKomerza, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", ""},
		{[]string{"-vendor", "shopify"}, "", "", `-vendor "shopify": want tiquo, komerza or xtrakit`},
		{[]string{"-vendor", ""}, "", "", "want tiquo, komerza or xtrakit"},
		{[]string{"-vendor", "komerza", "-store", "store-1"}, "", "", `-store "store-1" is not a UUID`},
		{[]string{"-store", defaultKomerzaStore}, "", "", "-store goes with -vendor komerza, not tiquo"},
		{[]string{"-vendor", "xtrakit", "-store", defaultKomerzaStore}, "", "", "-store goes with -vendor komerza, not xtrakit"},
	} {
		c, err := parseFlags(tc.args, io.Discard)
		switch {
		case tc.wantError != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Errorf("parseFlags(%q): got error %v; want one with %q", tc.args, err, tc.wantError)
			}
		case err != nil:
			t.Errorf("parseFlags(%q): got error %v; want none", tc.args, err)
		case c.vendor != tc.vendor || c.store != tc.store:
			t.Errorf("parseFlags(%q): got vendor %q, store %q; want %q, %q", tc.args, c.vendor, c.store, tc.vendor, tc.store)
		}
	}
}

func TestSelectWorkloadsByVendor(t *testing.T) {
	names := func(ws []workload) string {
		var s []string
		for _, w := range ws {
			s = append(s, w.name)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		list      string
		vendor    vendor
		want      string // the names selected
		wantError string // in the error; "" for none
	}{
		{"all", vendorTiquo, "W0,W1-warm,W1-cold,W2,W3,W4,W5,B-direct,B-proxy", ""},
		{"", vendorTiquo, "W0,W1-warm,W1-cold,W2,W3,W4,W5,B-direct,B-proxy", ""},
		{"all", vendorKomerza, "W0,W1-warm,W1-cold,W2", ""},
		{"ALL", vendorXtrakit, "W0,W1-warm,W1-cold,W2", ""},
		{"w2,W1-warm", vendorKomerza, "W1-warm,W2", ""},
		{"W1-cold", vendorXtrakit, "W1-cold", ""},
		{"W3,B-proxy", vendorTiquo, "W3,B-proxy", ""},
		{"W1-warm,W3", vendorKomerza, "", "workload W3 runs against Tiquo only (it mixes customer numbers, phones and emails, and only Tiquo has customer numbers), not -vendor komerza: with -vendor komerza, pick from W0,W1-warm,W1-cold,W2"},
		{"W4", vendorXtrakit, "", "workload W4 runs against Tiquo only"},
		{"w5", vendorKomerza, "", "workload W5 runs against Tiquo only"},
		{"B-direct", vendorKomerza, "", "workload B-direct runs against Tiquo only"},
		{"b-proxy", vendorXtrakit, "", "workload B-proxy runs against Tiquo only"},
		{"W9", vendorKomerza, "", `unknown workload "W9"`},
	} {
		ws, err := selectWorkloads(tc.list, tc.vendor)
		switch {
		case tc.wantError != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Errorf("selectWorkloads(%q, %s): got %s, error %v; want an error with %q", tc.list, tc.vendor, names(ws), err, tc.wantError)
			}
		case err != nil:
			t.Errorf("selectWorkloads(%q, %s): got error %v; want %s", tc.list, tc.vendor, err, tc.want)
		case names(ws) != tc.want:
			t.Errorf("selectWorkloads(%q, %s): got %s; want %s", tc.list, tc.vendor, names(ws), tc.want)
		}
	}
}

func TestListShowsTheVendorsWorkloads(t *testing.T) {
	for _, tc := range []struct {
		vendor string
		want   []string
	}{
		{"tiquo", []string{"W0", "W1-warm", "W1-cold", "W2", "W3", "W4", "W5", "B-direct", "B-proxy"}},
		{"komerza", []string{"W0", "W1-warm", "W1-cold", "W2"}},
		{"xtrakit", []string{"W0", "W1-warm", "W1-cold", "W2"}},
	} {
		var out strings.Builder
		if err := run(t.Context(), []string{"-list", "-vendor", tc.vendor}, &out, io.Discard); err != nil {
			t.Fatalf("-list -vendor %s: %v", tc.vendor, err)
		}
		var got []string
		for line := range strings.Lines(out.String()) {
			got = append(got, strings.Fields(line)[0])
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("-list -vendor %s: got %q; want %q", tc.vendor, got, tc.want)
		}
	}
}

func TestVendorLabel(t *testing.T) {
	for _, tc := range []struct {
		vendor     vendor
		name       string
		qualifiers []string
		want       string
	}{
		{vendorTiquo, "W1-warm", nil, "W1-warm"},
		{vendorTiquo, "W2", []string{"first"}, "W2 (first)"},
		{vendorKomerza, "W1-warm", nil, "W1-warm (komerza)"},
		{vendorKomerza, "W2", []string{"first"}, "W2 (komerza, first)"},
		{vendorXtrakit, "W1-cold", nil, "W1-cold (xtrakit)"},
		{vendorXtrakit, "W2", []string{"first"}, "W2 (xtrakit, first)"},
	} {
		if got := tc.vendor.label(tc.name, tc.qualifiers...); got != tc.want {
			t.Errorf("%s.label(%q, %q): got %q; want %q", tc.vendor, tc.name, tc.qualifiers, got, tc.want)
		}
	}
}

func TestVendorProcessConfig(t *testing.T) {
	const store = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	for _, tc := range []struct {
		vendor  vendor
		simArgs []string
		env     map[string]string
	}{
		{vendorTiquo, nil, map[string]string{"UPSTREAM_VENDOR": "", "KOMERZA_STORE_ID": ""}},
		{vendorKomerza, []string{"-vendor", "komerza", "-store", store}, map[string]string{"UPSTREAM_VENDOR": "komerza", "KOMERZA_STORE_ID": store}},
		{vendorXtrakit, []string{"-vendor", "xtrakit"}, map[string]string{"UPSTREAM_VENDOR": "xtrakit", "KOMERZA_STORE_ID": ""}},
	} {
		if got := tc.vendor.simArgs(store); !slices.Equal(got, tc.simArgs) {
			t.Errorf("%s.simArgs: got %q; want %q", tc.vendor, got, tc.simArgs)
		}
		if got := tc.vendor.facadeEnv(store); !maps.Equal(got, tc.env) {
			t.Errorf("%s.facadeEnv: got %q; want %q", tc.vendor, got, tc.env)
		}
	}
	// Bench's own environment does not leak another vendor into a Tiquo
	// facade: the variables are overridden with empty values.
	got := withEnv([]string{"UPSTREAM_VENDOR=komerza", "KOMERZA_STORE_ID=" + store, "PATH=/bin"}, vendorTiquo.facadeEnv(store))
	slices.Sort(got)
	if want := []string{"KOMERZA_STORE_ID=", "PATH=/bin", "UPSTREAM_VENDOR="}; !slices.Equal(got, want) {
		t.Errorf("Tiquo facade environment: got %q; want %q", got, want)
	}
}

func TestPageQuery(t *testing.T) {
	for _, tc := range []struct {
		vendor vendor
		want   string
	}{
		{vendorTiquo, `{ customers(first: 50) { nodes { id displayName email marketingOptIn } } }`},
		{vendorKomerza, `{ customers(first: 50) { nodes { id displayName email balance } } }`},
		{vendorXtrakit, `{ customers(first: 50) { nodes { id displayName email groups { id name } } } }`},
	} {
		got := pageQuery(tc.vendor)
		if got != tc.want {
			t.Errorf("pageQuery(%s): got %s; want %s", tc.vendor, got, tc.want)
		}
		if field := detailField(tc.vendor); !strings.Contains(got, " "+field+" ") {
			t.Errorf("pageQuery(%s): got %s; want it to ask for the detail field %s", tc.vendor, got, field)
		}
	}
}

// TestQueriesMatchTheSchema validates every document the workloads send
// against the facade's schema.
func TestQueriesMatchTheSchema(t *testing.T) {
	src, err := os.ReadFile("../../schema.graphqls")
	if err != nil {
		t.Skipf("no schema: %v", err)
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	if gerr != nil {
		t.Fatalf("schema: %v", gerr)
	}
	docs := map[string]string{
		"typename":  queryTypename,
		"by email":  queryByEmail,
		"full page": queryFullPage,
		"W3":        w3Query([]simCustomer{{Number: "CUST-000001", Email: "a@b.c", Phone: "+15554567890"}}),
	}
	for _, v := range vendors {
		docs["W2 "+string(v)] = pageQuery(v)
	}
	for name, q := range docs {
		if _, errs := gqlparser.LoadQueryWithRules(schema, q, nil); errs != nil {
			t.Errorf("%s: got %v; want a valid query: %s", name, errs, q)
		}
	}
}

func TestDecodeSimCustomers(t *testing.T) {
	const list = `[
		{"id":"k1","email":"john@example.com","phone":"+15554567890","customerNumber":"CUST-000001","name":"John Doe"},
		{"id":"k2","email":null,"phone":"+15550000002","customerNumber":"CUST-000002","name":null},
		{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","email":"k@example.com","phone":null,"customerNumber":null,"name":null},
		{"id":"4","email":"x@example.com","phone":"+233 24 456 7890","customerNumber":null,"name":"Ama"}
	]`
	all := []simCustomer{
		{Number: "CUST-000001", Email: "john@example.com", Phone: "+15554567890"},
		{Number: "CUST-000002", Phone: "+15550000002"},
		{Email: "k@example.com"},
		{Email: "x@example.com", Phone: "+233 24 456 7890"},
	}
	for _, tc := range []struct {
		total, withEmail int
		want             []simCustomer
	}{
		{1, 0, all[:1]},
		{2, 0, all[:2]},
		{1, 2, all[:3]}, // the second one has no email
		{2, 3, all},
		{10, 0, all}, // to the end
		{0, 10, all},
	} {
		got, err := decodeSimCustomers(strings.NewReader(list), tc.total, tc.withEmail)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("decodeSimCustomers(total %d, withEmail %d): got %+v, %v; want %+v", tc.total, tc.withEmail, got, err, tc.want)
		}
	}
	for _, bad := range []string{`{"error":"x"}`, `[{"email":1}]`, ``} {
		if got, err := decodeSimCustomers(strings.NewReader(bad), 1, 1); err == nil {
			t.Errorf("decodeSimCustomers(%q): got %+v, no error; want an error", bad, got)
		}
	}
}

func TestVendorNote(t *testing.T) {
	for _, tc := range []struct {
		vendor vendor
		want   []string
	}{
		{vendorKomerza, []string{"Vendor: komerza (store " + defaultKomerzaStore + ")", "UPSTREAM_VENDOR=komerza", "W0, W1-warm, W1-cold, W2 have variants", "W3, W4, W5, B-direct, B-proxy are Tiquo's only", "detail field is balance"}},
		{vendorXtrakit, []string{"Vendor: xtrakit:", "detail field is groups", "W1-cold's upstream calls are list calls"}},
	} {
		got := vendorNote(tc.vendor, defaultKomerzaStore)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("vendorNote(%s): got %q; want it to contain %q", tc.vendor, got, w)
			}
		}
	}
}
