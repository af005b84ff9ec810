package tiquo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"customergraph/internal/jsonread"
	"customergraph/internal/sim/tiquosim"
)

// simList returns the simulator's list response body for limit customers.
func simList(tb testing.TB, limit int) []byte {
	return simBody(tb, "/customers?limit="+strconv.Itoa(limit))
}

// simGet returns the simulator's GET response body for the customer id
// names.
func simGet(tb testing.TB, id string) []byte { return simBody(tb, "/customers/"+id) }

// simBody returns the body of the simulator's 200 answer to a GET of path.
func simBody(tb testing.TB, path string) []byte {
	tb.Helper()
	srv := httptest.NewServer(tiquosim.New(tiquosim.Options{Customers: 200}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tiquosim.DefaultAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: HTTP %d: %s", path, resp.StatusCode, body)
	}
	return body
}

// sameAsJSON fails unless decode gives body's result as json.Unmarshal
// does, and its error (its text too, when exact is set).
func sameAsJSON[E any](t *testing.T, body []byte, decode func([]byte, *E) error, exact bool) {
	t.Helper()
	var got, want E
	gotErr := decode(body, &got)
	wantErr := json.Unmarshal(body, &want)
	if (gotErr == nil) != (wantErr == nil) || exact && gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("got error %v; want encoding/json's %v", gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v;\nwant encoding/json's %+v", got, want)
	}
}

// jsonNames returns the JSON names of t's fields.
func jsonNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// TestListKeysAreTheStructs: the fast reader's key lists are the structs'
// JSON names, so a field added to Customer cannot be skipped by it.
func TestListKeysAreTheStructs(t *testing.T) {
	var env envelope[[]Customer]
	for _, tc := range []struct {
		typ  reflect.Type
		keys []string
	}{
		{reflect.TypeFor[Customer](), customerKeys},
		{reflect.TypeFor[Email](), emailKeys},
		{reflect.TypeFor[Phone](), phoneKeys},
		{reflect.TypeFor[Address](), addressKeys},
		{reflect.TypeOf(env), envelopeKeys},
		{reflect.TypeOf(env.Pagination).Elem(), paginationKeys},
	} {
		if got, want := slices.Sorted(slices.Values(tc.keys)), jsonNames(tc.typ); !slices.Equal(got, want) {
			t.Errorf("%s: the reader knows %v; want the struct's %v", tc.typ, got, want)
		}
	}
}

// TestListReaderTakesTheSimulatorsBodies: the fast reader, not the
// fallback, reads what the upstream sends.
func TestListReaderTakesTheSimulatorsBodies(t *testing.T) {
	for _, limit := range []int{1, 50, 100} {
		body := simList(t, limit)
		var fast, std envelope[[]Customer]
		r := listReader{Reader: jsonread.New(body)}
		if !r.envelope(&fast) {
			t.Fatalf("limit %d: the fast reader gave up on the simulator's body", limit)
		}
		if err := json.Unmarshal(body, &std); err != nil {
			t.Fatal(err)
		}
		if len(fast.Data) != limit || !reflect.DeepEqual(fast, std) {
			t.Errorf("limit %d: got %d customers, equal to encoding/json's: %v; want %d, equal",
				limit, len(fast.Data), reflect.DeepEqual(fast, std), limit)
		}
	}
}

func TestDecodeList(t *testing.T) {
	for _, tc := range []struct {
		name, body string
	}{
		{"escapes", `{"success":true,"data":[{"id":"a\"b\\c\/d\u00e9\n","displayName":"\ud83d\ude00 \ud800x \udc00","tags":["\t",null,"x"]}]}`},
		{"invalid UTF-8", "{\"data\":[{\"id\":\"a\xffb\xc3\"}]}"},
		{"nulls", `{"success":null,"data":[null,{"id":null,"firstName":null,"address":null,"emails":null,"createdAt":null,"lastOrderDate":null,"status":null}],"error":null,"pagination":null}`},
		{"duplicate keys merge", `{"data":[{"emails":[{"address":"a","isPrimary":true},{"address":"b"}],"emails":[{"address":"c"}],"address":{"city":"x"},"address":{"line1":"y"}}],"data":[{"id":"z"}]}`},
		{"empty after full", `{"data":[{"tags":["a","b"],"tags":[],"tags":["c"]}]}`},
		{"numbers", `{"data":[{"loyaltyPoints":-0,"totalOrders":12,"totalSpent":1.5e2,"averageOrderValue":-0.25,"lifetimeValue":0,"createdAt":1700000000000,"updatedAt":1.7e12}],"pagination":{"hasMore":true,"nextCursor":"c","pageSize":50}}`},
		{"time as a string", `{"data":[{"createdAt":"2024-01-02T03:04:05.678Z","lastActivityDate":" "}]}`},
		{"unknown keys", `{"meta":{"a":[1,{"b":null}]},"data":[{"parameters":[{"id":"p"}],"extra":true}]}`},
		{"white space", " \t\r\n{ \"data\" : [ { \"id\" : \"a\" } ] } \n"},
		{"case-folded key", `{"data":[{"ID":"a","Emails":[]}]}`},
		{"escaped key", `{"data":[{"\u0069d":"a"}]}`},
		{"fraction into an int", `{"data":[{"totalOrders":1.0}]}`},
		{"string into a bool", `{"data":[{"marketingOptIn":"true"}]}`},
		{"control character", "{\"data\":[{\"id\":\"a\x01\"}]}"},
		{"trailing garbage", `{"data":[]} x`},
		{"bad literal", `{"data":[{"smsOptIn":tru}]}`},
		{"bad number", `{"data":[{"totalOrders":01}]}`},
		{"float out of range", `{"data":[{"totalSpent":1e999}]}`},
		{"bad time", `{"data":[{"createdAt":"yesterday"}]}`},
		{"top-level null", `null`},
		{"deep", `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,"data":[]}`},
		{"truncated", `{"data":[{"id":"a"`},
	} {
		t.Run(tc.name, func(t *testing.T) { sameAsJSON(t, []byte(tc.body), decodeList, true) })
	}
}

// FuzzDecodeList: whatever the body, decodeList's result and error are
// encoding/json's.
func FuzzDecodeList(f *testing.F) {
	f.Add(simList(f, 2))
	f.Add([]byte(`{"success":true,"data":[{"id":"a\u00e9\ud800","createdAt":1.5e3,"emails":null,"tags":["x"],"address":{"city":"c"}}],"pagination":{"hasMore":false}}`))
	f.Add([]byte(`{"success":false,"error":{"code":"x","message":"m"}}`))
	f.Add([]byte(`{"data":[{"emails":[{"address":"a","isPrimary":true}],"emails":[{"address":"b"}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) { sameAsJSON(t, body, decodeList, false) })
}

// BenchmarkDecodeList decodes a 50-customer page, with the fast reader and
// with encoding/json.
func BenchmarkDecodeList(b *testing.B) {
	body := simList(b, 50)
	b.Run("reader", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var env envelope[[]Customer]
			if err := decodeList(body, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var env envelope[[]Customer]
			if err := json.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestOneReaderTakesTheSimulatorsBodies: the fast reader, not the
// fallback, reads a customer's GET response.
func TestOneReaderTakesTheSimulatorsBodies(t *testing.T) {
	for _, id := range []string{"john@example.com", "CUST-000002", "CUST-000150"} {
		body := simGet(t, id)
		var fast, std envelope[*Customer]
		r := listReader{Reader: jsonread.New(body)}
		if !r.customerEnvelope(&fast) {
			t.Fatalf("%s: the fast reader gave up on the simulator's body", id)
		}
		if err := json.Unmarshal(body, &std); err != nil {
			t.Fatal(err)
		}
		if fast.Data == nil || fast.Data.ID == "" || !reflect.DeepEqual(fast, std) {
			t.Errorf("%s: got %+v; want encoding/json's %+v", id, fast.Data, std.Data)
		}
	}
}

func TestDecodeOne(t *testing.T) {
	for _, tc := range []struct {
		name, body string
	}{
		{"customer", `{"success":true,"data":{"id":"a","customerNumber":"CUST-1","emails":[{"address":"a@x","isPrimary":true}],"address":{"city":"c"},"tags":["t"],"createdAt":1700000000000}}`},
		{"null data", `{"success":true,"data":null}`},
		{"no data", `{"success":true}`},
		{"data twice merges", `{"data":{"id":"a","tags":["x"]},"data":{"firstName":"b"}}`},
		{"null after data", `{"data":{"id":"a"},"data":null}`},
		{"data after null", `{"data":null,"data":{"id":"a"}}`},
		{"failure", `{"success":false,"error":{"code":"NOT_FOUND","message":"m"}}`},
		{"list where one is due", `{"data":[{"id":"a"}]}`},
		{"string data", `{"data":"a"}`},
		{"case-folded key", `{"Data":{"ID":"a"}}`},
		{"escapes", `{"data":{"id":"a\"b\\c\u00e9","displayName":"\ud83d\ude00 \ud800x"}}`},
		{"unknown keys", `{"meta":{"a":[1,{"b":null}]},"data":{"parameters":[{"id":"p"}],"extra":true}}`},
		{"bad time", `{"data":{"createdAt":"yesterday"}}`},
		{"trailing garbage", `{"data":{}} x`},
		{"truncated", `{"data":{"id":"a"`},
		{"top-level null", `null`},
	} {
		t.Run(tc.name, func(t *testing.T) { sameAsJSON(t, []byte(tc.body), decodeOne, true) })
	}
}

// FuzzDecodeOne: whatever the body, decodeOne's result and error are
// encoding/json's.
func FuzzDecodeOne(f *testing.F) {
	f.Add(simGet(f, "john@example.com"))
	f.Add([]byte(`{"success":true,"data":{"id":"a\u00e9\ud800","createdAt":1.5e3,"emails":null,"tags":["x"],"address":{"city":"c"}}}`))
	f.Add([]byte(`{"success":false,"error":{"code":"x","message":"m"}}`))
	f.Add([]byte(`{"data":{"emails":[{"address":"a","isPrimary":true}]},"data":{"emails":[{"address":"b"}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) { sameAsJSON(t, body, decodeOne, false) })
}

// BenchmarkDecodeOne decodes a customer's GET response, with the fast
// reader and with encoding/json.
func BenchmarkDecodeOne(b *testing.B) {
	body := simGet(b, "john@example.com")
	b.Run("reader", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var env envelope[*Customer]
			if err := decodeOne(body, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var env envelope[*Customer]
			if err := json.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
}
