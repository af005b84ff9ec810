// Package workers runs functions on long-lived goroutines whose stacks have
// already grown.
//
// A goroutine starts with a small stack and copies it each time it grows.
// Work that runs deep — resolving a GraphQL field and marshalling
// everything under it — on a new goroutine each time pays for those copies
// on every call: for a query of a hundred root fields they were a sixth of
// the CPU time. A Pool hands such work to a goroutine that has run it
// before, so the stack it needs is already there.
package workers

import (
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Options.
const (
	DefaultMax  = 256
	DefaultIdle = 10 * time.Second
)

// Options configure a Pool. A zero field takes its default.
type Options struct {
	// Max is how many workers may exist at once. Default 256.
	Max int
	// Idle is how long a worker waits for work before it exits.
	// Default 10s.
	Idle time.Duration
}

// Pool runs functions on its workers. The zero value is not usable; use New.
type Pool struct {
	max   int32
	idle  time.Duration
	work  chan *task
	alive atomic.Int32
	tasks sync.Pool
}

type task struct {
	f     func()
	async bool     // from Go: nobody waits for done
	done  chan any // the panic f raised, or nil
}

// New returns a Pool with no workers yet: they start as work arrives.
func New(o Options) *Pool {
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	if o.Idle <= 0 {
		o.Idle = DefaultIdle
	}
	p := &Pool{max: int32(o.Max), idle: o.Idle, work: make(chan *task)}
	p.tasks.New = func() any { return &task{done: make(chan any, 1)} }
	return p
}

// Run calls f on a worker and returns when f has returned; a panic in f is
// raised again in Run's goroutine. With every worker busy and Max of them
// alive, Run calls f itself: it never waits for a worker, so f may use
// Run too.
func (p *Pool) Run(f func()) {
	t := p.tasks.Get().(*task)
	t.f = f
	select {
	case p.work <- t:
	default:
		if !p.start(t) {
			t.f = nil
			p.tasks.Put(t)
			f()
			return
		}
	}
	r := <-t.done
	t.f = nil
	p.tasks.Put(t)
	if r != nil {
		panic(r)
	}
}

// Go calls f on a worker and returns at once; with every worker busy and
// Max of them alive, f gets a goroutine of its own. A panic in f is not
// recovered.
func (p *Pool) Go(f func()) {
	t := p.tasks.Get().(*task)
	t.f = f
	t.async = true
	select {
	case p.work <- t:
	default:
		if !p.start(t) {
			t.f, t.async = nil, false
			p.tasks.Put(t)
			go f()
		}
	}
}

// Workers returns how many workers are alive.
func (p *Pool) Workers() int { return int(p.alive.Load()) }

// start starts a worker with t as its first task, unless Max are alive.
func (p *Pool) start(t *task) bool {
	for {
		n := p.alive.Load()
		if n >= p.max {
			return false
		}
		if p.alive.CompareAndSwap(n, n+1) {
			break
		}
	}
	go p.worker(t)
	return true
}

func (p *Pool) worker(t *task) {
	defer p.alive.Add(-1)
	idle := time.NewTimer(p.idle)
	defer idle.Stop()
	for {
		if t.async {
			f := t.f
			t.f, t.async = nil, false
			p.tasks.Put(t)
			f()
		} else {
			t.done <- call(t.f)
		}
		idle.Reset(p.idle)
		select {
		case t = <-p.work:
		case <-idle.C:
			return
		}
	}
}

// call calls f and returns what it panicked with, or nil.
func call(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}
