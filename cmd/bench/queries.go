package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// GraphQL documents of the workloads.
const (
	queryTypename  = `{ __typename }`
	customerFields = `id customerNumber displayName email phone status`
	queryByEmail   = `query($e: String!) { customer(email: $e) { ` + customerFields + ` } }`
	queryPage      = `{ customers(first: 50) { nodes { id displayName email marketingOptIn } } }`
	queryFullPage  = `{ customers(first: 100) { nodes { id customerNumber firstName lastName displayName ` +
		`email emails { address isPrimary } phone phones { number isPrimary } profilePhoto status source ` +
		`marketingOptIn smsOptIn dateOfBirth address { line1 line2 city state postalCode country } tags notes ` +
		`preferredLocationId companyId loyaltyPoints totalOrders totalSpent averageOrderValue lifetimeValue ` +
		`lastOrderAt lastActivityAt createdAt updatedAt } } }`
)

// W2's documents for Komerza and Xtrakit (see pageQuery): the detail field
// is one their lists lack.
const (
	queryPageKomerza = `{ customers(first: 50) { nodes { id displayName email balance } } }`
	queryPageXtrakit = `{ customers(first: 50) { nodes { id displayName email groups { id name } } } }`
)

// gqlBody returns the JSON body of a GraphQL request.
func gqlBody(query string, vars map[string]any) []byte {
	b, err := json.Marshal(struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables,omitempty"`
	}{query, vars})
	if err != nil {
		panic(err) // strings and maps of strings always marshal
	}
	return b
}

// byEmailBodies returns a customer(email:) request body per customer.
func byEmailBodies(cs []simCustomer) [][]byte {
	bodies := make([][]byte, len(cs))
	for i, c := range cs {
		bodies[i] = gqlBody(queryByEmail, map[string]any{"e": c.Email})
	}
	return bodies
}

// countNodes returns the number of nodes of a customers connection in a
// GraphQL response.
func countNodes(body []byte) (int, error) {
	var r struct {
		Data struct {
			Customers struct {
				Nodes []json.RawMessage `json:"nodes"`
			} `json:"customers"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return 0, err
	}
	return len(r.Data.Customers.Nodes), nil
}

// w3Query returns W3's document: for each customer, two aliased
// customerByIdentifier lookups of one of its identifiers in two spellings
// (see w3Spellings), so 2×len(cs) lookups of len(cs) customers.
func w3Query(cs []simCustomer) string {
	var q strings.Builder
	q.WriteString("{")
	for i, c := range cs {
		x, y := w3Spellings(c, i)
		fmt.Fprintf(&q, " a%d: customerByIdentifier(identifier: %s) { %s }", 2*i, gqlString(x), customerFields)
		fmt.Fprintf(&q, " a%d: customerByIdentifier(identifier: %s) { %s }", 2*i+1, gqlString(y), customerFields)
	}
	q.WriteString(" }")
	return q.String()
}

// w3Spellings returns two spellings of one identifier of c, rotating with
// i between the email (upper-cased; lower-cased with spaces around), the
// phone ("+1 (555) 123-4567" style; 00 and the digits) and the customer
// number (lower-case; upper-case), skipping what c lacks.
func w3Spellings(c simCustomer, i int) (string, string) {
	switch i % 3 {
	case 0:
		if c.Email != "" {
			return strings.ToUpper(c.Email), "  " + strings.ToLower(c.Email) + " "
		}
	case 1:
		if p, z, ok := phoneSpellings(c.Phone); ok {
			return p, z
		}
	}
	return strings.ToLower(c.Number), strings.ToUpper(c.Number)
}

// phoneSpellings returns an E.164 number written as "+1 (555) 123-4567"
// (the country code, then groups of 3, 3 and the rest) and as 00 followed
// by its digits; ok is false when e164 is not a plausible E.164 number.
func phoneSpellings(e164 string) (pretty, zeroZero string, ok bool) {
	d, ok := strings.CutPrefix(e164, "+")
	if !ok || strings.Trim(d, "0123456789") != "" {
		return "", "", false
	}
	cc := 2 // e.g. 44, 49
	if strings.HasPrefix(d, "1") || strings.HasPrefix(d, "7") {
		cc = 1
	}
	if len(d) < cc+7 {
		return "", "", false
	}
	r := d[cc:]
	return fmt.Sprintf("+%s (%s) %s-%s", d[:cc], r[:3], r[3:6], r[6:]), "00" + d, true
}

// gqlString returns s as a GraphQL string literal. JSON's string escapes
// are GraphQL's.
func gqlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// w3Check returns notes on W3's response: lookups that found nobody, and
// pairs whose two spellings found different customers.
func w3Check(pairs int) func([]byte) []string {
	return func(body []byte) []string {
		var r struct {
			Data map[string]*struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return []string{"response does not decode: " + err.Error()}
		}
		nulls, split := 0, 0
		for i := range pairs {
			x, y := r.Data["a"+strconv.Itoa(2*i)], r.Data["a"+strconv.Itoa(2*i+1)]
			for _, c := range []*struct {
				ID string `json:"id"`
			}{x, y} {
				if c == nil {
					nulls++
				}
			}
			if x != nil && y != nil && x.ID != y.ID {
				split++
			}
		}
		var notes []string
		if nulls > 0 {
			notes = append(notes, fmt.Sprintf("%d of %d lookups found nobody", nulls, 2*pairs))
		}
		if split > 0 {
			notes = append(notes, fmt.Sprintf("%d of %d pairs found two different customers", split, pairs))
		}
		return notes
	}
}
