package komerza

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"testing"

	"customergraph/internal/sim/komerzasim"
)

// simPage returns the simulator's list response body for a page of size
// customers, or its search response for query when query is not empty.
func simPage(tb testing.TB, size int, query string) []byte {
	path := "/stores/" + komerzasim.DefaultStore + "/customers"
	if query != "" {
		path += "/search/" + query
	}
	return simBody(tb, path+"?Page=1&PageSize="+strconv.Itoa(size))
}

// simBody returns the body of the simulator's 200 answer to a GET of path.
func simBody(tb testing.TB, path string) []byte {
	tb.Helper()
	srv := httptest.NewServer(komerzasim.New(komerzasim.Options{Customers: 200}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+komerzasim.DefaultAPIKey)
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

func stdClient(tb testing.TB) *Client {
	tb.Helper()
	c, err := New("http://127.0.0.1:1", "key", komerzasim.DefaultStore, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// sameAsStd fails unless fast gives up on body or gives what std, the
// encoding/json decoding, gives; it reports whether fast took the body.
func sameAsStd[T any](t *testing.T, body []byte, fast func([]byte) (T, bool), std func([]byte) (T, error)) bool {
	t.Helper()
	got, ok := fast(body)
	if !ok {
		return false
	}
	want, err := std(body)
	switch {
	case err != nil:
		t.Fatalf("the fast reader took %q, which encoding/json refuses: %v", body, err)
	case !reflect.DeepEqual(got, want):
		t.Fatalf("the fast reader read %q as\n  %+v\nwant encoding/json's\n  %+v", body, got, want)
	}
	return true
}

// samePage is sameAsStd for decodePage.
func samePage(t *testing.T, body []byte) bool {
	t.Helper()
	c := stdClient(t)
	return sameAsStd(t, body, decodePage, func(b []byte) (*Page, error) { return c.decodePageStd(opList, 200, b) })
}

// TestPageReaderTakesTheSimulatorsBodies: the fast reader, not the
// fallback, reads the pages the upstream sends.
func TestPageReaderTakesTheSimulatorsBodies(t *testing.T) {
	for _, tc := range []struct {
		size  int
		query string
	}{{1, ""}, {50, ""}, {100, ""}, {20, "example"}} {
		body := simPage(t, tc.size, tc.query)
		if !samePage(t, body) {
			t.Fatalf("page of %d (search %q): the fast reader gave up on the simulator's body", tc.size, tc.query)
		}
		if p, _ := decodePage(body); len(p.Customers) == 0 || p.Customers[0].ID == "" || len(p.Customers[0].Raw) == 0 {
			t.Errorf("page of %d (search %q): got %+v; want customers with IDs and raw objects", tc.size, tc.query, p)
		}
	}
}

func TestDecodePage(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		fast       bool // whether the fast reader takes it
	}{
		{"page", `{"success":true,"message":null,"code":"OK","pages":3,"data":[{"id":"a","dateCreated":"2024-01-02T03:04:05.678Z","emailAddress":"a@x","status":"VIP","isAffiliate":false,"totalSpend":1.5,"averageSpend":0.75,"totalOrders":2,"isBlocked":null}]}`, true},
		{"nulls", `{"success":null,"pages":null,"data":[null,{"id":null,"dateCreated":null,"status":null,"totalSpend":null}]}`, true},
		{"null data", `{"success":true,"data":null}`, true},
		{"empty data", `{"data":[]}`, true},
		{"white space", " {\n \"data\" : [ { \"id\" : \"a\" , \"x\" : [ 1 ] } ] } \n", true},
		{"data twice", `{"data":[{"id":"a"}],"data":[{"id":"b"},{"id":"c"}]}`, true},
		{"keys twice", `{"data":[{"id":"a","status":"x","status":null,"totalOrders":1,"totalOrders":2}],"pages":1,"pages":null}`, true},
		{"zoneless time", `{"data":[{"dateCreated":"2023-11-07T05:31:56.1234567"}]}`, true},
		{"unknown keys", `{"meta":{"a":[1,{"b":null}]},"data":[{"id":"a","externalIntegrations":{"k":"v"}}]}`, true},
		{"escapes", `{"data":[{"id":"a\"b\u00e9","emailAddress":"\ud83d\ude00"}]}`, true},
		{"no data", `{"success":true}`, false},
		{"failure", `{"success":false,"message":"nope","code":"E"}`, false},
		{"failure then success", `{"success":false,"success":true,"data":[]}`, true},
		{"data not a list", `{"data":{"id":"a"}}`, false},
		{"element not an object", `{"data":["a"]}`, false},
		{"case-folded key", `{"Data":[{"ID":"a"}]}`, false},
		{"fraction into pages", `{"pages":1.5,"data":[]}`, false},
		{"number as message", `{"message":1,"data":[]}`, false},
		{"bad time", `{"data":[{"dateCreated":"yesterday"}]}`, false},
		{"number as time", `{"data":[{"dateCreated":1}]}`, false},
		{"trailing garbage", `{"data":[]} x`, false},
		{"truncated", `{"data":[{"id":"a"`, false},
		{"top-level null", `null`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := samePage(t, []byte(tc.body)); got != tc.fast {
				t.Errorf("fast reader took it: %v; want %v", got, tc.fast)
			}
		})
	}
}

// FuzzDecodePage: whatever the body, decodePage gives up or gives what
// encoding/json gives.
func FuzzDecodePage(f *testing.F) {
	f.Add(simPage(f, 3, ""))
	f.Add([]byte(`{"success":true,"pages":2,"data":[null,{"id":"a\u00e9\ud800","dateCreated":"2023-11-07 05:31:56","status":null,"totalOrders":-1}]}`))
	f.Add([]byte(`{"success":false,"message":"m"}`))
	f.Add([]byte(`{"data":[{"id":"a"}],"data":null}`))
	f.Fuzz(func(t *testing.T, body []byte) { samePage(t, body) })
}

// BenchmarkDecodePage decodes a 50-customer page, with the fast reader and
// with encoding/json.
func BenchmarkDecodePage(b *testing.B) {
	body := simPage(b, 50, "")
	b.Run("reader", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodePage(body); !ok {
				b.Fatal("gave up")
			}
		}
	})
	c := stdClient(b)
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.decodePageStd(opList, 200, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
