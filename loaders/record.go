package loaders

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"time"

	"customergraph/internal/customer"
)

// A cached value is one of:
//
//	'+' fetchedAt(8) freshUntil(8) JSON   a customer; times are Unix ms
//	'-'                                   the upstream said there is none
//
// Anything else (a value from an older layout, garbage) is a miss.
const (
	tagCustomer = '+'
	tagMissing  = '-'
	headerLen   = 1 + 8 + 8
)

// record is what the cache holds for one key.
type record struct {
	c          *customer.Customer // nil for a miss or a negative entry
	missing    bool               // a remembered upstream 404
	unreadable bool               // the key held a value that is no record: a miss, to be replaced
	fetchedAt  time.Time
	freshUntil time.Time
}

// fresh reports whether r can be served without asking the upstream.
func (r record) fresh(now time.Time) bool {
	return r.missing || (r.c != nil && now.Before(r.freshUntil))
}

// servableStale reports whether r may stand in when the upstream fails.
func (r record) servableStale(now time.Time, maxAge time.Duration) bool {
	return r.c != nil && maxAge > 0 && now.Sub(r.freshUntil) <= maxAge
}

func encodeCustomer(c *customer.Customer, fetchedAt, freshUntil time.Time) ([]byte, error) {
	b := make([]byte, headerLen, headerLen+1024)
	b[0] = tagCustomer
	binary.BigEndian.PutUint64(b[1:], uint64(fetchedAt.UnixMilli()))
	binary.BigEndian.PutUint64(b[9:], uint64(freshUntil.UnixMilli()))
	return appendJSON(b, c)
}

func appendJSON(b []byte, c *customer.Customer) ([]byte, error) {
	doc, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return append(b, doc...), nil
}

var missingValue = []byte{tagMissing}

// decodeRecord reads a cached value; ok is false for anything unreadable.
func decodeRecord(v []byte) (r record, ok bool) {
	switch {
	case len(v) == 1 && v[0] == tagMissing:
		return record{missing: true}, true
	case len(v) > headerLen && v[0] == tagCustomer:
		c := new(customer.Customer)
		if err := json.Unmarshal(v[headerLen:], c); err != nil || c.ID == "" {
			return record{}, false
		}
		return record{
			c:          c,
			fetchedAt:  time.UnixMilli(int64(binary.BigEndian.Uint64(v[1:]))),
			freshUntil: time.UnixMilli(int64(binary.BigEndian.Uint64(v[9:]))),
		}, true
	}
	return record{}, false
}

// jitter spreads d by ±frac, so entries written together do not all expire
// together.
func jitter(d time.Duration, frac float64) time.Duration {
	if frac <= 0 || d <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 + frac*(2*rand.Float64()-1)))
}
