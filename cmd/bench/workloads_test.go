package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSelectWorkloads(t *testing.T) {
	names := func(ws []workload) string {
		var s []string
		for _, w := range ws {
			s = append(s, w.name)
		}
		return strings.Join(s, ",")
	}
	all, err := selectWorkloads("all", vendorTiquo)
	if err != nil || names(all) != "W0,W1-warm,W1-cold,W2,W3,W4,W5,B-direct,B-proxy" {
		t.Fatalf("all = %s, %v", names(all), err)
	}
	if ws, err := selectWorkloads(" b-proxy, W0 ,w1-WARM", vendorTiquo); err != nil || names(ws) != "W0,W1-warm,B-proxy" {
		t.Errorf("subset = %s, %v; want the running order", names(ws), err)
	}
	if _, err := selectWorkloads("W0,W9", vendorTiquo); err == nil || !strings.Contains(err.Error(), "W9") {
		t.Errorf("unknown workload: %v", err)
	}
}

func TestCustomersNeeded(t *testing.T) {
	ws := func(names string) []workload {
		got, err := selectWorkloads(names, vendorTiquo)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, tc := range []struct {
		names            string
		n                int
		total, withEmail int
	}{
		{"W0", 5000, 0, 0},
		{"W0,W3", 5000, minCustomers, 0},
		{"W1-cold", 5000, minCustomers, 5000},
		{"W1-cold,W4", 10, minCustomers, 10},
	} {
		total, withEmail := customersNeeded(ws(tc.names), tc.n)
		if total != tc.total || withEmail != tc.withEmail {
			t.Errorf("%s with -n %d needs %d customers, %d with an email; want %d, %d", tc.names, tc.n, total, withEmail, tc.total, tc.withEmail)
		}
	}
}

func TestWithEnv(t *testing.T) {
	got := withEnv([]string{"PATH=/bin", "PORT=1", "GOGC=50", "REDIS_URL=redis://elsewhere"},
		map[string]string{"PORT": "2", "REDIS_URL": "redis://127.0.0.1:1"})
	slices.Sort(got)
	want := []string{"GOGC=50", "PATH=/bin", "PORT=2", "REDIS_URL=redis://127.0.0.1:1"}
	if !slices.Equal(got, want) {
		t.Errorf("withEnv = %q, want %q", got, want)
	}
}

func TestSettleWaitsForTheCountersToRest(t *testing.T) {
	// A simulator whose calls still grow for the first reads after the run.
	var reads atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		total := min(reads.Add(1), 4) * 10
		json.NewEncoder(w).Encode(simStats{Get: total, Total: total})
	}))
	defer srv.Close()
	b := &bench{sim: &simClient{url: srv.URL, client: newClient(1)}}
	start := time.Now()
	st, calls, err := b.settle(t.Context(), false)
	if err != nil || st.Total != 40 || calls != nil {
		t.Errorf("settle = %+v, %v, %v; want the total at rest, 40", st, calls, err)
	}
	if took := time.Since(start); took < 4*settleQuiet || took > settleMax {
		t.Errorf("settle took %v; want 4 quiet periods, at most %v", took, settleMax)
	}
}
