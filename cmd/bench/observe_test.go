package main

import (
	"maps"
	"os"
	"os/exec"
	"testing"
	"time"
)

const sampleCommandStats = "# Commandstats\r\n" +
	"cmdstat_evalsha:calls=1000,usec=9000,usec_per_call=9.00,rejected_calls=0,failed_calls=0\r\n" +
	"cmdstat_get:calls=2000,usec=1000,usec_per_call=0.50,rejected_calls=0,failed_calls=0\r\n" +
	"cmdstat_client|setinfo:calls=2,usec=3,usec_per_call=1.50,rejected_calls=0,failed_calls=0\r\n" +
	"cmdstat_info:calls=7,usec=700,usec_per_call=100.00,rejected_calls=0,failed_calls=0\r\n" +
	"\r\n"

func TestParseCommandStats(t *testing.T) {
	got, err := parseCommandStats(sampleCommandStats)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"evalsha": 1000, "get": 2000, "client|setinfo": 2, "info": 7}
	if !maps.Equal(got, want) {
		t.Errorf("parseCommandStats = %v, want %v", got, want)
	}
	if got, err := parseCommandStats("# Commandstats\r\n"); err != nil || len(got) != 0 {
		t.Errorf("empty section = %v, %v", got, err)
	}
	for _, bad := range []string{
		"cmdstat_get\r\n",
		"cmdstat_get:usec=1\r\n",
		"cmdstat_get:calls=x,usec=1\r\n",
		"cmdstat_get:calls=-1\r\n",
	} {
		if _, err := parseCommandStats(bad); err == nil {
			t.Errorf("parseCommandStats(%q) succeeded", bad)
		}
	}
}

func TestCommandDelta(t *testing.T) {
	before := map[string]int64{"get": 10, "evalsha": 5, "info": 3, "ping": 1}
	after := map[string]int64{"get": 30, "evalsha": 5, "info": 9, "ping": 1, "set": 4}
	by, total := commandDelta(before, after)
	if want := map[string]int64{"get": 20, "set": 4}; !maps.Equal(by, want) || total != 24 {
		t.Errorf("commandDelta = %v, %d; want %v, 24", by, total, want)
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tcustomergraph\nVmPeak:\t 1263000 kB\nVmHWM:\t   31744 kB\nVmRSS:\t   30000 kB\n"
	got, err := parseVmHWM(status)
	if err != nil || got != 31744*1024 {
		t.Errorf("parseVmHWM = %d, %v; want %d", got, err, 31744*1024)
	}
	for _, bad := range []string{"Name:\tx\n", "VmHWM:\t12 MB\n", "VmHWM:\tlots kB\n"} {
		if _, err := parseVmHWM(bad); err == nil {
			t.Errorf("parseVmHWM(%q) succeeded", bad)
		}
	}
}

func TestPeakRSSOfSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	rss, err := peakRSS(os.Getpid())
	if err != nil || rss < 1<<20 {
		t.Errorf("peakRSS(self) = %d, %v; want at least 1 MB", rss, err)
	}
}

func TestParseStatPPID(t *testing.T) {
	for stat, want := range map[string]int{
		"4242 (node) S 4241 4242 4242 0 -1":              4241,
		"7 (a (weird) name) R 1 7 7 0 -1":                1,
		"9 (sh -c) S 0 9 9 0 -1 4194560 104 0 0 0 0 0 0": 0,
	} {
		if got, ok := parseStatPPID(stat); !ok || got != want {
			t.Errorf("parseStatPPID(%q) = %d, %v; want %d", stat, got, ok, want)
		}
	}
	for _, bad := range []string{"", "12 (x", "12 (x) S", "12 (x) S y"} {
		if _, ok := parseStatPPID(bad); ok {
			t.Errorf("parseStatPPID(%q) succeeded", bad)
		}
	}
}

func TestTreePeakRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	// A shell with two children, like a cluster's primary and workers.
	s := newSupervisor(t.TempDir())
	defer s.close()
	c, err := s.start("tree", sh, []string{"-c", "sleep 30 & sleep 30 & wait"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var kids []int
	for deadline := time.Now().Add(5 * time.Second); len(kids) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if kids, err = descendants(c.pid()); err != nil {
			t.Fatal(err)
		}
	}
	if len(kids) != 2 {
		t.Fatalf("descendants = %v, want the 2 sleeps", kids)
	}
	want, _ := peakRSS(c.pid())
	for _, k := range kids {
		rss, err := peakRSS(k)
		if err != nil || rss <= 0 {
			t.Fatalf("peakRSS(%d) = %d, %v", k, rss, err)
		}
		want += rss
	}
	got, err := treePeakRSS(c.pid())
	if err != nil || got != want {
		t.Errorf("treePeakRSS = %d, %v; want the sum %d", got, err, want)
	}
	if own, _ := peakRSS(c.pid()); got <= own {
		t.Errorf("treePeakRSS %d is not more than the shell's own %d", got, own)
	}
}
