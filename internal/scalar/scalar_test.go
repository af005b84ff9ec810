package scalar

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDateTime(t *testing.T) {
	var b bytes.Buffer
	MarshalDateTime(time.Date(2025, 1, 15, 11, 30, 0, 123456789, time.FixedZone("CET", 3600))).MarshalGQL(&b)
	if got, want := b.String(), `"2025-01-15T10:30:00.123Z"`; got != want {
		t.Errorf("MarshalDateTime = %s; want %s", got, want)
	}
	for _, tt := range []struct {
		in   any
		want time.Time
		ok   bool
	}{
		{"2025-01-15T10:30:00.000Z", time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC), true},
		{"2025-01-15T11:30:00+01:00", time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC), true},
		{"2025-01-15", time.Time{}, false},
		{1640995200000, time.Time{}, false},
	} {
		got, err := UnmarshalDateTime(tt.in)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("UnmarshalDateTime(%v) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("UnmarshalDateTime(%v) error %v does not match ErrInvalid", tt.in, err)
		}
	}
}

func TestDate(t *testing.T) {
	for _, tt := range []struct {
		in any
		ok bool
	}{
		{"1990-05-15", true},
		{"2024-02-29", true},
		{"2023-02-29", false},
		{"2024-02-30", false},
		{"1990-5-15", false},
		{"15.05.1990", false},
		{"1990-05-15T00:00:00Z", false},
		{19900515, false},
	} {
		got, err := UnmarshalDate(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("UnmarshalDate(%v) = %q, %v; want ok=%v", tt.in, got, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("UnmarshalDate(%v) error %v does not match ErrInvalid", tt.in, err)
		}
	}
	for in, want := range map[string]string{
		"1990-05-15": `"1990-05-15"`,
		// A vendor's malformed date is still a JSON string.
		"15.\x00\"5\\\xff": `"15.\u0000\"5\\` + "\xff" + `"`,
	} {
		var b bytes.Buffer
		MarshalDate(in).MarshalGQL(&b)
		if b.String() != want {
			t.Errorf("MarshalDate(%q) = %s; want %s", in, b.String(), want)
		}
	}
}

func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		"":                  `""`,
		"plain é 日本 \u2028": "\"plain é 日本 \u2028\"",
		"\t\r\n\\\"":        `"\t\r\n\\\""`,
		"\x00\x1f\x7f<&>":   `"\u0000\u001F` + "\x7f" + `<&>"`,
		"a\xffb":            `"a` + "\xff" + `b"`,
	} {
		if got := string(AppendString([]byte("x"), in)); got != "x"+want {
			t.Errorf("AppendString(%q) = %s; want x%s", in, got, want)
		}
	}
}

func TestJSON(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "null"},
		{`{"a": [1, 2],` + "\n" + ` "b": "x y"}`, `{"a":[1,2],"b":"x y"}`},
		{`"<&>"`, `"<&>"`},
		{`{"a":`, "null"},
	} {
		var b strings.Builder
		MarshalJSON(json.RawMessage(tt.in)).MarshalGQL(&b)
		if b.String() != tt.want {
			t.Errorf("MarshalJSON(%q) writes %q; want %q", tt.in, b.String(), tt.want)
		}
	}
}
