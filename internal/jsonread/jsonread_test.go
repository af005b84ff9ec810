package jsonread

import (
	"encoding/json"
	"testing"
)

// TestStrIsEncodingJSONs: a string reads as encoding/json reads it, escapes,
// surrogates and invalid UTF-8 included, or the reader gives up where
// encoding/json fails.
func TestStrIsEncodingJSONs(t *testing.T) {
	for _, doc := range []string{
		`"plain"`, `""`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\u20ac"`, `"\ud83d\ude00"`,
		`"\ud800"`, `"\ud800x"`, `"\udc00\ud800"`, "\"a\xffb\"", "\"\xc3\"", `"\u12"`, `"\x"`,
		"\"a\x01\"", `"unterminated`, `x`,
	} {
		var want string
		wantErr := json.Unmarshal([]byte(doc), &want)
		r := New([]byte(doc))
		got, ok := r.Str()
		ok = ok && r.End()
		switch {
		case wantErr == nil && (!ok || got != want):
			t.Errorf("Str(%q) = %q, %v; want encoding/json's %q", doc, got, ok, want)
		case wantErr != nil && ok:
			t.Errorf("Str(%q) = %q, true; want a give-up, as encoding/json fails: %v", doc, got, wantErr)
		}
	}
}

// TestSkipIsValid: Skip and RawValue take exactly the values encoding/json
// accepts, and RawValue returns the value's bytes.
func TestSkipIsValid(t *testing.T) {
	for _, doc := range []string{
		`null`, `true`, `false`, `0`, `-0.5e+3`, `01`, `1.`, `-`, `{}`, `[]`, `{"a":[1,{"b":null}],"c":"d"}`,
		`{"a":1,}`, `[1,]`, `{"a" 1}`, `tru`, `{"a":1`, `[[[[]]]]`,
	} {
		r := New([]byte(doc))
		raw, ok := r.RawValue()
		ok = ok && r.End()
		if valid := json.Valid([]byte(doc)); ok != valid {
			t.Errorf("RawValue(%q) took it: %v; want %v, as json.Valid", doc, ok, valid)
		}
		if ok && string(raw) != doc {
			t.Errorf("RawValue(%q) = %q; want the whole value", doc, raw)
		}
	}
}

// TestUnknownGivesUpOnAFoldedKey: encoding/json matches keys regardless of
// case, so a key that matches a known one only so is not skipped.
func TestUnknownGivesUpOnAFoldedKey(t *testing.T) {
	known := []string{"emailAddress", "id"}
	for key, want := range map[string]bool{"other": true, "EmailAddress": false, "ID": false, "idx": true} {
		r := New([]byte(`1`))
		if got := r.Unknown([]byte(key), known); got != want {
			t.Errorf("Unknown(%q) = %v; want %v", key, got, want)
		}
	}
}
