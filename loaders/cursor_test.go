package loaders

import (
	"errors"
	"testing"
)

func TestCursorCodec(t *testing.T) {
	c := cursorCodec{key: []byte("k1")}
	q := ListQuery{Status: "ACTIVE"}
	f := q.filterHash()
	for _, p := range []position{{}, {skip: 7}, {up: "opaque-upstream-cursor", skip: 0}, {up: "x", skip: 100}} {
		got, err := c.decode(c.encode(p, f), f)
		if err != nil || got != p {
			t.Errorf("decode(encode(%+v)) = %+v, %v; want it back", p, got, err)
		}
	}
	good := c.encode(position{up: "abc", skip: 3}, f)
	other := ListQuery{Search: "john"}.filterHash()
	for name, s := range map[string]string{
		"empty":          "",
		"garbage":        "not-a-cursor",
		"truncated":      good[:len(good)-2],
		"tampered":       good[:5] + string(rune(good[5]^1)) + good[6:],
		"other filters":  c.encode(position{up: "abc", skip: 3}, other),
		"other tenant":   cursorCodec{key: []byte("k2")}.encode(position{up: "abc", skip: 3}, f),
		"skip too large": c.encode(position{skip: maxSkip + 1}, f),
		"too long":       string(make([]byte, 2000)),
	} {
		if _, err := c.decode(s, f); !errors.Is(err, ErrBadCursor) {
			t.Errorf("%s: decode error = %v; want ErrBadCursor", name, err)
		}
	}
}
