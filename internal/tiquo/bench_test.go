package tiquo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"customergraph/internal/identifier"
	"customergraph/internal/sim/tiquosim"
)

// BenchmarkCustomer is one GET through the client, against the simulator
// over loopback; BenchmarkRawGET is the same request with a bare
// http.Client, for the client's own overhead.
func BenchmarkCustomer(b *testing.B) {
	srv := httptest.NewServer(tiquosim.New(tiquosim.Options{Customers: 10}))
	defer srv.Close()
	c, err := New(srv.URL, tiquosim.DefaultAPIKey, nil)
	if err != nil {
		b.Fatal(err)
	}
	id := identifier.MustParse("john@example.com")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Customer(context.Background(), id); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawGET(b *testing.B) {
	srv := httptest.NewServer(tiquosim.New(tiquosim.Options{Customers: 10}))
	defer srv.Close()
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/customers/john@example.com", nil)
		req.Header.Set("Authorization", "Bearer "+tiquosim.DefaultAPIKey)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
