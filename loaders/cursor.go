package loaders

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// ErrBadCursor is returned for an `after` cursor this service did not issue,
// or issued for other filters.
var ErrBadCursor = errors.New("cursor is not valid for this query")

// A position is where a connection continues: skip items into the upstream
// page that starts at upstream cursor up ("" for the first page).
type position struct {
	up   string
	skip int
}

// cursorCodec turns positions into opaque, signed edge cursors bound to the
// query's filters, and back.
//
// Layout before base64url: version (1) | filters hash (8) | skip (uvarint) |
// upstream cursor | HMAC-SHA256 (16).
type cursorCodec struct {
	key []byte
}

const (
	cursorVersion = 1
	filterHashLen = 8
	macLen        = 16
	// maxCursorLen bounds what decode reads: upstream cursors are short.
	maxCursorLen = 1024
	// maxSkip bounds a position's skip: within an upstream page, or into
	// the whole list of a vendor whose list is unpaginated.
	maxSkip = 1 << 24
)

func (c cursorCodec) encode(p position, filters [filterHashLen]byte) string {
	b := make([]byte, 0, 1+filterHashLen+binary.MaxVarintLen64+len(p.up)+macLen)
	b = append(b, cursorVersion)
	b = append(b, filters[:]...)
	b = binary.AppendUvarint(b, uint64(p.skip))
	b = append(b, p.up...)
	b = append(b, c.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c cursorCodec) decode(s string, filters [filterHashLen]byte) (position, error) {
	if len(s) > maxCursorLen {
		return position{}, ErrBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 1+filterHashLen+1+macLen || b[0] != cursorVersion {
		return position{}, ErrBadCursor
	}
	body, sum := b[:len(b)-macLen], b[len(b)-macLen:]
	if !hmac.Equal(sum, c.mac(body)) {
		return position{}, ErrBadCursor
	}
	if [filterHashLen]byte(body[1:1+filterHashLen]) != filters {
		return position{}, ErrBadCursor
	}
	skip, n := binary.Uvarint(body[1+filterHashLen:])
	if n <= 0 || skip > maxSkip {
		return position{}, ErrBadCursor
	}
	return position{up: string(body[1+filterHashLen+n:]), skip: int(skip)}, nil
}

func (c cursorCodec) mac(b []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(b)
	return m.Sum(nil)[:macLen]
}
