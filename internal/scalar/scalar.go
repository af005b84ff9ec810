// Package scalar implements the schema's custom scalars: DateTime (an
// RFC 3339 timestamp in UTC with milliseconds), Date (YYYY-MM-DD) and JSON
// (any JSON value, written as it is).
package scalar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// DateTimeLayout is how DateTime values are written: UTC, milliseconds, "Z".
const DateTimeLayout = "2006-01-02T15:04:05.000Z"

// DateLayout is how Date values are written and read.
const DateLayout = "2006-01-02"

// ErrInvalid is matched by every error the Unmarshal functions return.
var ErrInvalid = errors.New("invalid scalar value")

type inputError struct{ msg string }

func (e *inputError) Error() string        { return e.msg }
func (e *inputError) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, args ...any) error {
	return &inputError{fmt.Sprintf(format, args...)}
}

// MarshalDateTime writes t in UTC with milliseconds, e.g.
// "2025-01-15T10:30:00.000Z".
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [len(DateTimeLayout) + 2]byte
		w.Write(AppendDateTime(buf[:0], t))
	})
}

// AppendDateTime appends t as MarshalDateTime writes it.
func AppendDateTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, DateTimeLayout)
	return append(b, '"')
}

// UnmarshalDateTime reads an RFC 3339 timestamp (any offset, optional
// fractional seconds) and returns it in UTC.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, invalid("DateTime must be a string, got %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid("DateTime must be an RFC 3339 timestamp, e.g. 2025-01-15T10:30:00.000Z")
	}
	return t.UTC(), nil
}

// MarshalDate writes a calendar date held as "YYYY-MM-DD".
func MarshalDate(s string) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		w.Write(AppendDate(nil, s))
	})
}

// AppendDate appends s as MarshalDate writes it: as a String, so that a
// vendor's malformed date is still valid JSON.
func AppendDate(b []byte, s string) []byte { return AppendString(b, s) }

const hex = "0123456789ABCDEF"

// AppendString appends s as gqlgen writes a String: quoted, with control
// characters, backslash and quote escaped, and nothing else (the bytes of
// invalid UTF-8 are written as they are).
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\n':
			b = append(b, '\\', 'n')
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// UnmarshalDate reads a calendar date. It must be a real date written
// YYYY-MM-DD: "2024-02-30" and "2024-2-3" are errors.
func UnmarshalDate(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", invalid("Date must be a string, got %T", v)
	}
	if err := ValidDate(s); err != nil {
		return "", err
	}
	return s, nil
}

// ValidDate reports whether s is a real calendar date written YYYY-MM-DD.
func ValidDate(s string) error {
	t, err := time.Parse(DateLayout, s)
	if err != nil || t.Format(DateLayout) != s {
		return invalid("Date must be a calendar date written YYYY-MM-DD, got %q", truncate(s, 32))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// MarshalJSON writes v, a JSON value, compact; nil, and anything that is
// not JSON, is null. The response writer relies on every value being
// compact JSON (see postTransport in package main).
func MarshalJSON(v json.RawMessage) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		w.Write(AppendJSON(nil, v))
	})
}

// AppendJSON appends v as MarshalJSON writes it.
func AppendJSON(b []byte, v json.RawMessage) []byte {
	if len(v) == 0 {
		return append(b, "null"...)
	}
	buf := bytes.NewBuffer(b)
	if json.Compact(buf, v) != nil {
		// Compact writes nothing of a value it rejects.
		return append(buf.Bytes(), "null"...)
	}
	return buf.Bytes()
}

// UnmarshalJSON reads any input value as JSON.
func UnmarshalJSON(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, invalid("JSON value cannot be encoded")
	}
	return b, nil
}
