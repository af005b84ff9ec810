package main

import (
	"io"
	"log/slog"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	got, err := parseFlags(nil)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	want := config{addr: "127.0.0.1:8081", customers: 1000, seed: 1, apiKeys: "sim-key"}
	if got != want {
		t.Errorf("defaults: got %+v; want %+v", got, want)
	}

	got, err = parseFlags([]string{"-addr", ":0", "-customers", "50", "-seed", "9", "-latency", "20ms", "-api-keys", "a,b:read", "-rate-limit", "1000"})
	if err != nil {
		t.Fatalf("all flags: %v", err)
	}
	want = config{addr: ":0", customers: 50, seed: 9, latency: 20 * time.Millisecond, apiKeys: "a,b:read", rateLimit: 1000}
	if got != want {
		t.Errorf("all flags: got %+v; want %+v", got, want)
	}

	for _, args := range [][]string{
		{"-customers", "0"},
		{"-customers", "2000000"},
		{"-latency", "-1s"},
		{"-rate-limit", "-5"},
		{"-nope"},
		{"extra"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q): got nil error; want an error", args)
		}
	}
}

func TestRunRejectsEmptyKeys(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := run([]string{"-api-keys", " , "}, logger); err == nil {
		t.Errorf("run with no keys: got nil error; want an error")
	}
}
