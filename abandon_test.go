package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAbandonedRequestsStopUpstreamCalls: when the clients of many cold
// queries (100 lookups each, far more than the upstream concurrency) go
// away mid-run, the upstream reads no request waits for any more are not
// started: within a second of the disconnect, upstream calls stop.
func TestAbandonedRequestsStopUpstreamCalls(t *testing.T) {
	const clients, perQuery = 24, 100
	s := newStack(t, stackOptions{customers: clients*perQuery + 10, latency: 100 * time.Millisecond,
		redisAddr: "memory", env: map[string]string{"UPSTREAM_BUDGET": "0"}})
	ctx, disconnect := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for c := range clients {
		var q strings.Builder
		q.WriteString("{")
		for i := range perQuery {
			fmt.Fprintf(&q, " c%d: customer(customerNumber: \"CUST-%06d\") { id }", i, c*perQuery+i+1)
		}
		q.WriteString(" }")
		body, _ := json.Marshal(map[string]string{"query": q.String()})
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+testKey)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	time.Sleep(600 * time.Millisecond)
	atDisconnect := s.stats().Total
	disconnect()
	wg.Wait()
	time.Sleep(time.Second)
	afterOne := s.stats().Total
	time.Sleep(2 * time.Second)
	afterThree := s.stats().Total
	t.Logf("upstream calls: %d at the disconnect, %d a second later, %d three seconds later (%d needed in all)",
		atDisconnect, afterOne, afterThree, clients*perQuery)
	if atDisconnect == 0 {
		t.Fatal("no upstream call before the disconnect: the load did not start")
	}
	if afterThree != afterOne {
		t.Errorf("%d upstream calls started more than a second after every client had gone; want none", afterThree-afterOne)
	}
	if afterOne >= clients*perQuery {
		t.Errorf("every one of the %d reads was made although the clients left early", afterOne)
	}
}
