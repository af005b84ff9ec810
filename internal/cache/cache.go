// Package cache stores customer documents for customergraph, in Redis or in
// process memory.
//
// A document (JSON bytes) is stored under its document key, built by a
// [Keyspace]. Lookup keys (an email address, a phone number, a customer
// number) are stored as links pointing at the document key, so that a lookup
// by any alias costs a single round trip on one server — [Redis.Get] follows
// links on the server, in a Lua script — and two rounds on a Redis Cluster,
// where a link and its document may live on different masters.
//
// The cache is an optimisation only. [Redis] bounds each operation by a
// timeout, counts, logs (rate limited) and returns its errors, and skips a
// Redis that keeps failing until it answers again; callers are expected to
// treat an error from Get as a miss and carry on against the upstream API.
//
// Two implementations share the same semantics: [Redis], for production, and
// [Memory], an in-process cache used when no Redis is configured.
package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Entry is one value to store with Set.
type Entry struct {
	// Key is the full key, built by a Keyspace.
	Key string
	// Value holds the document bytes. It is ignored when Link is set.
	Value []byte
	// Link, when set, makes Key an alias of the key Link: a Get of Key
	// returns the document stored under Link. Links are followed once only,
	// so Link must name a document key, not another alias.
	Link string
	// TTL is how long the entry lives. It must be positive; it is rounded up
	// to a whole millisecond.
	TTL time.Duration
	// Version, when positive, makes the write of a document conditional:
	// it is skipped if the key holds a document of a higher Version, so a
	// slow writer of an old version cannot replace a newer one. Equal
	// versions are replaced. Zero writes unconditionally. Links ignore it.
	Version int64
	// Replace writes a versioned document even over a higher version, and
	// stores it with its own Version: for a key whose value the caller
	// could not read, which may claim any version. Links ignore it.
	Replace bool
}

// conditional reports whether e's write leaves a newer version in place: a
// versioned document, without Replace.
func (e *Entry) conditional() bool { return e.Version > 0 && e.Link == "" && !e.Replace }

// Stats holds a cache's counters since it was created.
//
// Every key passed to Get counts as exactly one hit or one miss. A key whose
// value could not be decoded counts as a miss and as corrupt. A failed Redis
// operation counts once in Errors, one skipped because Redis was failing
// once in Skipped, and one its caller gave up on before Redis answered
// once in Abandoned; a failed, skipped or abandoned Get also counts all its
// keys as misses.
type Stats struct {
	Hits    uint64 // keys found, directly or through a link
	Misses  uint64 // keys absent, expired, linked to a link or a missing key, corrupt, or not read because of an error
	Errors  uint64 // failed Redis operations (Get, Set, Delete)
	Skipped uint64 // Redis operations not sent because Redis kept failing (see RedisOptions.Cooldown)
	// Abandoned counts Redis operations whose caller's context ended (a
	// client that went away, a request past its deadline) before Redis
	// answered: no verdict on Redis, so not Errors.
	Abandoned uint64
	Corrupt   uint64 // values that are neither a document nor a link
	// Fallback counts keys Redis could not answer that the in-process
	// fallback did (see RedisOptions.Fallback); they count as misses too.
	Fallback uint64
	// Evictions counts live entries dropped to respect MemoryOptions.MaxEntries.
	// It is always zero for Redis.
	Evictions uint64
}

// Value tags: every stored value starts with one of these bytes. A
// versioned document is 'v', its version as 16 hex digits, the document.
const (
	tagDoc       = 'd'
	tagLink      = 'l'
	tagVersioned = 'v'
	versionLen   = 16
)

// errInvalidEntry reports an Entry that Set refuses to store.
var errInvalidEntry = errors.New("cache: invalid entry")

// validate checks entries before any of them is written, so that Set writes
// all of them or none because of a caller's mistake.
func validate(entries []Entry) error {
	for i := range entries {
		e := &entries[i]
		switch {
		case e.Key == "":
			return fmt.Errorf("%w %d: empty key", errInvalidEntry, i)
		case e.TTL <= 0:
			return fmt.Errorf("%w %d: TTL %v is not positive", errInvalidEntry, i, e.TTL)
		case e.Version < 0 || e.Version > maxVersion:
			return fmt.Errorf("%w %d: version %d out of range", errInvalidEntry, i, e.Version)
		}
	}
	return nil
}

// encode returns the stored form of e: a tag byte followed by the document
// or by the link's target key. The result never aliases e.Value.
func encode(e *Entry) []byte {
	if e.Link != "" {
		b := make([]byte, 1+len(e.Link))
		b[0] = tagLink
		copy(b[1:], e.Link)
		return b
	}
	if e.Version > 0 {
		b := make([]byte, 1+versionLen, 1+versionLen+len(e.Value))
		b[0] = tagVersioned
		hex := strconv.FormatInt(e.Version, 16)
		copy(b[1:], strings.Repeat("0", versionLen-len(hex))+hex)
		return append(b, e.Value...)
	}
	b := make([]byte, 1+len(e.Value))
	b[0] = tagDoc
	copy(b[1:], e.Value)
	return b
}

// maxVersion is the largest Version: Lua reads versions as doubles, exact
// up to 2^53.
const maxVersion = 1<<53 - 1

// storedVersion returns the version of a stored value: 0 for anything but
// a versioned document.
func storedVersion(raw []byte) int64 {
	if len(raw) < 1+versionLen || raw[0] != tagVersioned {
		return 0
	}
	v, err := strconv.ParseInt(string(raw[1:1+versionLen]), 16, 64)
	if err != nil {
		return 0
	}
	return v
}

// roundTTL returns the positive d rounded up to a whole millisecond (down
// for the few largest durations, where rounding up would overflow).
func roundTTL(d time.Duration) time.Duration {
	if r := d % time.Millisecond; r != 0 {
		if d > math.MaxInt64-time.Millisecond {
			return d - r
		}
		return d - r + time.Millisecond
	}
	return d
}

// result is the outcome of reading one key.
type result int

const (
	miss    result = iota // absent, or a link where a document was expected
	hit                   // a document
	corrupt               // neither a document nor a link
)

// decode classifies a stored value read after following links once: a
// document is a hit, nothing or a link (a link to a link) is a miss, anything
// else is corrupt. On a hit it returns the document without its tag.
func decode[T string | []byte](raw T, present bool) (doc T, r result) {
	switch {
	case !present:
		return doc, miss
	case len(raw) == 0:
		return doc, corrupt
	case raw[0] == tagDoc:
		return raw[1:], hit
	case raw[0] == tagVersioned && len(raw) >= 1+versionLen:
		return raw[1+versionLen:], hit
	case raw[0] == tagLink:
		return doc, miss
	default:
		return doc, corrupt
	}
}

// counters are the atomic counters behind Stats.
type counters struct {
	hits, misses, errors, skipped, abandoned, corrupt, evictions, fallback atomic.Uint64
}

func (c *counters) stats() Stats {
	return Stats{
		Hits:      c.hits.Load(),
		Misses:    c.misses.Load(),
		Errors:    c.errors.Load(),
		Skipped:   c.skipped.Load(),
		Abandoned: c.abandoned.Load(),
		Corrupt:   c.corrupt.Load(),
		Evictions: c.evictions.Load(),
		Fallback:  c.fallback.Load(),
	}
}

// tally counts the outcomes of one Get.
type tally struct {
	hits, misses, corrupt uint64
}

func (t *tally) add(r result) {
	switch r {
	case hit:
		t.hits++
	case miss:
		t.misses++
	case corrupt:
		t.misses++
		t.corrupt++
	}
}

// record adds t to the counters.
func (c *counters) record(t tally) {
	if t.hits > 0 {
		c.hits.Add(t.hits)
	}
	if t.misses > 0 {
		c.misses.Add(t.misses)
	}
	if t.corrupt > 0 {
		c.corrupt.Add(t.corrupt)
	}
}

// appendDoc appends doc to buf and returns buf and the copy of doc in it,
// with its capacity capped so that appending to one document never
// overwrites the next. Get copies all its documents into one buffer sized
// in advance, so that a batch costs one allocation; the copy of an empty
// document is empty but not nil, as nil means a miss.
func appendDoc[T string | []byte](buf []byte, doc T) ([]byte, []byte) {
	start := len(buf)
	buf = append(buf, doc...)
	if buf == nil {
		buf = []byte{}
	}
	return buf, buf[start:len(buf):len(buf)]
}

// logInterval is the minimum time between two log lines of one limiter.
const logInterval = time.Second

// limiter lets at most one log line through per logInterval and counts the
// lines it suppressed, so that a dead Redis does not flood the log.
type limiter struct {
	logger     *slog.Logger
	last       atomic.Int64 // UnixNano of the last line logged, 0 for never
	suppressed atomic.Uint64
}

// warn logs msg with args at Warn level unless a line was logged less than
// logInterval ago. The line carries how many lines were suppressed before it.
func (l *limiter) warn(ctx context.Context, msg string, args ...any) {
	now := time.Now().UnixNano()
	last := l.last.Load()
	if (last != 0 && now-last < int64(logInterval)) || !l.last.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return
	}
	args = append(args, slog.Uint64("suppressed", l.suppressed.Swap(0)))
	l.logger.WarnContext(ctx, msg, args...)
}
