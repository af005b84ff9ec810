package loaders

import (
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"math/rand/v2"
	"time"

	"customergraph/internal/customer"
)

// A cached value is one of:
//
//	'+' fetchedAt(8) freshUntil(8) len(uvarint) fields vendorRecord crc(4)
//	                                      a customer; times are Unix ms
//	'-'                                   the upstream said there is none
//
// fields is the customer in the binary layout of codec.go, len bytes
// long; vendorRecord is the vendor's record as compact JSON, kept as it
// is: the decoder hands it over without reading it; crc is the CRC-32C of
// everything before it, so that a value damaged anywhere (the vendor
// record included, which nothing else reads) is unreadable. Anything else
// (a value from an older layout, garbage) is a miss.
const (
	tagCustomer = '+'
	tagMissing  = '-'
	headerLen   = 1 + 8 + 8
	crcLen      = 4
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

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

// encodeCustomer returns the cached value of c. It fails only for a
// vendor record that is not valid JSON.
func encodeCustomer(c *customer.Customer, fetchedAt, freshUntil time.Time) ([]byte, error) {
	var vr []byte
	if raw := c.VendorRecordJSON(); len(raw) > 0 {
		// As encoding/json writes a json.RawMessage: compact, HTML-safe,
		// and checked.
		var err error
		if vr, err = json.Marshal(raw); err != nil {
			return nil, err
		}
	}
	fields := appendCustomer(make([]byte, 0, 512), c)
	b := make([]byte, headerLen, headerLen+binary.MaxVarintLen64+len(fields)+len(vr)+crcLen)
	b[0] = tagCustomer
	binary.BigEndian.PutUint64(b[1:], uint64(fetchedAt.UnixMilli()))
	binary.BigEndian.PutUint64(b[9:], uint64(freshUntil.UnixMilli()))
	b = binary.AppendUvarint(b, uint64(len(fields)))
	b = append(b, fields...)
	b = append(b, vr...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTable)), nil
}

var missingValue = []byte{tagMissing}

// decodeRecord reads a cached value; ok is false for anything unreadable.
// The record's VendorRecord shares v's memory.
func decodeRecord(v []byte) (r record, ok bool) {
	switch {
	case len(v) == 1 && v[0] == tagMissing:
		return record{missing: true}, true
	case len(v) > headerLen+crcLen && v[0] == tagCustomer:
		n := len(v) - crcLen
		if crc32.Checksum(v[:n], crcTable) != binary.BigEndian.Uint32(v[n:]) {
			return record{}, false
		}
		v = v[:n:n]
		body := v[headerLen:]
		size, w := binary.Uvarint(body)
		if w <= 0 || size > uint64(len(body)-w) {
			return record{}, false
		}
		fields, rest := body[w:w+int(size)], body[w+int(size):]
		c, ok := decodeCustomer(string(fields))
		if !ok || c.ID == "" {
			return record{}, false
		}
		if len(rest) > 0 {
			c.VendorRecord = json.RawMessage(rest)
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
