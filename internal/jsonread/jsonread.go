// Package jsonread reads JSON documents — what an upstream sends, a
// client's request body — several times faster than encoding/json's
// reflection, for decoders that give a document to encoding/json instead
// whenever it is not one they are sure to read exactly as encoding/json
// would.
//
// A Reader's methods each read one part of a document and report false
// when it is not one they are sure of: a decoder then starts again with
// json.Unmarshal, so that every result and every error is encoding/json's.
package jsonread

import (
	"bytes"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Reader reads one JSON document.
type Reader struct {
	b []byte
	i int
}

// New returns a Reader of b.
func New(b []byte) Reader { return Reader{b: b} }

// Offset is how far into the document the reader is.
func (r *Reader) Offset() int { return r.i }

// Bytes returns the document's bytes from start to the reader's offset.
func (r *Reader) Bytes(start int) []byte { return r.b[start:r.i] }

func (r *Reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// Next skips white space and returns the next byte, or 0 at the end.
func (r *Reader) Next() byte {
	r.ws()
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

// Lit consumes s if it is next, with no white space before it.
func (r *Reader) Lit(s string) bool {
	if !bytes.HasPrefix(r.b[r.i:], []byte(s)) {
		return false
	}
	r.i += len(s)
	return true
}

// Null consumes a null if one is next.
func (r *Reader) Null() bool {
	return r.Next() == 'n' && r.Lit("null")
}

// Object reads an object, calling field for each key with the reader at
// its value; field reads the value and reports whether it could. Keys
// are handed over raw: object gives up on one with an escape or a
// non-ASCII byte.
func (r *Reader) Object(field func(key []byte) bool) bool {
	if r.Next() != '{' {
		return false
	}
	r.i++
	if r.Next() == '}' {
		r.i++
		return true
	}
	for {
		if r.Next() != '"' {
			return false
		}
		start := r.i + 1
		end := start
		for end < len(r.b) && r.b[end] != '"' {
			if c := r.b[end]; c == '\\' || c < 0x20 || c >= 0x80 {
				return false
			}
			end++
		}
		if end >= len(r.b) {
			return false
		}
		r.i = end + 1
		if r.Next() != ':' {
			return false
		}
		r.i++
		if !field(r.b[start:end]) {
			return false
		}
		switch r.Next() {
		case ',':
			r.i++
		case '}':
			r.i++
			return true
		default:
			return false
		}
	}
}

// Array reads an array, calling elem with the reader at each element.
func (r *Reader) Array(elem func() bool) bool {
	if r.Next() != '[' {
		return false
	}
	r.i++
	if r.Next() == ']' {
		r.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch r.Next() {
		case ',':
			r.i++
		case ']':
			r.i++
			return true
		default:
			return false
		}
	}
}

// Unknown reads the value of a key no field has. encoding/json matches
// keys case-insensitively: one that matches a known name only so gives up.
func (r *Reader) Unknown(key []byte, known []string) bool {
	for _, k := range known {
		if len(k) == len(key) && bytes.EqualFold([]byte(k), key) {
			return false
		}
	}
	return r.Skip(0)
}

// maxDepth bounds the nesting skip follows; deeper documents are left to
// encoding/json, which has a limit of its own.
const maxDepth = 64

// Skip reads any value; depth is how deep it is nested.
func (r *Reader) Skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch c := r.Next(); {
	case c == '{':
		return r.Object(func([]byte) bool { return r.Skip(depth + 1) })
	case c == '[':
		return r.Array(func() bool { return r.Skip(depth + 1) })
	case c == '"':
		_, ok := r.Str()
		return ok
	case c == 't':
		return r.Lit("true")
	case c == 'f':
		return r.Lit("false")
	case c == 'n':
		return r.Lit("null")
	default:
		_, ok := r.Number()
		return ok
	}
}

// Number reads a number, checked against JSON's grammar, and returns it.
func (r *Reader) Number() ([]byte, bool) {
	r.ws()
	b, start, i := r.b, r.i, r.i
	digits := func() bool {
		n := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	r.i = i
	return b[start:i], true
}

// Str reads a string and returns its value, unquoted as encoding/json
// does: escapes decoded, an invalid UTF-8 byte or a lone surrogate
// replaced with U+FFFD.
func (r *Reader) Str() (string, bool) {
	if r.Next() != '"' {
		return "", false
	}
	b := r.b
	start := r.i + 1
	i := start
	plain := true
	for {
		if i >= len(b) {
			return "", false
		}
		c := b[i]
		if c == '"' {
			break
		}
		switch {
		case c < 0x20:
			return "", false
		case c == '\\':
			plain = false
			i++
			if i >= len(b) {
				return "", false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return "", false
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return "", false
					}
				}
				i += 4
			default:
				return "", false
			}
		case c >= 0x80:
			plain = false
		}
		i++
	}
	r.i = i + 1
	raw := b[start:i]
	if plain {
		return string(raw), true
	}
	return unquote(raw), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// unquote decodes the inside of a string str has checked.
func unquote(s []byte) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			i++
			switch s[i] {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				rr := hex4(s[i+1:])
				i += 4
				if utf16.IsSurrogate(rr) {
					// Half of a pair: the other half must follow at once.
					if i+7 <= len(s) && s[i+1] == '\\' && s[i+2] == 'u' && isHex4(s[i+3:i+7]) {
						if dec := utf16.DecodeRune(rr, hex4(s[i+3:])); dec != utf8.RuneError {
							i += 6
							out = utf8.AppendRune(out, dec)
							break
						}
					}
					rr = utf8.RuneError
				}
				out = utf8.AppendRune(out, rr)
			default: // '"', '\\', '/'
				out = append(out, s[i])
			}
			i++
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			rr, size := utf8.DecodeRune(s[i:])
			i += size
			out = utf8.AppendRune(out, rr)
		}
	}
	return string(out)
}

func isHex4(b []byte) bool {
	return len(b) >= 4 && isHex(b[0]) && isHex(b[1]) && isHex(b[2]) && isHex(b[3])
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// StrVal reads a string into *p. Like the other value readers, it leaves
// *p as it was for null, as encoding/json does.
func (r *Reader) StrVal(p *string) bool {
	if r.Null() {
		return true
	}
	s, ok := r.Str()
	if ok {
		*p = s
	}
	return ok
}

// BoolVal reads true or false into *p.
func (r *Reader) BoolVal(p *bool) bool {
	switch {
	case r.Null():
		return true
	case r.Lit("true"):
		*p = true
	case r.Lit("false"):
		*p = false
	default:
		return false
	}
	return true
}

// IntVal reads an integer into *p; a fraction, an exponent or one too
// large for an int gives up, as they are type errors for encoding/json.
func (r *Reader) IntVal(p *int) bool {
	if r.Null() {
		return true
	}
	n, ok := r.Number()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(string(n), 10, 0)
	if err != nil {
		return false // a fraction, an exponent or too large: a type error
	}
	*p = int(v)
	return true
}

// FloatVal reads a number into *p; one out of a float64's range gives up.
func (r *Reader) FloatVal(p *float64) bool {
	if r.Null() {
		return true
	}
	n, ok := r.Number()
	if !ok {
		return false
	}
	v, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(v, 0) {
		return false
	}
	*p = v
	return true
}

// RawValue reads any value and returns its bytes.
func (r *Reader) RawValue() ([]byte, bool) {
	r.ws()
	start := r.i
	if !r.Skip(0) {
		return nil, false
	}
	return r.b[start:r.i], true
}

// End reports whether nothing but white space is left.
func (r *Reader) End() bool {
	r.ws()
	return r.i == len(r.b)
}
