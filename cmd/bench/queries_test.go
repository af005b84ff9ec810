package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestPhoneSpellings(t *testing.T) {
	for _, tc := range []struct{ in, pretty, zz string }{
		{"+15554567890", "+1 (555) 456-7890", "0015554567890"},
		{"+442079460958", "+44 (207) 946-0958", "00442079460958"},
		{"+4915123456789", "+49 (151) 234-56789", "004915123456789"},
	} {
		p, z, ok := phoneSpellings(tc.in)
		if !ok || p != tc.pretty || z != tc.zz {
			t.Errorf("phoneSpellings(%q) = %q, %q, %v; want %q, %q", tc.in, p, z, ok, tc.pretty, tc.zz)
		}
	}
	for _, bad := range []string{"", "15554567890", "+1555", "+1555abc7890"} {
		if _, _, ok := phoneSpellings(bad); ok {
			t.Errorf("phoneSpellings(%q) ok", bad)
		}
	}
}

func TestW3Query(t *testing.T) {
	cs := []simCustomer{
		{Number: "CUST-000001", Email: "John@example.com", Phone: "+15554567890"}, // email
		{Number: "CUST-000002", Email: "b@example.org", Phone: "+442079460958"},   // phone
		{Number: "CUST-000003", Email: "c@example.net", Phone: "+15550000003"},    // number
		{Number: "CUST-000004", Phone: "+15550000004"},                            // email, lacking: number
		{Number: "CUST-000005", Email: "e@example.com"},                           // phone, lacking: number
	}
	q := w3Query(cs)
	args := regexp.MustCompile(`a(\d+): customerByIdentifier\(identifier: ("(?:[^"\\]|\\.)*")\)`).FindAllStringSubmatch(q, -1)
	var got []string
	for i, a := range args {
		if a[1] != fmt.Sprint(i) {
			t.Fatalf("alias %s at position %d", a[1], i)
		}
		var s string
		if err := json.Unmarshal([]byte(a[2]), &s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	want := []string{
		"JOHN@EXAMPLE.COM", "  john@example.com ",
		"+44 (207) 946-0958", "00442079460958",
		"cust-000003", "CUST-000003",
		"cust-000004", "CUST-000004",
		"cust-000005", "CUST-000005",
	}
	if !slices.Equal(got, want) {
		t.Errorf("identifiers:\n got %q\nwant %q", got, want)
	}
	if strings.Count(q, "{ "+customerFields+" }") != 10 {
		t.Errorf("every lookup should ask for %q:\n%s", customerFields, q)
	}
}

func TestW3Check(t *testing.T) {
	body := `{"data":{"a0":{"id":"x"},"a1":{"id":"x"},"a2":{"id":"y"},"a3":null,"a4":{"id":"z"},"a5":{"id":"w"}}}`
	notes := w3Check(3)([]byte(body))
	if strings.Join(notes, "; ") != "1 of 6 lookups found nobody; 1 of 3 pairs found two different customers" {
		t.Errorf("notes = %q", notes)
	}
	if notes := w3Check(1)([]byte(`{"data":{"a0":{"id":"x"},"a1":{"id":"x"}}}`)); len(notes) != 0 {
		t.Errorf("a clean response has notes %q", notes)
	}
}

func TestCountNodes(t *testing.T) {
	n, err := countNodes([]byte(`{"data":{"customers":{"nodes":[{"id":"a"},{"id":"b"}]}}}`))
	if err != nil || n != 2 {
		t.Errorf("countNodes = %d, %v", n, err)
	}
}

func TestGQLBody(t *testing.T) {
	if got := string(gqlBody(queryByEmail, map[string]any{"e": "a@b.c"})); got != `{"query":"`+queryByEmail+`","variables":{"e":"a@b.c"}}` {
		t.Errorf("gqlBody = %s", got)
	}
	if got := string(gqlBody(queryTypename, nil)); got != `{"query":"{ __typename }"}` {
		t.Errorf("gqlBody without variables = %s", got)
	}
}
