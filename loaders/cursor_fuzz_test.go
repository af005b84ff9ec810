package loaders

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

// FuzzCursorDecode feeds decode arbitrary strings, and arbitrary payloads
// signed with the right key (which the fuzzer could never forge), so that
// what follows the signature check is exercised too.
//
//	go test ./loaders -run '^$' -fuzz FuzzCursorDecode -fuzztime 60s
func FuzzCursorDecode(f *testing.F) {
	c := cursorCodec{key: []byte("fuzz-key")}
	filters := ListQuery{Status: "ACTIVE"}.filterHash()
	for _, p := range []position{{}, {skip: 7}, {up: "opaque-upstream-cursor"}, {up: "x", skip: 100}, {up: "\x00\xff", skip: 1}} {
		s := c.encode(p, filters)
		b, _ := base64.RawURLEncoding.DecodeString(s)
		f.Add(s, b[:len(b)-macLen])
	}
	for _, s := range []string{"", "AA", "not-a-cursor", "////", "AQ", string(make([]byte, 2000))} {
		f.Add(s, []byte(s))
	}
	// A payload whose skip is a uvarint written in more bytes than needed,
	// and one whose uvarint never ends.
	f.Add("", append(append([]byte{cursorVersion}, filters[:]...), 0x85, 0x00, 'u', 'p'))
	f.Add("", append(append([]byte{cursorVersion}, filters[:]...), bytes.Repeat([]byte{0xff}, 12)...))

	f.Fuzz(func(t *testing.T, s string, payload []byte) {
		// Arbitrary text: never a panic, and nothing the fuzzer makes up
		// carries a valid signature unless it came from encode.
		if p, err := c.decode(s, filters); err != nil {
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("decode(%q): error %v; want ErrBadCursor", s, err)
			}
		} else {
			checkDecoded(t, c, s, p, filters)
		}

		// An arbitrary payload, signed: decode parses what is after the
		// signature check. Its filters are the payload's own, so that the
		// filter check passes too.
		if len(payload) < 1+filterHashLen {
			return
		}
		own := [filterHashLen]byte(payload[1 : 1+filterHashLen])
		signed := base64.RawURLEncoding.EncodeToString(append(bytes.Clone(payload), c.mac(payload)...))
		p, err := c.decode(signed, own)
		if err != nil {
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("decode(signed %x): error %v; want ErrBadCursor", payload, err)
			}
			return
		}
		checkDecoded(t, c, signed, p, own)
		if other := (ListQuery{Search: "other"}).filterHash(); other != own {
			if _, err := c.decode(signed, other); err == nil {
				t.Fatalf("decode(signed %x) succeeded for other filters", payload)
			}
		}
	})
}

// checkDecoded checks a cursor that decoded to p: p is a position encode
// could have made, and encoding it again gives a cursor that decodes to
// p (the same cursor, unless the original wrote its skip in more bytes
// than needed).
func checkDecoded(t *testing.T, c cursorCodec, s string, p position, f [filterHashLen]byte) {
	t.Helper()
	if p.skip < 0 || p.skip > maxPageSize {
		t.Fatalf("decode(%q) = skip %d; want 0..%d", s, p.skip, maxPageSize)
	}
	again := c.encode(p, f)
	q, err := c.decode(again, f)
	if err != nil || q != p {
		t.Fatalf("decode(%q) = %+v, which encodes to %q, which decodes to %+v, %v", s, p, again, q, err)
	}
	if len(again) > maxCursorLen {
		t.Fatalf("decode(%q) = %+v, whose cursor %d bytes long would not decode", s, p, len(again))
	}
}
