package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// sameParams checks that decodeParams either declines body or decodes it
// exactly as encoding/json does; it reports whether decodeParams took it.
func sameParams(t *testing.T, body string) bool {
	t.Helper()
	var got graphql.RawParams
	fast := decodeParams([]byte(body), &got)
	var want graphql.RawParams
	err := decodeParamsStd([]byte(body), &want)
	if !fast {
		if !reflect.DeepEqual(got, graphql.RawParams{}) {
			t.Errorf("%q: declined, but changed the params to %+v", body, got)
		}
		return false
	}
	if err != nil {
		t.Errorf("%q: decoded %+v where encoding/json fails: %v", body, got, err)
	} else if !reflect.DeepEqual(got, want) {
		t.Errorf("%q: decoded %#v; encoding/json %#v", body, got, want)
	}
	return true
}

func TestDecodeParams(t *testing.T) {
	for _, tc := range []struct {
		body string
		fast bool // decodeParams takes it
	}{
		{`{"query":"{ a }"}`, true},
		{` {"query":"query($e: String) { customer(email: $e) { id } }","variables":{"e":"a@example.com"}} ` + "\n", true},
		{`{"query":"{a}","operationName":"Op","variables":{"n":12,"f":-1.5e3,"b":true,"z":null,"l":[1,"x",[],{}],"o":{"k":{"d":false}}},"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`, true},
		{`{"query":null,"variables":null,"extensions":null,"operationName":null}`, true},
		{`{"variables":{}}`, true},
		{`{}`, true},
		{`{"query":"\u00e9\n\ud83d\ude00 \"q\"","variables":{"s":"\ud800 lone"}}`, true},
		{`{"query":"{a}","documentId":"x","other":[1,{"a":2}]}`, true},
		{`{"variables":{"k":1,"k":2}}`, true}, // within one object, the last wins, as with encoding/json
		{"{\"query\":\"bad \xff utf-8\"}", true},
		// Left to encoding/json:
		{`{"Query":"{a}"}`, false},                           // matched case-insensitively
		{`{"QUERY":"{a}","query":"{b}"}`, false},             // likewise
		{`{"variables":{"a":1},"variables":{"b":2}}`, false}, // merged
		{`{"query":"{a}","query":"{b}"}`, false},
		{`{"query":5}`, false},
		{`{"variables":"x"}`, false},
		{`{"variables":[1]}`, false},
		{`{"query":"{a}"} trailing`, false},
		{`{"query":"{a}"}{}`, false},
		{`{"query":"{a}"`, false},
		{`null`, false},
		{`[]`, false},
		{``, false},
		{`{"que\u0072y":"{a}"}`, false},
		{`{"variables":{"\u00e9":1}}`, false},
		{`{"variables":{"n":01}}`, false},
		{`{"variables":{"n":1.}}`, false},
		{`{"variables":{"t":tru}}`, false},
		{`{"variables":{"a":` + strings.Repeat(`[`, 100) + strings.Repeat(`]`, 100) + `}}`, false},
	} {
		if got := sameParams(t, tc.body); got != tc.fast {
			t.Errorf("%q: taken %v; want %v", tc.body, got, tc.fast)
		}
	}
}

func FuzzDecodeParams(f *testing.F) {
	for _, s := range []string{
		`{"query":"{ a }"}`,
		`{"query":"{a}","operationName":"Op","variables":{"n":12,"f":-1.5e3,"b":true,"z":null,"l":[1,"x",[],{}],"o":{"k":{"d":false}}},"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`,
		`{"variables":{"k":1,"k":2},"Query":"x"}`,
		`{"query":"\u00e9\n\ud83d\ude00"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		sameParams(t, body)
	})
}

func BenchmarkDecodeParams(b *testing.B) {
	body := []byte(`{"query":"query($n: String) { customer(customerNumber: $n) { id customerNumber displayName email phone status } }","variables":{"n":"CUST-000042"}}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p graphql.RawParams
			if !decodeParams(body, &p) {
				b.Fatal("declined")
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p graphql.RawParams
			if err := decodeParamsStd(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
