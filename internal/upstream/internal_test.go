package upstream

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-1", 0},
		{"1", time.Second},
		{" 120 ", 2 * time.Minute},
		{"86401", 24 * time.Hour},
		{"99999999999999999999", 0}, // overflows: malformed
		{"1.5", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Second).Format(http.TimeFormat), 0},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), 24 * time.Hour},
		{now.Add(30 * time.Second).Format(time.RFC850), 30 * time.Second},
	} {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v; want %v", tc.in, got, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	c, err := NewCaller("acme", "http://sim:8080/api/", "sk_live_123", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"nothing here", "nothing here"},
		{"key sk_live_123 revoked", "key [redacted] revoked"},
		{"keysk_live_123x", "key[redacted]x"}, // the key goes wherever it is
		{"GET http://sim:8080/api/customers", "GET [redacted]/customers"},
		{"dial sim:8080 failed", "dial [redacted] failed"},
		{"host sim is down", "host [redacted] is down"},
		{"simulated failure", "simulated failure"}, // a longer word stays
		{"sim.example: ok", "[redacted].example: ok"},
		{"sim,sim;sim", "[redacted],[redacted];[redacted]"},
		{"asim sima sim", "asim sima [redacted]"},
	} {
		if got := c.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
