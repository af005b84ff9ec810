package memwatch

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	var buf bytes.Buffer
	w := newWatcher(Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	const limit = 100 << 20
	for _, step := range []struct {
		live  uint64
		limit int64
		warn  bool
	}{
		{10 << 20, limit, false},
		{59 << 20, limit, false},
		{60 << 20, limit, true},  // passes 0.6 of the limit
		{90 << 20, limit, false}, // warned already
		{31 << 20, limit, false}, // not below half of 0.6 yet
		{29 << 20, limit, false}, // below: re-armed
		{70 << 20, limit, true},
		{500 << 20, 0, false},             // no limit
		{500 << 20, math.MaxInt64, false}, // the runtime's "no limit"
	} {
		if got := w.check(step.live, step.limit); got != step.warn {
			t.Errorf("live %d MiB, limit %d: warned %v; want %v", step.live>>20, step.limit, got, step.warn)
		}
	}
	if n := strings.Count(buf.String(), "GOMEMLIMIT"); n != 2 {
		t.Errorf("%d warnings logged; want 2:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "liveHeapMiB=70 memoryLimitMiB=100") {
		t.Errorf("warning lacks the figures:\n%s", buf.String())
	}
}

// Watch reads the runtime's own figures: a live heap past 0.6 of the
// limit the process runs under is warned of.
func TestWatchReadsTheRuntime(t *testing.T) {
	hold := make([]byte, 48<<20)
	for i := range hold {
		hold[i] = byte(i)
	}
	runtime.GC()
	heap := live()
	if heap < 48<<20 {
		t.Fatalf("live heap %d bytes after holding 48 MiB", heap)
	}
	old := debug.SetMemoryLimit(int64(heap) + int64(heap)/4) // the live heap is 0.8 of it
	defer debug.SetMemoryLimit(old)

	var buf syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Watch(ctx, Options{Interval: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "GOMEMLIMIT") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	runtime.KeepAlive(hold)
	if !strings.Contains(buf.String(), "GOMEMLIMIT") {
		t.Errorf("no warning with the live heap at 0.8 of the limit; log:\n%s", buf.String())
	}
}
