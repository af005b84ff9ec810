package identifier

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		want string
	}{
		// Customer numbers.
		{"CUST-000001", CustomerNumber, "CUST-000001"},
		{"cust-000001", CustomerNumber, "CUST-000001"},
		{"  Cust-42 ", CustomerNumber, "CUST-42"},
		// Emails.
		{"john@example.com", Email, "john@example.com"},
		{"John.Doe@Example.COM", Email, "john.doe@example.com"},
		{"  jane+news@mail.example.org\t", Email, "jane+news@mail.example.org"},
		{"o'brien@example.ie", Email, "o'brien@example.ie"},
		// Phones: every format of the get-customer doc, and separators.
		{"+1 (555) 456-7890", Phone, "+15554567890"},
		{"+15554567890", Phone, "+15554567890"},
		{"00 1 555 456 7890", Phone, "+15554567890"},
		{"0015554567890", Phone, "+15554567890"},
		{"1 555 456 7890", Phone, "+15554567890"},
		{"15554567890", Phone, "+15554567890"},
		{"1.555.456.7890", Phone, "+15554567890"},
		{"+1-555-456-7890", Phone, "+15554567890"},
		{"(1) 555 456 7890", Phone, "+15554567890"},
		{"+44 7700 900123", Phone, "+447700900123"},
		{"+1234567890", Phone, "+1234567890"},
		{"00 49 151 12345678", Phone, "+4915112345678"},
		{"+123456789012345", Phone, "+123456789012345"},
		// Document IDs.
		{"k1234567890abcdef", DocumentID, "k1234567890abcdef"},
		{"cust_abc123", DocumentID, "cust_abc123"},
		{"Kx9", DocumentID, "Kx9"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): got error %v; want %s %q", tt.in, err, tt.kind, tt.want)
			continue
		}
		if got.Kind() != tt.kind || got.String() != tt.want {
			t.Errorf("Parse(%q) = %s %q; want %s %q", tt.in, got.Kind(), got, tt.kind, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		kind   Kind   // the kind the error names
		reason string // a fragment of the reason
	}{
		{"", Invalid, "empty"},
		{"   ", Invalid, "empty"},
		{strings.Repeat("a", 255), Invalid, "longer than 254"},
		{strings.Repeat("x", 10_000) + "@example.com", Invalid, "longer than 254"},
		{"../x", Invalid, `"/"`},
		{"CUST-000001/../admin", Invalid, `"/"`},
		{"john%2F@example.com", Invalid, `"%"`},
		{"k123?x=1", Invalid, `"?"`},
		{"k123#frag", Invalid, `"#"`},
		{`k123\x`, Invalid, `"\\"`},
		{"john\x00@example.com", Invalid, "control character"},
		{"k12\n34", Invalid, "control character"},
		{"k12\u0085x", Invalid, "control character"},
		{"\xff\xfe", Invalid, "UTF-8"},
		{"foo@", Email, "no domain"},
		{"@example.com", Email, "nothing before"},
		{"a@@example.com", Email, `more than one "@"`},
		{"a@b@example.com", Email, `more than one "@"`},
		{"john@localhost", Email, "no dot"},
		{"john@example.", Email, "empty domain label"},
		{"john@-example.com", Email, `starts or ends with "-"`},
		{"john@exa_mple.com", Email, "domain contains"},
		{"john@example.c", Email, "top-level domain"},
		{"john@example.123", Email, "top-level domain"},
		{".john@example.com", Email, "misplaced dot"},
		{"jo..hn@example.com", Email, "misplaced dot"},
		{"jo hn@example.com", Email, "local part contains"},
		{"jöhn@example.com", Email, "local part contains"},
		{strings.Repeat("a", 65) + "@example.com", Email, "local part longer"},
		{"CUST-", CustomerNumber, "no digits"},
		{"CUST-12a", CustomerNumber, "digits only"},
		{"CUST-1234567890123", CustomerNumber, "more than 12"},
		{"+1 555 CALL NOW", Phone, "letters"},
		{"555-abc-1234", Phone, "letters"},
		{"+1 555 456 7890 ext 2", Phone, "letters"},
		{"+1+5554567890", Phone, `"+" may only start`},
		{"1555+4567890", Phone, `"+" may only start`},
		{"+1 555 45", Phone, "fewer than 7"},
		{"+1234567890123456", Phone, "more than 15"},
		{"00000000000000000000000", Phone, "more than 15"},
		{"+0 555 456 7890", Phone, "cannot start with 0"},
		{"000 555 4567890", Phone, "cannot start with 0"},
		{"+1_555_456_7890", Phone, `contains '_'`},
		{"k" + strings.Repeat("a", 64), DocumentID, "longer than 64"},
		{"abc-def", Invalid, "not a customer number"},
		{"k1234.5678", Invalid, "not a customer number"},
		{"-k123", Invalid, "not a customer number"},
		{"é123", Invalid, "not a customer number"},
	}
	for _, tt := range tests {
		id, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %s %q; want an error", tt.in, id.Kind(), id)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q): errors.Is(%v, ErrInvalid) = false; want true", tt.in, err)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Parse(%q): got error of type %T; want *Error", tt.in, err)
		}
		if e.Kind != tt.kind || !strings.Contains(e.Reason, tt.reason) {
			t.Errorf("Parse(%q): got %s error %q; want %s error containing %q", tt.in, e.Kind, e.Reason, tt.kind, tt.reason)
		}
		if !id.IsZero() {
			t.Errorf("Parse(%q) returned %q with its error; want the zero ID", tt.in, id)
		}
	}
}

func TestParseSamePhone(t *testing.T) {
	// Every spelling in the get-customer doc names the same customer.
	formats := []string{
		"+1 (555) 456-7890", "+15554567890", "00 1 555 456 7890",
		"0015554567890", "1 555 456 7890", "15554567890",
	}
	want := MustParse(formats[0])
	for _, f := range formats[1:] {
		if got := MustParse(f); got != want {
			t.Errorf("Parse(%q) = %v; want %v (same as %q)", f, got, want, formats[0])
		}
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		k    Kind
		want string
	}{
		{Invalid, "invalid"},
		{CustomerNumber, "customerNumber"},
		{Email, "email"},
		{Phone, "phone"},
		{DocumentID, "documentId"},
		{Kind(99), "Kind(99)"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q; want %q", tt.k, got, tt.want)
		}
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse(\"\") did not panic; want a panic")
		}
	}()
	MustParse("")
}

func TestErrorMessage(t *testing.T) {
	_, err := Parse("foo@")
	if got, want := err.Error(), `invalid email: no domain after "@"`; got != want {
		t.Errorf("Parse(\"foo@\") error = %q; want %q", got, want)
	}
	_, err = Parse("")
	if got, want := err.Error(), "invalid identifier: empty"; got != want {
		t.Errorf("Parse(\"\") error = %q; want %q", got, want)
	}
}

// FuzzParse checks that Parse never panics, that what it accepts is
// canonical (parsing the canonical form gives the same ID back) and within
// the documented shapes. The seed corpus runs with every `go test`.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"CUST-000001", "cust-1", "john@example.com", "John.Doe@Example.COM",
		"+1 (555) 456-7890", "00 1 555 456 7890", "0015554567890", "15554567890",
		"1.555.456.7890", "k1234567890abcdef", "", " ", "foo@", "../x", "%2F",
		"+1 555 CALL", "a@b@c.de", "\x00", "\xff", "00", "+", "((((", "CUST-",
		"_", "a_b", "é@example.com", strings.Repeat("9", 300),
		"3c90c3cc-0d44-4b50-8888-8dd25736052a", "3C90C3CC-0D44-4B50-8888-8DD25736052A",
		"3c90c3cc-0d44-4b50-8888", "1", "42", "007", "+233244567890", "00233244567890",
		"123456789012345678", "1234567890123456789",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, x := range []Syntax{DocumentIDs, UUIDs, Integers} {
			fuzzSyntax(t, x, s)
		}
	})
}

// fuzzSyntax checks Parse and ParseAs under x for one input.
func fuzzSyntax(t *testing.T, x Syntax, s string) {
	parsed, _ := x.Parse(s)
	for _, k := range []Kind{CustomerNumber, Email, Phone, DocumentID} {
		got, err := x.ParseAs(s, k)
		switch {
		case err != nil && !errors.Is(err, ErrInvalid):
			t.Fatalf("%v.ParseAs(%q, %v): error %v does not match ErrInvalid", x, s, k, err)
		case err != nil && !got.IsZero():
			t.Fatalf("%v.ParseAs(%q, %v) returned %q with an error", x, s, k, got)
		case err == nil && got.Kind() != k:
			t.Fatalf("%v.ParseAs(%q, %v) = %v %q", x, s, k, got.Kind(), got)
		case err == nil && parsed == got:
		case err == nil && k == Phone:
		case err == nil:
			t.Fatalf("%v.ParseAs(%q, %v) = %q, but Parse gives %v %q", x, s, k, got, parsed.Kind(), parsed)
		}
	}
	{
		id, err := x.Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%v.Parse(%q): error %v does not match ErrInvalid", x, s, err)
			}
			if !id.IsZero() {
				t.Fatalf("%v.Parse(%q) returned %q with an error", x, s, id)
			}
			return
		}
		if id.IsZero() {
			t.Fatalf("%v.Parse(%q) returned the zero ID without an error", x, s)
		}
		c := id.String()
		if c == "" || len(c) > MaxLength {
			t.Fatalf("%v.Parse(%q) = %q; canonical form empty or too long", x, s, c)
		}
		again, err := x.Parse(c)
		if err != nil {
			t.Fatalf("%v.Parse(%q) = %q, but the canonical form does not parse: %v", x, s, c, err)
		}
		if again != id {
			t.Fatalf("%v.Parse(%q) = %v, Parse(%q) = %v; want the same", x, s, id, c, again)
		}
		switch id.Kind() {
		case Phone:
			if c[0] != '+' || len(c) < 1+minPhoneDigits || len(c) > 1+maxPhoneDigits {
				t.Fatalf("%v.Parse(%q) = phone %q; not E.164", x, s, c)
			}
		case Email:
			if c != strings.ToLower(c) {
				t.Fatalf("%v.Parse(%q) = email %q; not lower-case", x, s, c)
			}
		case CustomerNumber:
			if !strings.HasPrefix(c, "CUST-") {
				t.Fatalf("%v.Parse(%q) = customer number %q; want CUST- prefix", x, s, c)
			}
		}
		if strings.ContainsAny(c, "/%?#\\ ") {
			t.Fatalf("%v.Parse(%q) = %q; canonical form holds URL syntax or spaces", x, s, c)
		}
	}
}

func TestSyntaxParse(t *testing.T) {
	tests := []struct {
		x    Syntax
		in   string
		kind Kind
		want string
	}{
		{UUIDs, "3c90c3cc-0d44-4b50-8888-8dd25736052a", DocumentID, "3c90c3cc-0d44-4b50-8888-8dd25736052a"},
		{UUIDs, " 3C90C3CC-0D44-4B50-8888-8DD25736052A ", DocumentID, "3c90c3cc-0d44-4b50-8888-8dd25736052a"},
		{UUIDs, "a1b2c3d4-0d44-4b50-8888-8dd25736052a", DocumentID, "a1b2c3d4-0d44-4b50-8888-8dd25736052a"},
		{UUIDs, "Jane@Example.com", Email, "jane@example.com"},
		{UUIDs, "+1 (555) 456-7890", Phone, "+15554567890"},
		{UUIDs, "15554567890", Phone, "+15554567890"},
		{UUIDs, "cust-7", CustomerNumber, "CUST-7"},
		{Integers, "1", DocumentID, "1"},
		{Integers, " 42 ", DocumentID, "42"},
		{Integers, "123456789012345678", DocumentID, "123456789012345678"},
		{Integers, "+233244567890", Phone, "+233244567890"},
		{Integers, "+233 24 456 7890", Phone, "+233244567890"},
		{Integers, "00233244567890", Phone, "+233244567890"},
		{Integers, "00 44 7700 900123", Phone, "+447700900123"},
		{Integers, "(233) 24 456 7890", Phone, "+233244567890"},
		{Integers, "Jane@Example.com", Email, "jane@example.com"},
		{Integers, "CUST-1", CustomerNumber, "CUST-1"},
		{DocumentIDs, "15554567890", Phone, "+15554567890"},
	}
	for _, tt := range tests {
		got, err := tt.x.Parse(tt.in)
		if err != nil {
			t.Errorf("%v.Parse(%q): got error %v; want %s %q", tt.x, tt.in, err, tt.kind, tt.want)
			continue
		}
		if got.Kind() != tt.kind || got.String() != tt.want {
			t.Errorf("%v.Parse(%q) = %s %q; want %s %q", tt.x, tt.in, got.Kind(), got, tt.kind, tt.want)
		}
	}
}

func TestSyntaxParseErrors(t *testing.T) {
	tests := []struct {
		x      Syntax
		in     string
		reason string
	}{
		{UUIDs, "k1234567890abcdef", "not a UUID"},
		{UUIDs, "3c90c3cc-0d44-4b50-8888", "letters"}, // a digit start reads as a phone
		{UUIDs, "3c90c3cc-0d44-4b50-8888-8dd25736052a-x", "letters"},
		{UUIDs, "zc90c3cc-0d44-4b50-8888-8dd25736052a", "not a UUID"},
		{Integers, "0", "positive integer"},
		{Integers, "042", "positive integer"},
		{Integers, "1 555 456 7890", "starts with + or 00"},
		{Integers, "15554567890x", "starts with + or 00"},
		{Integers, "1234567890123456789", "more than 18 digits"},
		{Integers, "k123", "not an integer ID"},
		{Integers, "12/3", `"/"`},
	}
	for _, tt := range tests {
		got, err := tt.x.Parse(tt.in)
		if err == nil {
			t.Errorf("%v.Parse(%q) = %v %q; want an error about %q", tt.x, tt.in, got.Kind(), got, tt.reason)
			continue
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%v.Parse(%q): got error %q; want one matching ErrInvalid about %q", tt.x, tt.in, err, tt.reason)
		}
	}
}

func TestParseAs(t *testing.T) {
	tests := []struct {
		x    Syntax
		in   string
		k    Kind
		want string // the canonical ID, or "error: " and a fragment of it
	}{
		{Integers, "15554567890", Phone, "+15554567890"},
		{Integers, "15554567890", DocumentID, "15554567890"},
		{Integers, "+233244567890", DocumentID, "error: expected a customer ID (a positive integer), got what looks like a phone number"},
		{Integers, "0244567890", Phone, "error: country code cannot start with 0"},
		{UUIDs, "15554567890", Phone, "+15554567890"},
		{UUIDs, "k123", DocumentID, "error: not a customer ID (a UUID)"},
		{UUIDs, "jane@example.com", DocumentID, "error: expected a customer ID (a UUID), got what looks like an email address"},
		{DocumentIDs, "john@example.com", Phone, "error: expected a phone number, got what looks like an email address"},
		{DocumentIDs, "CUST-1", Phone, "error: expected a phone number, got what looks like a customer number"},
		{DocumentIDs, "+1555", Email, "error: not an email address"},
		{DocumentIDs, "foo@", Email, "error: invalid email: no domain"},
		{DocumentIDs, "k12%", DocumentID, "error: not a document ID"},
		{DocumentIDs, "JOHN@example.com", Email, "john@example.com"},
	}
	for _, tt := range tests {
		got, err := tt.x.ParseAs(tt.in, tt.k)
		if frag, ok := strings.CutPrefix(tt.want, "error: "); ok {
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), frag) {
				t.Errorf("%v.ParseAs(%q, %v) = %q, %v; want an error containing %q", tt.x, tt.in, tt.k, got, err, frag)
			}
			continue
		}
		if err != nil || got.Kind() != tt.k || got.String() != tt.want {
			t.Errorf("%v.ParseAs(%q, %v) = %v %q, %v; want %v %q", tt.x, tt.in, tt.k, got.Kind(), got, err, tt.k, tt.want)
		}
	}
}
