// Package memwatch warns when the heap that is live after a garbage
// collection comes close to the Go runtime's soft memory limit
// (GOMEMLIMIT). Near it the collector runs nearly all the time and
// throughput falls, with nothing failing; a warning in the log says why,
// and what to raise.
package memwatch

import (
	"context"
	"log/slog"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Options configure Watch. Zero fields take the documented defaults.
type Options struct {
	// Interval is how often the live heap is read.
	//
	// default: 30 seconds
	Interval time.Duration
	// Fraction of the memory limit past which the live heap is warned of;
	// it is warned of again only once it has fallen below half of that.
	//
	// default: 0.6
	Fraction float64
	// Logger receives the warnings.
	//
	// default: slog.Default()
	Logger *slog.Logger
}

// Watch reads the live heap every Interval until ctx ends, and logs a
// warning each time it passes Fraction of the memory limit. It does
// nothing while no limit is set.
func Watch(ctx context.Context, o Options) {
	w := newWatcher(o)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.check(live(), debug.SetMemoryLimit(-1))
		}
	}
}

type watcher struct {
	interval time.Duration
	fraction float64
	log      *slog.Logger
	warned   bool
}

func newWatcher(o Options) *watcher {
	w := &watcher{interval: o.Interval, fraction: o.Fraction, log: o.Logger}
	if w.interval <= 0 {
		w.interval = 30 * time.Second
	}
	if w.fraction <= 0 || w.fraction >= 1 {
		w.fraction = 0.6
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	return w
}

// check warns of live bytes against limit; it reports whether it did.
func (w *watcher) check(live uint64, limit int64) bool {
	if limit <= 0 || limit == math.MaxInt64 {
		return false // no limit
	}
	share := float64(live) / float64(limit)
	switch {
	case w.warned && share < w.fraction/2:
		w.warned = false
	case !w.warned && share >= w.fraction:
		w.warned = true
		w.log.Warn("the live heap is close to the memory limit: the garbage collector runs ever more often and throughput falls; raise GOMEMLIMIT (an Xtrakit tenant's list holds about 1.5 KB a customer)",
			"liveHeapMiB", live>>20, "memoryLimitMiB", limit>>20)
		return true
	}
	return false
}

// live returns the heap that was live after the last garbage collection,
// in bytes (runtime/metrics' /gc/heap/live:bytes).
func live() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
