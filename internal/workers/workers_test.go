package workers

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
	"time"
)

// goid returns the calling goroutine's number, from its stack trace.
func goid() string {
	var b [64]byte
	s := b[:runtime.Stack(b[:], false)]
	s, _ = bytes.CutPrefix(s, []byte("goroutine "))
	id, _, _ := bytes.Cut(s, []byte(" "))
	return string(id)
}

// waitParked waits until goroutine id is blocked in a select, as a worker
// waiting for work is. A worker hands its result over before it gets there:
// a Run in between finds no worker ready and starts another, as it should.
func waitParked(t *testing.T, id string) {
	t.Helper()
	want := []byte("goroutine " + id + " [select")
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(5 * time.Second); ; {
		if bytes.Contains(buf[:runtime.Stack(buf, true)], want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker %s did not wait for work within 5s", id)
		}
		runtime.Gosched()
	}
}

func TestRunReusesAWorker(t *testing.T) {
	p := New(Options{})
	caller := goid()
	var first string
	for i := range 5 {
		var on string
		p.Run(func() { on = goid() })
		if on == caller {
			t.Fatalf("run %d: f ran on the caller's goroutine; want a worker's", i)
		}
		if i == 0 {
			first = on
		} else if on != first {
			t.Errorf("run %d: f ran on goroutine %s; want the worker of the first run, %s", i, on, first)
		}
		waitParked(t, first)
	}
	if got := p.Workers(); got != 1 {
		t.Errorf("got %d workers after five runs one after another; want 1", got)
	}
}

func TestRunRaisesThePanicInTheCaller(t *testing.T) {
	p := New(Options{})
	var worker string
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v; want boom", r)
		}
		// The worker survived the panic and takes the next run.
		waitParked(t, worker)
		ran := false
		p.Run(func() { ran = true })
		if !ran || p.Workers() != 1 {
			t.Errorf("after the panic: ran %v, %d workers; want true, 1", ran, p.Workers())
		}
	}()
	p.Run(func() { worker = goid(); panic("boom") })
	t.Fatal("Run returned normally; want it to panic")
}

func TestRunNeverWaitsForAWorker(t *testing.T) {
	// With every worker busy, Run runs f itself: a run nested in another
	// on a pool of one cannot deadlock.
	p := New(Options{Max: 1})
	done := make(chan bool)
	go func() {
		var outer, inner string
		p.Run(func() {
			outer = goid()
			p.Run(func() { inner = goid() })
		})
		done <- outer == inner
	}()
	select {
	case same := <-done:
		if !same {
			t.Error("the nested run went to another goroutine; want it run by its caller, the only worker")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a nested Run on a pool of one did not return")
	}
}

func TestRunConcurrently(t *testing.T) {
	p := New(Options{Max: 4})
	var wg sync.WaitGroup
	release := make(chan struct{})
	var mu sync.Mutex
	ran := 0
	for range 16 {
		wg.Go(func() {
			p.Run(func() {
				<-release
				mu.Lock()
				ran++
				mu.Unlock()
			})
		})
	}
	time.Sleep(50 * time.Millisecond)
	if got := p.Workers(); got != 4 {
		t.Errorf("got %d workers with 16 runs blocked; want Max, 4", got)
	}
	close(release)
	wg.Wait()
	if ran != 16 {
		t.Errorf("got %d runs; want 16", ran)
	}
}

func TestIdleWorkersExit(t *testing.T) {
	p := New(Options{Idle: 20 * time.Millisecond})
	p.Run(func() {})
	deadline := time.Now().Add(5 * time.Second)
	for p.Workers() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers 5s after their last run; want 0 (Idle is 20ms)", p.Workers())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deep recurses n frames of about 256 bytes each, as resolving a field and
// marshalling what is under it does.
func deep(n int) int {
	var pad [32]int
	pad[n%32] = n
	if n == 0 {
		return pad[0]
	}
	return deep(n-1) + pad[n%32]
}

var sink int

// BenchmarkDeepWork compares deep work on a new goroutine each time, whose
// stack grows every time, with the same work handed to a Pool.
func BenchmarkDeepWork(b *testing.B) {
	b.Run("goroutine", func(b *testing.B) {
		for b.Loop() {
			var wg sync.WaitGroup
			wg.Go(func() { sink = deep(64) })
			wg.Wait()
		}
	})
	b.Run("pool", func(b *testing.B) {
		p := New(Options{})
		for b.Loop() {
			var wg sync.WaitGroup
			wg.Go(func() { p.Run(func() { sink = deep(64) }) })
			wg.Wait()
		}
	})
}

func TestGo(t *testing.T) {
	p := New(Options{Max: 1})
	caller := goid()
	ran := make(chan string, 3)
	block := make(chan struct{})
	p.Go(func() { ran <- goid(); <-block })
	first := <-ran
	if first == caller {
		t.Fatal("Go ran f on the caller's goroutine; want a worker's")
	}
	// The only worker is busy: the next f gets a goroutine of its own
	// rather than waiting.
	p.Go(func() { ran <- goid() })
	select {
	case on := <-ran:
		if on == first {
			t.Errorf("with the worker busy, f ran on it; want a goroutine of its own")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Go with every worker busy did not run f")
	}
	close(block)
	// The worker is idle again and takes the next one.
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.Go(func() { ran <- goid() })
		if <-ran == first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Go never reused the idle worker")
		}
		time.Sleep(time.Millisecond)
	}
	if got := p.Workers(); got != 1 {
		t.Errorf("got %d workers; want Max, 1", got)
	}
}
