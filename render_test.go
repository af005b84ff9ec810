package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestDirectRenderIsGQLGens runs the same queries, in the same order,
// through two facades over the same three vendors' simulators, one with
// the direct renderer (the default) and one with DIRECT_RENDER=false, each
// with a cache of its own, and requires byte-identical data and errors
// from both: every field of every vendor's records, lookups of every kind,
// pages and their cursors, filters, fragments and directives, bad input,
// and fields whose detail the upstream failed to return.
func TestDirectRenderIsGQLGens(t *testing.T) {
	// No breaker: the failures injected below would open it for the cases
	// after them.
	direct := newMultiStackWith(t, multiOptions{customers: 30, vendors: []string{"tiquo", "komerza", "xtrakit"}, env: map[string]string{"BREAKER_FAILURES": "0"}})
	// The same namespace, so that both sign cursors alike, in another
	// Redis database, so that each caches on its own.
	gqlgen := direct.twin(map[string]string{"DIRECT_RENDER": "false", "REDIS_URL": "redis://" + direct.redis + "/9"})
	const every = `__typename id vendor customerNumber firstName lastName displayName email
	  emails { address isPrimary } phone phones { number isPrimary } profilePhoto whatsapp status vendorStatus
	  source marketingOptIn smsOptIn dateOfBirth address { line1 line2 city state postalCode country } tags notes
	  preferredLocationId companyId loyaltyPoints totalOrders totalSpent averageOrderValue lifetimeValue
	  lastOrderAt lastActivityAt createdAt updatedAt vendorRecord balance ipAddress
	  subscriptions { id productId startsAt expiresAt createdAt }
	  supportTickets { id subject status createdAt messages { id author message createdAt } }
	  affiliate { id enabled link balance returnPercentage percentageOff createdAt }
	  groups { id name description }`
	// What the detail read alone returns, so that a failed read shows.
	const detail = `id marketingOptIn tags address { city } notes loyaltyPoints balance subscriptions { id } groups { id }`

	type simCustomer struct{ ID, Email, Phone, CustomerNumber string }
	rendered := func(m *multiStack) float64 {
		s := &stack{t: t, url: m.url}
		return s.metric(`customergraph_graphql_root_fields_total{by="render"}`)
	}
	before := rendered(direct)
	for _, vendor := range []string{"tiquo", "komerza", "xtrakit"} {
		var cs []simCustomer
		direct.tenants[vendor].get("/__sim/customers", &cs)
		c0, c1 := cs[0], cs[1]
		// Only Tiquo reads a detail apart from the list.
		failing := ""
		if vendor == "tiquo" {
			failing = "some"
		}
		cases := []struct {
			name, query string
			vars        map[string]any
			faults      string // the simulator's, while the query runs
			errors      string // "none", "some", or "" for what the vendor makes of it
		}{
			// First, before anything is cached.
			{"a detail read that fails", `query($e: String) { customer(email: $e) { ` + detail + ` } }`, map[string]any{"e": cs[5].Email}, `{"status": 503, "routes": ["get"]}`, failing},
			{"a page whose details fail", `{ customers(first: 12) { nodes { ` + detail + ` } } }`, nil, `{"status": 503, "routes": ["get"]}`, failing},
			{"a page with every field", `{ customers(first: 20) { nodes { ` + every + ` } } }`, nil, "", "none"},
			{"the same page again, cached", `{ customers(first: 20) { nodes { ` + every + ` } } }`, nil, "", "none"},
			{"edges, cursors and page info", `{ customers(first: 3) { edges { cursor node { id email } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil, "", "none"},
			{"lookups of every kind", `query($e: String!, $id: ID!) { a: customer(email: $e) { ` + every + ` } b: node(id: $id) { __typename id ... on Customer { displayName } } c: customerByIdentifier(identifier: $e) { id email } d: customer(id: $id) { ...f } } fragment f on Customer { id phones { number } }`,
				map[string]any{"e": c0.Email, "id": c0.ID}, "", "none"},
			{"by phone and customer number", `query($p: String, $n: String) { p: customer(phone: $p) { id phone } n: customer(customerNumber: $n) { id customerNumber } }`,
				map[string]any{"p": c1.Phone, "n": c1.CustomerNumber}, "", ""},
			{"a search and a status", `{ customers(first: 5, search: "a", status: ACTIVE) { nodes { id status displayName } } }`, nil, "", ""},
			{"a parameter filter", `{ customers(first: 5, parameter: {id: "system_marketing_opt_in", value: "true"}) { edges { parameterValue node { id } } } }`, nil, "", ""},
			{"a group", `{ customers(first: 5, group: "1") { nodes { id groups { id name } } } }`, nil, "", ""},
			{"directives and aliases", `query($y: Boolean!) { customers(first: 4) { n: nodes { x: id id @skip(if: $y) email @include(if: $y) ... on Customer @include(if: false) { phone } } } }`, map[string]any{"y": true}, "", "none"},
			{"bad input", `{ a: customers(first: 0) { nodes { id } } b: customer(email: "not an email") { id } c: customer(id: "?") { id } }`, nil, "", "some"},
			{"not found", `query($e: String) { customer(email: $e) { id } }`, map[string]any{"e": "nobody-" + vendor + "@example.com"}, "", "none"},
		}
		for _, tc := range cases {
			t.Run(vendor+"/"+tc.name, func(t *testing.T) {
				if tc.faults != "" {
					direct.tenants[vendor].faults(tc.faults)
					defer direct.tenants[vendor].faults("")
				}
				a := rawPost(t, direct, vendor, tc.query, tc.vars)
				b := rawPost(t, gqlgen, vendor, tc.query, tc.vars)
				if !bytes.Equal(a["data"], b["data"]) {
					t.Errorf("data differ\nrendered: %s\ngqlgen:   %s", a["data"], b["data"])
				}
				// gqlgen reports the errors of a list's elements in the
				// order its goroutines meet them.
				if ae, be := sortedErrors(t, a["errors"]), sortedErrors(t, b["errors"]); !slices.Equal(ae, be) {
					t.Errorf("errors differ\nrendered: %s\ngqlgen:   %s", ae, be)
					for name, m := range map[string]*multiStack{"rendered": direct, "gqlgen": gqlgen} {
						for _, line := range strings.Split(m.logs.String(), "\n") {
							if strings.Contains(line, "unexpected resolver error") || strings.Contains(line, "panic") {
								t.Logf("%s facade: %s", name, line)
							}
						}
					}
				}
				if a["data"] == nil {
					t.Errorf("no data: %s", a["errors"])
				}
				if (tc.errors == "some" && a["errors"] == nil) || (tc.errors == "none" && a["errors"] != nil) {
					t.Errorf("errors: %s; want %s", a["errors"], tc.errors)
				}
			})
		}
	}
	if got := rendered(direct) - before; got < 20 {
		t.Errorf("the renderer wrote %v root fields; want most of them", got)
	}
	if got := rendered(gqlgen); got != 0 {
		t.Errorf("with DIRECT_RENDER=false the renderer wrote %v root fields; want 0", got)
	}
}

// sortedErrors returns the errors of a response, each as written, sorted.
func sortedErrors(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	if raw == nil {
		return nil
	}
	var errs []json.RawMessage
	if err := json.Unmarshal(raw, &errs); err != nil {
		t.Fatalf("errors %s: %v", raw, err)
	}
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = string(e)
	}
	slices.Sort(out)
	return out
}

// rawPost posts query as vendor's client and returns the top-level members
// of the response as they were written.
func rawPost(t *testing.T, m *multiStack, vendor, query string, vars map[string]any) map[string]json.RawMessage {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, m.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+m.tenants[vendor].clientKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r map[string]json.RawMessage
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response %d is not JSON: %s", resp.StatusCode, raw)
	}
	if strings.Contains(string(raw), "internal system error") {
		t.Errorf("an internal error: %s", raw)
	}
	return r
}
