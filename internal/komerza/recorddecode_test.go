package komerza

import (
	"encoding/json"
	"net/url"
	"testing"

	"customergraph/internal/sim/komerzasim"
)

// sameRecord is sameAsStd for decodeRecord.
func sameRecord(t *testing.T, body []byte) bool {
	t.Helper()
	c := stdClient(t)
	return sameAsStd(t, body, decodeRecord, func(b []byte) (*Customer, error) { return c.decodeRecordStd(opGet, 200, b) })
}

// simRecords returns the simulator's GET bodies for every customer of a
// page, by ID and by email, and how many of them hold subscriptions,
// tickets and an affiliate.
func simRecords(tb testing.TB) (bodies [][]byte, subs, tickets, affiliates int) {
	tb.Helper()
	page, ok := decodePage(simPage(tb, 100, ""))
	if !ok {
		tb.Fatal("the page reader gave up on the simulator's page")
	}
	base := "/stores/" + komerzasim.DefaultStore + "/customers/"
	for i, ref := range page.Customers {
		path := base + ref.ID
		if i%2 == 1 {
			path = base + url.PathEscape(ref.EmailAddress) + "/email"
		}
		body := simBody(tb, path)
		bodies = append(bodies, body)
		var env struct{ Data Customer }
		if err := json.Unmarshal(body, &env); err != nil {
			tb.Fatal(err)
		}
		if len(env.Data.Subscriptions) > 0 {
			subs++
		}
		if len(env.Data.Tickets) > 0 {
			tickets++
		}
		if env.Data.Affiliate != nil {
			affiliates++
		}
	}
	return bodies, subs, tickets, affiliates
}

// TestRecordReaderTakesTheSimulatorsBodies: the fast reader, not the
// fallback, reads the customers the upstream sends, their subscriptions,
// tickets and affiliate accounts included.
func TestRecordReaderTakesTheSimulatorsBodies(t *testing.T) {
	bodies, subs, tickets, affiliates := simRecords(t)
	for _, body := range bodies {
		if !sameRecord(t, body) {
			t.Fatalf("the fast reader gave up on the simulator's body %s", body)
		}
	}
	if subs == 0 || tickets == 0 || affiliates == 0 {
		t.Errorf("of %d customers, %d with subscriptions, %d with tickets, %d with an affiliate; want some of each", len(bodies), subs, tickets, affiliates)
	}
}

func TestDecodeRecord(t *testing.T) {
	const full = `{"id":"a","dateCreated":"2024-01-02T03:04:05Z","emailAddress":"a@x","status":"VIP","totalSpend":1.5,"averageSpend":0.5,"totalOrders":3,` +
		`"ipAddress":"10.0.0.1","balance":2,"externalIntegrations":{"k":"v","k":"w"},"subscriptions":[null,{"id":"s","dateCreated":null,"expirationDate":"2025-01-01T00:00:00Z","startDate":null,"productId":"p"}],` +
		`"tickets":[{"id":"t","status":2,"entries":[{"id":"e","message":"m","name":null}],"extra":[1]}],"affiliate":{"id":"f","isEnabled":true,"link":null,"balance":1,"returnPercentage":0.1,"percentageOff":5},` +
		`"isBlocked":false,"blockedNote":null,"blockedAt":"2023-11-07T05:31:56.1234567"}`
	for _, tc := range []struct {
		name, body string
		fast       bool // whether the fast reader takes it
	}{
		{"full", `{"success":true,"message":null,"data":` + full + `}`, true},
		{"empty lists", `{"data":{"id":"a","subscriptions":[],"tickets":[],"externalIntegrations":{},"affiliate":null}}`, true},
		{"scalars twice", `{"data":{"id":"a","status":"x","status":null,"balance":1,"balance":2}}`, true},
		{"unknown keys", `{"meta":{"a":[1]},"data":{"id":"a","newField":{"b":[null]}}}`, true},
		{"no id", `{"data":{"emailAddress":"a@x"}}`, false},
		{"null data", `{"success":true,"data":null}`, false},
		{"no data", `{"success":true}`, false},
		{"failure", `{"success":false,"message":"m","data":{"id":"a"}}`, false},
		{"data twice", `{"data":{"id":"a"},"data":{"id":"b"}}`, false},
		{"subscriptions twice", `{"data":{"id":"a","subscriptions":[{"id":"s"}],"subscriptions":[{"productId":"p"}]}}`, false},
		{"entries twice", `{"data":{"id":"a","tickets":[{"entries":[{"id":"e"}],"entries":[]}]}}`, false},
		{"null integration", `{"data":{"id":"a","externalIntegrations":{"k":null}}}`, false},
		{"case-folded key", `{"data":{"id":"a","Balance":1}}`, false},
		{"bad time", `{"data":{"id":"a","blockedAt":"soon"}}`, false},
		{"list where one is due", `{"data":[{"id":"a"}]}`, false},
		{"trailing garbage", `{"data":{"id":"a"}} x`, false},
		{"truncated", `{"data":{"id":"a"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameRecord(t, []byte(tc.body)); got != tc.fast {
				t.Errorf("fast reader took it: %v; want %v", got, tc.fast)
			}
		})
	}
}

// FuzzDecodeRecord: whatever the body, decodeRecord gives up or gives what
// encoding/json gives.
func FuzzDecodeRecord(f *testing.F) {
	bodies, _, _, _ := simRecords(f)
	for _, b := range bodies[:4] {
		f.Add(b)
	}
	f.Add([]byte(`{"data":{"id":"a","tickets":[null,{"entries":null}],"affiliate":{"isEnabled":null},"externalIntegrations":null}}`))
	f.Fuzz(func(t *testing.T, body []byte) { sameRecord(t, body) })
}

// BenchmarkDecodeRecord decodes a customer's GET response, with the fast
// reader and with encoding/json.
func BenchmarkDecodeRecord(b *testing.B) {
	bodies, _, _, _ := simRecords(b)
	body := bodies[0]
	for _, bb := range bodies {
		if len(bb) > len(body) {
			body = bb // the one with the most in it
		}
	}
	b.Run("reader", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeRecord(body); !ok {
				b.Fatal("gave up")
			}
		}
	})
	c := stdClient(b)
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.decodeRecordStd(opGet, 200, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
