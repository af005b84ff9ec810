package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// How FuzzHTTP sends its input.
const (
	fuzzPOSTBody    = iota // the input is the POST body
	fuzzPOSTQuery          // the input is the query of a JSON POST body
	fuzzGETQuery           // the input is the query parameter of a GET
	fuzzGETRawQuery        // the input is a GET's whole query string
	fuzzModes
)

// FuzzHTTP sends arbitrary requests to the whole handler: the in-process
// simulator with its demo data, the in-memory cache, every limit at its
// default. Whatever comes in, the service answers JSON, never with a 5xx
// status, and never with INTERNAL_SERVER_ERROR: every way a request can
// be wrong is the client's, with its own code.
//
//	go test . -run '^$' -fuzz FuzzHTTP -fuzztime 60s
func FuzzHTTP(f *testing.F) {
	for _, s := range []struct {
		mode  uint8
		input string
	}{
		{fuzzPOSTBody, `{"query":"{ __typename }"}`},
		{fuzzPOSTBody, `{"query":"query($e: String) { customer(email: $e) { id email } }","variables":{"e":"john@example.com"}}`},
		{fuzzPOSTBody, `{"query":"{ customers(first: 2, after: \"x\") { edges { cursor } } }"}`},
		{fuzzPOSTBody, `{"query":"{ a: __typename }","operationName":"X","extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`},
		{fuzzPOSTBody, `{"query": `},
		{fuzzPOSTBody, `[]`},
		{fuzzPOSTBody, `{"variables":{"a":[1,{"b":null}]}}`},
		{fuzzPOSTQuery, `{ customer(customerNumber: "CUST-000001") { displayName emails { address } address { city } } }`},
		{fuzzPOSTQuery, `{ customerByIdentifier(identifier: "+1 (555) 456-7890") { id phones { number } } }`},
		{fuzzPOSTQuery, `{ customers(first: 3, status: ACTIVE, parameter: {name: "Loyalty Tier", value: "Gold"}) { edges { parameterValue node { id } } pageInfo { endCursor } } }`},
		{fuzzPOSTQuery, `{ node(id: "k1234567890abcdef") { id ... on Customer { email } } }`},
		{fuzzPOSTQuery, `mutation { updateCustomer(id: "k1234567890abcdef", input: {notes: "x", tags: ["a"], address: {city: "Berlin"}}) { customer { id } userErrors { field code } } }`},
		{fuzzPOSTQuery, `mutation { updateCustomer(id: "kzzzzzzzzzzzzzzzz", input: {email: "x"}) { userErrors { field message } } }`},
		{fuzzPOSTQuery, `{ customer(email: "not an email", phone: "1") { id } }`},
		{fuzzPOSTQuery, `{ customers(first: 100000) { nodes { id } } }`},
		{fuzzPOSTQuery, `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`},
		{fuzzPOSTQuery, `{ a { a { a { a { a { a { a { a { a { a { a } } } } } } } } } } }`},
		{fuzzPOSTQuery, `{ __typename @a @b @include(if: true) }`},
		{fuzzPOSTQuery, `{ __schema { types { name } } }`},
		{fuzzPOSTQuery, `{ customer(id: "k1234567890abcdef") { dateOfBirth lastOrderAt totalSpent } }`},
		{fuzzGETQuery, `{ customer(customerNumber: "CUST-000002") { id } }`},
		{fuzzGETQuery, `mutation { updateCustomer(id: "k1234567890abcdef", input: {}) { customer { id } } }`},
		{fuzzGETRawQuery, `query=%7B__typename%7D&variables=%7B%7D`},
		{fuzzGETRawQuery, `query=%zz`},
		{fuzzGETRawQuery, `variables=not-json&query={__typename}`},
	} {
		f.Add(s.mode, s.input)
	}
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"SIM_CUSTOMERS": "50", "LOG_LEVEL": "error"}[k]
	})
	if err != nil {
		f.Fatal(err)
	}
	a, err := newApp(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(a.Close)

	f.Fuzz(func(t *testing.T, mode uint8, input string) {
		var req *http.Request
		switch mode % fuzzModes {
		case fuzzPOSTBody:
			req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(input))
		case fuzzPOSTQuery:
			body, _ := json.Marshal(map[string]string{"query": input})
			req = httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		case fuzzGETQuery:
			req = httptest.NewRequest(http.MethodGet, "/graphql?"+url.Values{"query": {input}}.Encode(), nil)
		case fuzzGETRawQuery:
			req = httptest.NewRequest(http.MethodGet, "/graphql", nil)
			req.URL.RawQuery = input
		}
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)

		res := w.Result()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 500 {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
		var out struct {
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("status %d, body is not JSON (%v): %.300s", res.StatusCode, err, body)
		}
		for _, e := range out.Errors {
			code, _ := e.Extensions["code"].(string)
			if code == "INTERNAL_SERVER_ERROR" {
				t.Fatalf("status %d, an internal error: %s", res.StatusCode, body)
			}
			if code == "" {
				t.Fatalf("status %d, an error without a code: %s", res.StatusCode, body)
			}
		}
	})
}
