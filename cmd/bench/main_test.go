package main

import (
	"io"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.n != 20000 || c.concurrency != 64 || c.customers != 20000 || c.latency.String() != "20ms" || c.duration.String() != "10s" {
		t.Errorf("defaults = %+v", c)
	}
	for _, tc := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"-redis", "10.0.0.5:6379"}, "not on loopback"},
		{[]string{"-sim", "http://sim.internal:8081"}, "not on loopback"},
		{[]string{"-facade", "http://192.168.0.2:8080", "-sim", "http://127.0.0.1:1"}, "not on loopback"},
		{[]string{"-facade", "http://127.0.0.1:8080"}, "needs -sim"},
		{[]string{"-facade-pid", "42"}, "goes with -facade"},
		{[]string{"-n", "0"}, "-n"},
		{[]string{"-duration", "0s"}, "-duration"},
		{[]string{"-c", "0"}, "-c"},
		{[]string{"-customers", "10"}, "-customers"},
		{[]string{"-latency", "-1ms"}, "-latency"},
		{[]string{"extra"}, "unexpected"},
		{[]string{"-redis-mode", "sharded"}, "want single, cluster or memory"},
		{[]string{"-redis-mode", "memory", "-redis", "127.0.0.1:6379"}, "leave out -redis"},
		{[]string{"-redis-mode", "memory", "-facade", "http://127.0.0.1:8080", "-sim", "http://127.0.0.1:8081"}, "leave out -facade"},
		{[]string{"-redis-mode", "memory", "-peer", "http://127.0.0.1:4000/graphql"}, "runs customergraph alone"},
		{[]string{"-redis-mode", "cluster", "-peer", "http://127.0.0.1:4000/graphql"}, "runs customergraph alone"},
		{[]string{"-rounds", "0"}, "-rounds"},
		{[]string{"-rounds", "101"}, "-rounds"},
		{[]string{"-rounds", "3", "-peer", "http://127.0.0.1:4000/graphql"}, "-rounds runs customergraph alone"},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseFlags(%q) = %v, want an error about %q", tc.args, err, tc.want)
		}
	}
	if _, err := parseFlags([]string{"-facade", "http://localhost:8080", "-sim", "http://127.0.0.1:8081", "-redis", "[::1]:6379", "-facade-pid", "7"}, io.Discard); err != nil {
		t.Errorf("loopback targets refused: %v", err)
	}
}

func TestProxyModeIsHidden(t *testing.T) {
	var usage strings.Builder
	parseFlags([]string{"-h"}, &usage)
	if strings.Contains(usage.String(), "-serve-proxy") || strings.Contains(usage.String(), "-proxy-target") {
		t.Errorf("usage mentions the hidden proxy flags:\n%s", usage.String())
	}
	if !isProxyMode([]string{"-serve-proxy", "127.0.0.1:1"}) || isProxyMode([]string{"-n", "1"}) || isProxyMode(nil) {
		t.Error("isProxyMode")
	}
	if err := runProxy(t.Context(), []string{"-serve-proxy", "0.0.0.0:0", "-proxy-target", "http://127.0.0.1:1"}, io.Discard); err == nil {
		t.Error("the proxy listens on a non-loopback address")
	}
	if err := runProxy(t.Context(), []string{"-serve-proxy", "127.0.0.1:0", "-proxy-target", "http://example.com"}, io.Discard); err == nil {
		t.Error("the proxy forwards to a non-loopback target")
	}
}

func TestClusterURL(t *testing.T) {
	for _, tc := range []struct {
		addrs []string
		want  string
	}{
		{[]string{"127.0.0.1:7000"}, "redis://127.0.0.1:7000"},
		{[]string{"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"}, "redis://127.0.0.1:7000?addr=127.0.0.1:7001&addr=127.0.0.1:7002"},
	} {
		if got := clusterURL(tc.addrs); got != tc.want {
			t.Errorf("clusterURL(%q) = %q; want %q", tc.addrs, got, tc.want)
		}
	}
}
